package auth

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"testing"
	"time"
)

var fuzzNow = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func plainVerifier(t testing.TB) *Verifier {
	v, err := New(context.Background(), Config{JWTSecret: "s3cret", Issuer: "idp", Audience: "flashpromo",
		Now: func() time.Time { return fuzzNow }}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

// signed is a token of the header, the payload as it is, and an HS256
// signature with key.
func signed(head string, payload []byte, key string) string {
	input := head + "." + base64.RawURLEncoding.EncodeToString(payload)
	mac := hmac.New(sha256.New, []byte(key))
	mac.Write([]byte(input))
	return input + "." + base64.RawURLEncoding.EncodeToString(mac.Sum(nil))
}

// FuzzPlainHS256IsTheParser signs any payload under a plain header, with
// the secret or another key, and checks that the fast path accepts only
// what golang-jwt's parser accepts, with the same claims.
func FuzzPlainHS256IsTheParser(f *testing.F) {
	exp, iat := fuzzNow.Add(time.Hour).Unix(), fuzzNow.Unix()
	for _, p := range []string{
		`{"iss":"idp","aud":"flashpromo","sub":"ana","exp":%d,"iat":%d}`,
		`{"iss":"idp","aud":["x","flashpromo"],"sub":"m","roles":["store"],"store_id":"techshop","exp":%d,"iat":%d}`,
		`{"ISS":"idp","Aud":"flashpromo","SUB":"ana","Exp":%d,"iat":%d}`,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","sub":"bob","exp":%d,"iat":%d}`,
		`{"iss":"idp","aud":"flashpromo","sub":"\u0061n\u00e1","exp":%d.5,"iat":%d} `,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","exp":%d,"iat":%d} {}`,
		"{\"iss\":\"idp\",\"aud\":\"flashpromo\",\"sub\":\"a\xffna\",\"exp\":%d,\"iat\":%d}", // not UTF-8
		`{"iss":"idp","aud":"flashpromo","sub":"ana","exp":"%d","iat":%d}`,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","roles":null,"x":{"y":[1]},"exp":%d,"iat":%d}`,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","exp":%de0,"iat":%d,"nbf":1e20}`,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","exp":%d,"iat":%d,"nbf":1e10}`,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","iat":%[2]d}`,
		`{"iss":"idp","aud":"flashpromo","sub":"ana","exp":%[2]d,"iat":%[1]d}`,
		`{"iss":"other","aud":"flashpromo","sub":"ana","exp":%d,"iat":%d}`,
		`{"iss":"idp","aud":["flash","promo"],"sub":"ana","exp":%d,"iat":%d}`,
	} {
		for _, key := range []string{"s3cret", "other"} {
			f.Add([]byte(fmt.Sprintf(p, exp, iat)), false, key)
			f.Add([]byte(fmt.Sprintf(p, exp, iat)), true, key)
		}
	}
	v := plainVerifier(f)
	heads := [2]string{"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9", "eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9"}
	f.Fuzz(func(t *testing.T, payload []byte, reversed bool, key string) {
		head := heads[0]
		if reversed {
			head = heads[1]
		}
		token := signed(head, payload, key)
		fast, ok := v.verifyPlainHS256(token)
		var lib claims
		_, err := v.parser.ParseWithClaims(token, &lib, v.keyFor(context.Background()))
		switch {
		case ok && err != nil:
			t.Fatalf("the fast path accepted %q, which the parser refuses: %v", payload, err)
		case ok && !reflect.DeepEqual(fast, lib):
			t.Fatalf("%q: the fast path read %+v, the parser %+v", payload, fast, lib)
		}
	})
}

// The tokens Mint signs, those of the reads, take the fast path; a token
// with any other header, or a refused one, is left to the parser.
func TestMintedTokensTakeThePlainPath(t *testing.T) {
	v := plainVerifier(t)
	tok, err := Mint("s3cret", Token{Subject: "ana", Issuer: "idp", Audience: "flashpromo", IssuedAt: fuzzNow, TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	if c, ok := v.verifyPlainHS256(tok); !ok || c.Subject != "ana" {
		t.Errorf("a minted token: %+v, %v; want ana, true", c, ok)
	}
	late, _ := Mint("s3cret", Token{Subject: "ana", Issuer: "idp", Audience: "flashpromo", IssuedAt: fuzzNow.Add(-2 * time.Hour), TTL: time.Hour})
	other, _ := Mint("other", Token{Subject: "ana", Issuer: "idp", Audience: "flashpromo", IssuedAt: fuzzNow, TTL: time.Hour})
	kid := signed("eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0", []byte(`{"sub":"ana"}`), "s3cret")
	for name, tok := range map[string]string{"expired": late, "another key": other, "a kid in the header": kid} {
		if _, ok := v.verifyPlainHS256(tok); ok {
			t.Errorf("%s: taken by the fast path", name)
		}
	}
}
