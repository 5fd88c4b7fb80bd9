package service

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestProbesWhileStarting: before the read models have caught up, /livez
// and /healthz answer, /readyz is 503 and says what is missing, the API is
// 503 unavailable (after its credential check); once caught up, all is 200.
func TestProbesWhileStarting(t *testing.T) {
	for _, c := range []struct {
		name      string
		configure func(*Config)
		database  string
	}{
		{"memory", func(*Config) {}, "embedded"},
		{"postgres", onPostgres(pgtest.Schema(t)), "up"},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.AdminToken = testToken
			c.configure(&cfg)
			svc, err := New(context.Background(), cfg, newFakeClock(t0), slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(svc.Close)
			call := func(path, auth string) (int, map[string]any) {
				req := httptest.NewRequest("GET", path, nil)
				if auth != "" {
					req.Header.Set("Authorization", auth)
				}
				rec := httptest.NewRecorder()
				svc.Handler().ServeHTTP(rec, req)
				var body map[string]any
				_ = json.Unmarshal(rec.Body.Bytes(), &body)
				return rec.Code, body
			}
			for path, want := range map[string]int{"/livez": 200, "/healthz": 200, "/readyz": 503} {
				if code, body := call(path, ""); code != want {
					t.Errorf("starting: GET %s: %d %v, want %d", path, code, body, want)
				}
			}
			_, body := call("/readyz", "")
			if checks, _ := body["checks"].(map[string]any); checks["read_models"] != "catching_up" || checks["database"] != c.database || checks["kafka"] != "off" {
				t.Errorf("starting: /readyz says %v", body)
			}
			if code, _ := call("/v1/users/ana", ""); code != http.StatusUnauthorized {
				t.Errorf("starting, no credential: %d, want 401 first", code)
			}
			if code, body := call("/v1/users/ana", "Bearer "+testToken); code != http.StatusServiceUnavailable {
				t.Errorf("starting: GET /v1/users/ana: %d %v, want 503", code, body)
			}

			ctx, cancel := context.WithCancel(context.Background())
			ready, done := make(chan struct{}), make(chan error, 1)
			go func() { done <- svc.Run(ctx, func() { close(ready) }) }()
			t.Cleanup(func() { cancel(); <-done })
			<-ready
			if code, body := call("/readyz", ""); code != http.StatusOK || body["status"] != "ready" {
				t.Errorf("ready: /readyz %d %v", code, body)
			}
			if code, _ := call("/v1/users/ana", "Bearer "+testToken); code != http.StatusNotFound {
				t.Errorf("ready: GET /v1/users/ana: %d, want 404 (no such user)", code)
			}
		})
	}
}
