package service

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkUserPromosAuth reads GET /v1/users/{id}/promos through the whole
// handler with each kind of credential: the admin token (a constant-time
// compare, the floor), a client's HS256 JWT and a client's RS256 JWT from
// a JWK Set. Each user calls with a token of its own, as in production, so
// the verified-token cache sees as many tokens as users.
func BenchmarkUserPromosAuth(b *testing.B) {
	const users = 1000
	rsaKey, _, _ := newIDPKeys(b)
	file := filepath.Join(b.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwksOf(b, rsaKey), 0o600); err != nil {
		b.Fatal(err)
	}
	s := startServer(b, newFakeClock(t0), func(c *Config) { c.Auth.JWKSFile = file })
	batch := make([]any, users)
	for i := range batch {
		batch[i] = map[string]any{"user_id": fmt.Sprintf("u%04d", i), "registered_at": ctTime(t0.Add(-72 * time.Hour)), "location": near}
	}
	s.expect(http.StatusOK, "POST", "/v1/users/batch", map[string]any{"users": batch}, ctAdmin)
	for i := range 20 {
		body := ctProduct(promoBody(t0.Add(-time.Minute), t0.Add(2*time.Hour), 10), fmt.Sprintf("p%02d", i))
		s.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin)
	}
	claims := func(i int) jwt.MapClaims { return ctClaims(fmt.Sprintf("u%04d", i), t0) }
	for _, c := range []struct {
		name  string
		token func(i int) string
	}{
		{"admin-token", func(int) string { return "Bearer " + testToken }},
		{"hs256", func(i int) string { return ctSign(b, claims(i)) }},
		{"rs256", func(i int) string { return rsaKey.sign(b, claims(i)) }},
	} {
		tokens := make([]string, users)
		for i := range tokens {
			tokens[i] = c.token(i)
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				u := i % users
				req := httptest.NewRequest("GET", fmt.Sprintf("/v1/users/u%04d/promos", u), nil)
				req.Header.Set("Authorization", tokens[u])
				rec := httptest.NewRecorder()
				s.svc.Handler().ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("%d %s", rec.Code, rec.Body)
				}
				i++
			}
		})
	}
}
