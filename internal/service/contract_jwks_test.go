package service

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/MicahParks/jwkset"
	"github.com/golang-jwt/jwt/v5"
)

// idpKey is a signing key of the identity provider's, published by kid.
type idpKey struct {
	kid    string
	alg    jwkset.ALG
	method jwt.SigningMethod
	signer crypto.Signer
}

func newIDPKeys(t testing.TB) (rsaKey, ecKey, edKey idpKey) {
	t.Helper()
	r, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	e, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	_, d, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return idpKey{"rsa-1", jwkset.AlgRS256, jwt.SigningMethodRS256, r},
		idpKey{"ec-1", jwkset.AlgES256, jwt.SigningMethodES256, e},
		idpKey{"ed-1", jwkset.AlgEdDSA, jwt.SigningMethodEdDSA, d}
}

// sign makes a bearer token of claims signed by k, naming its kid.
func (k idpKey) sign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok := jwt.NewWithClaims(k.method, claims)
	tok.Header["kid"] = k.kid
	s, err := tok.SignedString(k.signer)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + s
}

// jwksOf is the public JWK Set of keys.
func jwksOf(t testing.TB, keys ...idpKey) []byte {
	t.Helper()
	var set jwkset.JWKSMarshal
	for _, k := range keys {
		jwk, err := jwkset.NewJWKFromKey(k.signer.Public(), jwkset.JWKOptions{
			Metadata: jwkset.JWKMetadataOptions{KID: k.kid, ALG: k.alg, USE: jwkset.UseSig}})
		if err != nil {
			t.Fatal(err)
		}
		set.Keys = append(set.Keys, jwk.Marshal())
	}
	data, err := json.Marshal(set)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// idp serves a JWK Set that the test changes, and counts its fetches.
type idp struct {
	mu      sync.Mutex
	set     []byte
	down    bool
	fetches atomic.Int64
}

func (p *idp) publish(set []byte) { p.mu.Lock(); p.set, p.down = set, false; p.mu.Unlock() }
func (p *idp) fail()              { p.mu.Lock(); p.down = true; p.mu.Unlock() }

func (p *idp) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	p.fetches.Add(1)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(p.set)
}

// TestContractJWKS: tokens signed with RS256, ES256 and EdDSA keys of a
// JWK Set served over HTTP; a rotated-in kid is fetched without a restart,
// at most once a minute; a set that goes down keeps its last good keys;
// HS256 is refused where only a key set is configured.
func TestContractJWKS(t *testing.T) {
	rsaKey, ecKey, edKey := newIDPKeys(t)
	keys := &idp{}
	keys.publish(jwksOf(t, rsaKey, ecKey, edKey))
	srv := httptest.NewServer(keys)
	t.Cleanup(srv.Close)
	a, _ := ctAuthServer(t, func(c *Config) { c.Auth.JWTSecret, c.Auth.JWKSURL = "", srv.URL })
	now := a.now()

	for _, k := range []idpKey{rsaKey, ecKey, edKey} {
		a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, k.sign(t, ctClaims("ana", now)))
	}
	der, err := x509.MarshalPKIXPublicKey(rsaKey.signer.Public())
	if err != nil {
		t.Fatal(err)
	}
	confused := jwt.NewWithClaims(jwt.SigningMethodHS256, ctClaims("ana", now))
	confused.Header["kid"] = rsaKey.kid
	withPublicKey, err := confused.SignedString(der) // the RSA public key as an HMAC secret
	if err != nil {
		t.Fatal(err)
	}
	rotated := idpKey{"rsa-2", jwkset.AlgRS256, jwt.SigningMethodRS256, mustRSA(t)}
	ctRefuseAll(t, a, []ctErrCase{
		{"HS256 where only a key set is configured", "PUT", "/v1/users/ana/location", far, ctSign(t, ctClaims("ana", now)), 401, "unauthorized", ""},
		{"HS256 keyed with the RSA public key", "PUT", "/v1/users/ana/location", far, "Bearer " + withPublicKey, 401, "unauthorized", ""},
		{"RS256 claiming the EC key's kid", "PUT", "/v1/users/ana/location", far, idpKey{ecKey.kid, jwkset.AlgRS256, jwt.SigningMethodRS256, rsaKey.signer}.sign(t, ctClaims("ana", now)), 401, "unauthorized", ""},
		{"a key the provider never published", "PUT", "/v1/users/ana/location", far, rotated.sign(t, ctClaims("ana", now)), 401, "unauthorized", ""},
	})

	// The provider rotates rsa-2 in: the first token that names it fetches
	// the set again, without a restart. Nothing asked for a new kid since the
	// refused one above, whose fetch is the one a minute allows, so this
	// test runs on a limiter of its own: a server started now.
	b, _ := ctAuthServer(t, func(c *Config) { c.Auth.JWTSecret, c.Auth.JWKSURL = "", srv.URL })
	keys.publish(jwksOf(t, rsaKey, rotated))
	before := keys.fetches.Load()
	b.expect(http.StatusOK, "GET", "/v1/users/ana", nil, rotated.sign(t, ctClaims("ana", now)))
	if got := keys.fetches.Load() - before; got != 1 {
		t.Errorf("the new kid made %d fetches, want 1", got)
	}
	unknown := idpKey{"rsa-3", jwkset.AlgRS256, jwt.SigningMethodRS256, mustRSA(t)}
	b.refuse(http.StatusUnauthorized, "unauthorized", "GET", "/v1/users/ana", nil, unknown.sign(t, ctClaims("ana", now)))
	if got := keys.fetches.Load() - before; got != 1 {
		t.Errorf("a second unknown kid within the minute fetched again: %d fetches, want 1", got)
	}

	keys.fail()
	b.expect(http.StatusOK, "GET", "/v1/users/bea", nil, rotated.sign(t, ctClaims("bea", now))) // a new token: not from the cache
}

func mustRSA(t *testing.T) *rsa.PrivateKey {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestContractJWKSFile: a key set read from FLASHPROMO_JWKS_FILE.
func TestContractJWKSFile(t *testing.T) {
	_, ecKey, _ := newIDPKeys(t)
	file := filepath.Join(t.TempDir(), "jwks.json")
	if err := os.WriteFile(file, jwksOf(t, ecKey), 0o600); err != nil {
		t.Fatal(err)
	}
	a, _ := ctAuthServer(t, func(c *Config) { c.Auth.JWKSFile = file })
	a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, ecKey.sign(t, ctClaims("ana", a.now())))
	a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, ctSign(t, ctClaims("ana", a.now()))) // the secret still works beside it
	a.refuse(http.StatusForbidden, "forbidden", "GET", "/v1/users/bea", nil, ecKey.sign(t, ctClaims("ana", a.now())))
}
