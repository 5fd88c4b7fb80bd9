package service

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestOversizedBodySentWholeGetsTheRefusal: a client that sends its whole
// body before it reads (Python's urllib, Java's HttpURLConnection) must
// read the 413 JSON, not a connection reset: the server reads and drops
// the rest of a refused body, within bounds, before it closes. The body is
// several times the socket buffers, so a server that stops reading stalls
// the client's writes and closes on unread data.
func TestOversizedBodySentWholeGetsTheRefusal(t *testing.T) {
	s := startServer(t, newFakeClock(t0))
	body := `{"user_id":"ana","padding":"` + strings.Repeat("x", 6<<20) + `"}`
	for _, tc := range []struct{ name, framing string }{
		{"declared length", fmt.Sprintf("Content-Length: %d\r\n", len(body))},
		{"chunked", "Transfer-Encoding: chunked\r\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, reply := sendWholeThenRead(t, s.URL, "POST", "/v1/promos/p1/reservations", testToken, tc.framing, body)
			if status != http.StatusRequestEntityTooLarge {
				t.Fatalf("status %d, want 413: %s", status, reply)
			}
			var problem struct {
				Error struct{ Code string } `json:"error"`
			}
			if err := json.Unmarshal(reply, &problem); err != nil || problem.Error.Code != "payload_too_large" {
				t.Errorf("reply %s (%v), want the payload_too_large error", reply, err)
			}
		})
	}
}

// TestRefusedCredentialSentWholeGetsTheRefusal: the same client, refused
// for its credential before its body is read, reads the 401 or the 403.
func TestRefusedCredentialSentWholeGetsTheRefusal(t *testing.T) {
	s := startServer(t, newFakeClock(t0))
	body := `{"padding":"` + strings.Repeat("x", 6<<20) + `"}`
	analyst := strings.TrimPrefix(ctSign(t, ctClaims("alice", t0, "analyst")), "Bearer ")
	for _, tc := range []struct {
		token string
		want  int
	}{{"wrong-token", http.StatusUnauthorized}, {analyst, http.StatusForbidden}} {
		status, reply := sendWholeThenRead(t, s.URL, "POST", "/v1/users/batch", tc.token, fmt.Sprintf("Content-Length: %d\r\n", len(body)), body)
		if status != tc.want {
			t.Errorf("status %d, want %d: %s", status, tc.want, reply)
		}
	}
}

// sendWholeThenRead writes the request, body and all, on a raw connection
// and only then reads the response.
func sendWholeThenRead(t *testing.T, base, method, path, token, framing, body string) (int, []byte) {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(30 * time.Second))
	w := bufio.NewWriterSize(conn, 64<<10)
	fmt.Fprintf(w, "%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\n%s\r\n",
		method, path, u.Host, token, framing)
	if strings.HasPrefix(framing, "Transfer-Encoding") {
		for rest := body; rest != ""; {
			n := min(len(rest), 32<<10)
			fmt.Fprintf(w, "%x\r\n%s\r\n", n, rest[:n])
			rest = rest[n:]
		}
		io.WriteString(w, "0\r\n\r\n")
	} else {
		io.WriteString(w, body)
	}
	if err := w.Flush(); err != nil {
		t.Fatalf("writing the whole body: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("reading the response after the whole body: %v", err)
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the reply: %v", err)
	}
	return resp.StatusCode, reply
}
