package loadgen

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
)

// The ceiling's server answers every request with JSON of the size asked,
// on the address it prints first, and ends when its context does.
func TestServeStaticAnswersItsSize(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	r, w := io.Pipe()
	done := make(chan error, 1)
	go func() { done <- ServeStatic(ctx, 2048, w) }()
	addr, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get("http://" + strings.TrimSpace(addr) + "/v1/users/u1/promos")
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || len(body) != 2048 || !strings.HasPrefix(string(body), `{"promos":[`) || !strings.HasSuffix(string(body), "]}") {
		t.Fatalf("%d bytes %.20q…, %v; want 2048 bytes of {\"promos\":[ … ]}", len(body), body, err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("ServeStatic after its context ended: %v", err)
	}
}
