package service

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/ports/auth"
)

const (
	testToken  = "test-admin-token"
	testSecret = "test-jwt-secret-of-32-bytes-or-more"
)

// fakeClock is the service's clock in component tests: time moves only
// when the test says, so nothing depends on the speed of the machine.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is the whole service, in process, behind a real HTTP server.
type testServer struct {
	t     testing.TB
	URL   string
	clock *fakeClock
	svc   *Service
	stop  func()
}

// t0 is the tests' "now": 2026-11-27 16:00 in Mexico City.
var t0 = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)

// startServer runs the service on the embedded store unless configure sets
// a database URL.
func startServer(t testing.TB, clock *fakeClock, configure ...func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.AdminToken = testToken
	cfg.Auth.JWTSecret = testSecret
	cfg.Tick = 5 * time.Millisecond
	cfg.ReserveRate = 1000
	for _, f := range configure {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(ctx, cfg, clock, log)
	if err != nil {
		cancel()
		t.Fatalf("new service: %v", err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("service stopped before it was ready: %v", err)
	}
	srv := httptest.NewServer(svc.Handler())
	s := &testServer{t: t, URL: srv.URL, clock: clock, svc: svc}
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			srv.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("service run: %v", err)
			}
			svc.Close()
		})
	}
	t.Cleanup(s.stop)
	return s
}

// response is a decoded reply.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// code is the error code of an error reply.
func (r response) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// call sends a request as the operator (admin) or else as the user the
// request names, with that user's own client token; a request that names
// no user goes as the operator.
func (s *testServer) call(method, path string, body any, admin bool) response {
	s.t.Helper()
	auth := "Bearer " + testToken
	if user := userNamedBy(path, body); !admin && user != "" {
		auth = clientToken(s.t, user, s.clock.Now())
	}
	return s.send(method, path, body, map[string]string{"Authorization": auth})
}

// userNamedBy finds the user a request acts for: /v1/users/{id}..., a
// user_id in the body or in the query.
func userNamedBy(path string, body any) string {
	u, err := url.Parse(path)
	if err != nil {
		return ""
	}
	if rest, ok := strings.CutPrefix(u.Path, "/v1/users/"); ok {
		return strings.Split(rest, "/")[0]
	}
	if m, ok := body.(map[string]any); ok {
		id, _ := m["user_id"].(string)
		return id
	}
	return u.Query().Get("user_id")
}

// clientToken is the Authorization header of user's client token, valid
// for a year of the tests' clock from now.
func clientToken(t testing.TB, user string, now time.Time) string {
	t.Helper()
	tok, err := auth.Mint(testSecret, auth.Token{Subject: user, IssuedAt: now, TTL: 365 * 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// callWith is call as an admin, with more headers.
func (s *testServer) callWith(method, path string, body any, headers map[string]string) response {
	s.t.Helper()
	headers["Authorization"] = "Bearer " + testToken
	return s.send(method, path, body, headers)
}

func (s *testServer) send(method, path string, body any, headers map[string]string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = bytes.NewBufferString(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	s.conform(req, res, raw)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			s.t.Fatalf("%s %s: reply is not a JSON object: %q", method, path, raw)
		}
	}
	return r
}

// must calls and requires the status.
func (s *testServer) must(status int, method, path string, body any, admin bool) response {
	s.t.Helper()
	r := s.call(method, path, body, admin)
	if r.Status != status {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Raw)
	}
	return r
}

// refused calls and requires the status and the error code.
func (s *testServer) refused(status int, code, method, path string, body any, admin bool) {
	s.t.Helper()
	r := s.call(method, path, body, admin)
	if r.Status != status || r.code() != code {
		s.t.Fatalf("%s %s: got %d %q, want %d %q: %s", method, path, r.Status, r.code(), status, code, r.Raw)
	}
}

// eventually polls cond until it holds or the deadline passes; it waits for
// background work (the scheduler, the fan-out), never for a speed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(45 * time.Second) // generous: a loaded CI machine is slow, never wrong
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Fixtures of the seed's story: TechShop in Mexico City.
var techshop = map[string]any{"id": "techshop", "name": "TechShop", "location": map[string]any{"lat": 19.4326, "lng": -99.1332}}

func promoBody(starts, ends time.Time, stock int) map[string]any {
	return map[string]any{
		"store":         techshop,
		"product":       map[string]any{"id": "audifonos-xyz", "name": "Audífonos XYZ"},
		"regular_price": map[string]any{"amount": 99900, "currency": "MXN"},
		"promo_price":   map[string]any{"amount": 49900, "currency": "MXN"},
		"segments":      []string{"new_users", "frequent_buyers"},
		"radius_m":      2000,
		"starts_at":     starts.Format(time.RFC3339),
		"ends_at":       ends.Format(time.RFC3339),
		"stock":         stock,
	}
}

// near is about 440 m from TechShop; far is about 11 km away.
var (
	near = map[string]any{"lat": 19.43, "lng": -99.13}
	far  = map[string]any{"lat": 19.33, "lng": -99.13}
)

// newUser registers a new user (registered three days before now) at loc.
func (s *testServer) newUser(id string, loc map[string]any) {
	s.t.Helper()
	body := map[string]any{"registered_at": s.clock.Now().Add(-72 * time.Hour).Format(time.RFC3339)}
	if loc != nil {
		body["location"] = loc
	}
	s.must(http.StatusOK, "PUT", "/v1/users/"+id, body, true)
}
