package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// fuzzRoutes are the endpoints that take a body.
var fuzzRoutes = []struct{ method, path string }{
	{"POST", "/v1/promos"},
	{"PUT", "/v1/users/ana"},
	{"POST", "/v1/users/batch"},
	{"PUT", "/v1/users/ana/location"},
	{"POST", "/v1/users/ana/purchases"},
	{"POST", "/v1/promos/p1/reservations"},
	{"POST", "/v1/reservations/r1/purchase"},
}

// FuzzBodies sends any body to every endpoint that reads one: never a 5xx,
// and a refused request leaves the log as it was. The seeds are the
// contract's examples and their near misses (testdata/fuzz holds more).
func FuzzBodies(f *testing.F) {
	for _, seed := range []string{
		`{"store":{"id":"techshop","name":"TechShop","location":{"lat":19.4326,"lng":-99.1332}},"product":{"id":"audifonos-xyz","name":"Audífonos XYZ"},"regular_price":{"amount":99900,"currency":"MXN"},"promo_price":{"amount":49900,"currency":"MXN"},"segments":["new_users","frequent_buyers"],"radius_m":2000,"starts_at":"2026-11-27T17:00:00-06:00","ends_at":"2026-11-27T19:00:00-06:00","stock":50}`,
		`{"registered_at":"2026-11-01T00:00:00Z","location":{"lat":19.43,"lng":-99.13}}`,
		`{"users":[{"user_id":"bo","registered_at":"2026-11-01T00:00:00Z"}]}`,
		`{"lat":19.43,"lng":-99.13}`,
		`{"lat":91,"lng":-99.13}`,
		`{"purchase_id":"o-1","purchased_at":"2026-11-20T10:00:00Z"}`,
		`{"user_id":"ana"}`,
		`{"user_id":""}`,
		`{"stock":1e400}`,
		`[]`, `null`, `{`, `{"a":1}{"b":2}`, "",
	} {
		for r := range fuzzRoutes {
			f.Add(uint8(r), []byte(seed))
		}
	}
	clock := newFakeClock(t0)
	cfg := defaultConfig()
	cfg.AdminToken, cfg.Tick = testToken, time.Hour
	svc, err := newService(context.Background(), cfg, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(svc.close)
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	ready := make(chan struct{})
	go svc.run(ctx, func() { close(ready) }) //nolint:errcheck // ends with the fuzz run
	<-ready
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		before, err := svc.store.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+testToken)
		rec := httptest.NewRecorder()
		svc.handler.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, rec.Code, rec.Body)
		}
		after, _ := svc.store.Head(context.Background())
		if rec.Code >= http.StatusBadRequest && after != before {
			t.Fatalf("%s %s %q was refused with %d but wrote to the log", r.method, r.path, body, rec.Code)
		}
	})
}
