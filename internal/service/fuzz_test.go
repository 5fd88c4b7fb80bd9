package service

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
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
	svc := fuzzService(f)
	f.Fuzz(func(t *testing.T, route uint8, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		fuzzRequest(t, svc, r.method, r.path, "Bearer "+testToken, body)
	})
}

// FuzzAuthorization sends any Authorization header, with any body, to any
// route that takes one: never a 5xx, and a refusal writes nothing. The
// seeds are good credentials and the contract's bad ones.
func FuzzAuthorization(f *testing.F) {
	claims := func(sub string, exp time.Duration, roles ...string) jwt.MapClaims {
		c := jwt.MapClaims{"sub": sub, "iat": t0.Unix(), "exp": t0.Add(exp).Unix()}
		if len(roles) > 0 {
			c["roles"] = roles
		}
		return c
	}
	sign := func(m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		tok, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			f.Fatal(err)
		}
		return "Bearer " + tok
	}
	secret := []byte(testSecret)
	for _, seed := range []string{
		"Bearer " + testToken, "Bearer " + testToken + "x", "Bearer ", "", "Basic dXNlcjpwdw==", "bearer " + testToken,
		sign(jwt.SigningMethodHS256, secret, claims("ana", time.Hour)),
		sign(jwt.SigningMethodHS256, secret, claims("ana", time.Hour, "admin")),
		sign(jwt.SigningMethodHS256, secret, claims("ana", -time.Hour)),
		sign(jwt.SigningMethodHS256, []byte("other"), claims("ana", time.Hour, "admin")),
		sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims("ana", time.Hour, "admin")),
		sign(jwt.SigningMethodHS512, secret, claims("ana", time.Hour)),
	} {
		for r := range fuzzRoutes {
			f.Add(uint8(r), seed, []byte(`{"user_id":"ana"}`))
		}
	}
	svc := fuzzService(f)
	f.Fuzz(func(t *testing.T, route uint8, authorization string, body []byte) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		code := fuzzRequest(t, svc, r.method, r.path, authorization, body)
		if !strings.HasPrefix(authorization, "Bearer ") && code != http.StatusUnauthorized {
			t.Fatalf("%s %s with Authorization %q: %d, want 401", r.method, r.path, authorization, code)
		}
	})
}

// fuzzService is the service on the embedded store, its clock at t0.
func fuzzService(f *testing.F) *Service {
	clock := newFakeClock(t0)
	cfg := DefaultConfig()
	cfg.AdminToken, cfg.Auth.JWTSecret, cfg.Tick = testToken, testSecret, time.Hour
	svc, err := New(context.Background(), cfg, clock, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(svc.Close)
	ctx, cancel := context.WithCancel(context.Background())
	f.Cleanup(cancel)
	ready := make(chan struct{})
	go svc.Run(ctx, func() { close(ready) }) //nolint:errcheck // ends with the fuzz run
	<-ready
	return svc
}

// fuzzRequest sends one request: never a 5xx, and a refused request
// leaves the log as it was.
func fuzzRequest(t *testing.T, svc *Service, method, path, authorization string, body []byte) int {
	before, err := svc.store.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", authorization)
	rec := httptest.NewRecorder()
	svc.Handler().ServeHTTP(rec, req)
	if rec.Code >= 500 {
		t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
	}
	after, _ := svc.store.Head(context.Background())
	if rec.Code >= http.StatusBadRequest && after != before {
		t.Fatalf("%s %s %q was refused with %d but wrote to the log", method, path, body, rec.Code)
	}
	return rec.Code
}
