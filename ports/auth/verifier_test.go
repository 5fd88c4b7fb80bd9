package auth_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/ports/auth"
)

// clock is a settable time for the verifier.
type clock struct{ now time.Time }

func (c *clock) Now() time.Time { return c.now }

func newVerifier(t *testing.T, c *clock) *auth.Verifier {
	t.Helper()
	v, err := auth.New(context.Background(), auth.Config{AdminToken: "op", JWTSecret: "s3cret", Now: c.Now},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// A minted token comes back as the principal it names; the roles claim,
// absent, means a client; unknown role names are ignored.
func TestMintedTokensVerify(t *testing.T) {
	c := &clock{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	v := newVerifier(t, c)
	for _, tc := range []struct {
		token auth.Token
		want  auth.Principal
	}{
		{auth.Token{Subject: "ana"}, auth.Principal{Subject: "ana", Roles: auth.Roles(auth.Client)}},
		{auth.Token{Subject: "m", Roles: []string{"store", "superuser"}, StoreID: "techshop"},
			auth.Principal{Subject: "m", Roles: auth.Roles(auth.Store), StoreID: "techshop"}},
		{auth.Token{Subject: "al", Roles: []string{"analyst", "admin"}}, auth.Principal{Subject: "al", Roles: auth.Roles(auth.Analyst | auth.Admin)}},
	} {
		tc.token.IssuedAt, tc.token.TTL = c.now, time.Hour
		tok, err := auth.Mint("s3cret", tc.token)
		if err != nil {
			t.Fatal(err)
		}
		got, err := v.Verify(context.Background(), "Bearer "+tok)
		if err != nil || got != tc.want {
			t.Errorf("%+v: got %+v, %v; want %+v", tc.token, got, err, tc.want)
		}
	}
	if p, err := v.Verify(context.Background(), "Bearer op"); err != nil || !p.Operator || p.Roles != auth.AllRoles || p.Subject != auth.AdminSubject {
		t.Errorf("the admin token: %+v, %v", p, err)
	}
}

// Refusals all wrap ErrUnauthorized; a cached token still expires by the
// verifier's clock, not by the cache's.
func TestRefusals(t *testing.T) {
	c := &clock{time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	v := newVerifier(t, c)
	storeless, _ := auth.Mint("s3cret", auth.Token{Subject: "m", Roles: []string{"store"}, IssuedAt: c.now, TTL: time.Hour})
	short, _ := auth.Mint("s3cret", auth.Token{Subject: "ana", IssuedAt: c.now, TTL: time.Minute})
	for name, header := range map[string]string{
		"empty": "", "not bearer": "Token op", "wrong admin token": "Bearer nope",
		"a store token without store_id": "Bearer " + storeless,
	} {
		if _, err := v.Verify(context.Background(), header); !errors.Is(err, auth.ErrUnauthorized) {
			t.Errorf("%s: %v, want ErrUnauthorized", name, err)
		}
	}
	if _, err := v.Verify(context.Background(), "Bearer "+short); err != nil {
		t.Fatal(err)
	}
	c.now = c.now.Add(time.Minute + auth.Leeway + time.Second)
	if _, err := v.Verify(context.Background(), "Bearer "+short); !errors.Is(err, auth.ErrUnauthorized) {
		t.Errorf("a cached token past exp and the leeway: %v, want ErrUnauthorized", err)
	}
	if _, err := auth.Mint("", auth.Token{Subject: "a", TTL: time.Hour}); err == nil {
		t.Error("minting without a secret: no error")
	}
}
