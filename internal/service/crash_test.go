package service

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/internal/loadgen"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestCrashDuringFanout kills the service with SIGKILL while it notifies
// its users, starts it again, and checks that every eligible user ends with
// exactly one notification in the store and at least one delivery on
// Kafka, and nobody else any. The Kafka-protocol broker lives in the test,
// so it outlives the service. It runs with FLASHPROMO_CRASH_USERS set (e.g.
// 100000); its figures are in RELIABILITY.md.
func TestCrashDuringFanout(t *testing.T) {
	users, _ := strconv.Atoi(os.Getenv("FLASHPROMO_CRASH_USERS"))
	if users == 0 {
		t.Skip("set FLASHPROMO_CRASH_USERS (e.g. 100000) to run the crash test")
	}
	broker := startBroker(t, "127.0.0.1:0")
	dbURL := pgtest.Schema(t)
	start, l := serviceProcess(t, "crash", 60*time.Second, "FLASHPROMO_DATABASE_URL="+dbURL, "FLASHPROMO_KAFKA_BROKERS="+broker.Addrs()[0])
	ctx := context.Background()
	first := start()
	untilReady(t, l, "the service is ready")
	if err := l.SeedUsers(ctx, users, 1500); err != nil {
		t.Fatal(err)
	}
	if err := l.Promo(ctx, "crash-promo", map[string]float64{"lat": loadgen.Centre.Lat, "lng": loadgen.Centre.Lng}, time.Now(), 1); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the fan-out is under way", func() bool { return notified(t, dbURL) > 0 })
	killedAt := notified(t, dbURL)
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	t.Logf("killed with %d of %d users notified", killedAt, users)

	start()
	deadline := time.Now().Add(5 * time.Minute)
	for notified(t, dbURL) < users && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if n, distinct := notifiedUsers(t, dbURL); n != users || distinct != users {
		t.Fatalf("after the restart: %d notifications for %d distinct users, want %d each", n, distinct, users)
	}
	records := consume(t, broker.Addrs(), outbox.NotificationsTopic, users)
	seen := map[string]bool{}
	for _, r := range records {
		var d outbox.Delivery
		if err := json.Unmarshal(r.Value, &d); err != nil || d.PromoID != "crash-promo" {
			t.Fatalf("delivery %s: %v", r.Value, err)
		}
		seen[d.UserID] = true
	}
	if len(seen) != users {
		t.Errorf("deliveries reached %d users of %d (records %d)", len(seen), users, len(records))
	}
	t.Logf("after the restart: %d notifications, one per user; %d deliveries on Kafka", users, len(records))
}

// serviceProcess builds the flashpromo command and returns what starts it
// (serve on a free address, with the tests' credentials and env) as a
// process the test may kill, and a client of it that names its run.
func serviceProcess(t *testing.T, run string, timeout time.Duration, env ...string) (start func() *exec.Cmd, l *loadgen.Loader) {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "flashpromo")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/flashpromo/flashpromo/cmd/flashpromo").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	addr := freeAddr(t)
	env = append(os.Environ(), append([]string{"FLASHPROMO_HTTP_ADDR=" + addr,
		"FLASHPROMO_ADMIN_TOKEN=" + testToken, "FLASHPROMO_JWT_SECRET=" + testSecret}, env...)...)
	start = func() *exec.Cmd {
		cmd := exec.Command(bin, "serve")
		cmd.Env = env
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
		return cmd
	}
	return start, &loadgen.Loader{Server: "http://" + addr, AdminToken: testToken, JWTSecret: testSecret, Run: run,
		Client: &http.Client{Timeout: timeout}, Out: os.Stderr}
}

// untilReady waits until the process answers /readyz with 200.
func untilReady(t *testing.T, l *loadgen.Loader, what string) {
	t.Helper()
	eventually(t, what, func() bool {
		code, err := l.Call(context.Background(), "GET", "/readyz", nil, nil, "")
		return err == nil && code == http.StatusOK
	})
}

func freeAddr(t *testing.T) string {
	t.Helper()
	b := startBroker(t, "127.0.0.1:0") // any listener would do; this one is at hand
	addr := b.Addrs()[0]
	b.Close()
	return addr
}

func notified(t *testing.T, dbURL string) int {
	n, _ := notifiedUsers(t, dbURL)
	return n
}

func notifiedUsers(t *testing.T, dbURL string) (n, distinct int) {
	t.Helper()
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	err = conn.QueryRow(context.Background(),
		`SELECT count(*), count(DISTINCT data->>'user_id') FROM events WHERE type = 'NotificationSent'`).Scan(&n, &distinct)
	if err != nil {
		t.Fatal(err)
	}
	return n, distinct
}
