package loadgen

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestSoak runs the soak bench for 60 s (FLASHPROMO_SOAK_DURATION to
// change it) against the built service on Postgres, with a hold time of
// 3 s so that the crowds' abandoned holds expire within the run, and fails
// on what the bench fails on: a 5xx, an unanswered request, a broken
// invariant of the log.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("the soak runs a minute")
	}
	duration := time.Minute
	if s := os.Getenv("FLASHPROMO_SOAK_DURATION"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("FLASHPROMO_SOAK_DURATION: %v", err)
		}
		duration = d
	}
	const token, secret = "soak-admin-token", "soak-jwt-secret-of-32-bytes-or-more"
	bin := filepath.Join(t.TempDir(), "flashpromo")
	if out, err := exec.Command("go", "build", "-o", bin, "../../cmd/flashpromo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	server := exec.Command(bin, "serve")
	server.Env = append(os.Environ(), "FLASHPROMO_DATABASE_URL="+pgtest.Schema(t), "FLASHPROMO_HTTP_ADDR="+addr,
		"FLASHPROMO_ADMIN_TOKEN="+token, "FLASHPROMO_JWT_SECRET="+secret, "FLASHPROMO_HOLD_TTL=3s")
	logs, err := os.Create(filepath.Join(t.TempDir(), "server.log"))
	if err != nil {
		t.Fatal(err)
	}
	server.Stdout, server.Stderr = logs, logs
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = server.Process.Kill(); _ = server.Wait() })

	var out bytes.Buffer
	l := &Loader{Server: "http://" + addr, AdminToken: token, JWTSecret: secret, Run: "soak", Concurrency: 64, Out: &out}
	l.Prepare()
	ctx := context.Background()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if code, err := l.Call(ctx, http.MethodGet, "/readyz", nil, nil, ""); err == nil && code == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the service is not ready after a minute:\n%s", tail(logs.Name(), 40))
		}
	}
	err = l.Soak(ctx, 2000, duration)
	t.Logf("soak:\n%s", out.String())
	if err != nil {
		t.Fatalf("%v\nthe server's last log lines:\n%s", err, tail(logs.Name(), 40))
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// tail is the last n lines of the file.
func tail(file string, n int) []byte {
	b, _ := os.ReadFile(file)
	lines := bytes.SplitAfter(b, []byte("\n"))
	return bytes.Join(lines[max(0, len(lines)-n):], nil)
}
