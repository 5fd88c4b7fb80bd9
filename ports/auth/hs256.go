package auth

import (
	"encoding/base64"
	"strings"

	"github.com/golang-jwt/jwt/v5"
	"github.com/segmentio/encoding/json"
)

// plainHS256 are the headers of HS256 tokens with nothing else to say:
// {"alg":"HS256","typ":"JWT"}, which Mint and most identity providers
// write, and the same with its members the other way round.
var plainHS256 = map[string]bool{
	"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9": true,
	"eyJ0eXAiOiJKV1QiLCJhbGciOiJIUzI1NiJ9": true,
}

// verifyPlainHS256 verifies a token with a plain HS256 header as the
// parser would, without its two costs on a token not seen before: a map
// for the header (its bytes are compared instead) and encoding/json for the
// claims (segmentio's decoder instead). The signature is the library's
// check, and the claims its Validator's. It answers false whenever it does
// not accept the token, which the parser then decides: a refusal keeps the
// parser's words, and the fast path can only accept what the parser
// accepts, with the same claims (FuzzPlainHS256IsTheParser).
func (v *Verifier) verifyPlainHS256(token string) (claims, bool) {
	head, rest, _ := strings.Cut(token, ".")
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || !plainHS256[head] || len(v.secret) == 0 || strings.Contains(sig, ".") {
		return claims{}, false
	}
	mac, err := base64.RawURLEncoding.DecodeString(sig)
	if err != nil || jwt.SigningMethodHS256.Verify(token[:len(head)+1+len(payload)], mac, v.secret) != nil {
		return claims{}, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return claims{}, false
	}
	var c claims
	if json.Unmarshal(raw, &c) != nil || v.validator.Validate(c) != nil {
		return claims{}, false
	}
	return c, true
}
