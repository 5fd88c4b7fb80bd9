package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"

	"github.com/flashpromo/flashpromo/ports/auth"
)

// BenchmarkVerify is the price of a credential on every request: the admin
// token, and a client's HS256 or RS256 JWT, verified afresh (a token never
// seen) or found in the cache of verified tokens (a user's next request).
// The hs256 tokens carry a kid, so the parser reads them; hs256-plain are
// Mint's, which verifyPlainHS256 reads.
func BenchmarkVerify(b *testing.B) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		b.Fatal(err)
	}
	jwk, err := jwkset.NewJWKFromKey(key.Public(), jwkset.JWKOptions{Metadata: jwkset.JWKMetadataOptions{KID: "k1", ALG: jwkset.AlgRS256}})
	if err != nil {
		b.Fatal(err)
	}
	set, _ := json.Marshal(jwkset.JWKSMarshal{Keys: []jwkset.JWKMarshal{jwk.Marshal()}})
	file := filepath.Join(b.TempDir(), "jwks.json")
	if err := os.WriteFile(file, set, 0o600); err != nil {
		b.Fatal(err)
	}
	v, err := auth.New(context.Background(), auth.Config{AdminToken: "admin", JWTSecret: "secret", JWKSFile: file,
		Now: func() time.Time { return now }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Close)
	sign := func(m jwt.SigningMethod, k any, i int) string {
		t := jwt.NewWithClaims(m, jwt.MapClaims{"sub": fmt.Sprintf("u%d", i), "exp": now.Add(time.Hour).Unix()})
		t.Header["kid"] = "k1"
		s, err := t.SignedString(k)
		if err != nil {
			b.Fatal(err)
		}
		return "Bearer " + s
	}
	const n = 4096
	seen := n // tokens made so far: a fresh one is never one of them
	for _, c := range []struct {
		name string
		tok  func(i int) string
	}{
		{"hs256", func(i int) string { return sign(jwt.SigningMethodHS256, []byte("secret"), i) }},
		{"rs256", func(i int) string { return sign(jwt.SigningMethodRS256, key, i) }},
		{"hs256-plain", func(i int) string { // Mint's header: the fast path
			t, err := auth.Mint("secret", auth.Token{Subject: fmt.Sprintf("u%d", i), IssuedAt: now, TTL: time.Hour})
			if err != nil {
				b.Fatal(err)
			}
			return "Bearer " + t
		}},
	} {
		tokens := make([]string, n)
		for i := range tokens {
			tokens[i] = c.tok(i)
		}
		b.Run(c.name+"/fresh", func(b *testing.B) {
			fresh := make([]string, 0, b.N)
			for range b.N {
				seen++
				fresh = append(fresh, c.tok(seen)) // never seen: no cache hit
			}
			b.ResetTimer()
			for i := range b.N {
				if _, err := v.Verify(context.Background(), fresh[i]); err != nil {
					b.Fatal(err)
				}
			}
		})
		for _, t := range tokens { // verified once, then cached
			if _, err := v.Verify(context.Background(), t); err != nil {
				b.Fatal(err)
			}
		}
		time.Sleep(100 * time.Millisecond) // ristretto admits sets asynchronously
		b.Run(c.name+"/cached", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := v.Verify(context.Background(), tokens[i%n]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	}
	b.Run("admin-token", func(b *testing.B) {
		for b.Loop() {
			if _, err := v.Verify(context.Background(), "Bearer admin"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
