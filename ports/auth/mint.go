package auth

import (
	"errors"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Token describes a token to mint.
type Token struct {
	Subject  string
	Roles    []string // none: the claim is left out, which means client
	StoreID  string
	Issuer   string
	Audience string
	IssuedAt time.Time
	TTL      time.Duration
}

// Mint signs t with HS256 and secret: tokens for local use and tests,
// verified like the identity provider's.
func Mint(secret string, t Token) (string, error) {
	if secret == "" {
		return "", errors.New("auth: no JWT secret to sign with (FLASHPROMO_JWT_SECRET)")
	}
	if t.Subject == "" || t.TTL <= 0 {
		return "", errors.New("auth: a token needs a subject and a positive TTL")
	}
	c := claims{RegisteredClaims: jwt.RegisteredClaims{
		Subject:   t.Subject,
		Issuer:    t.Issuer,
		IssuedAt:  jwt.NewNumericDate(t.IssuedAt),
		ExpiresAt: jwt.NewNumericDate(t.IssuedAt.Add(t.TTL)),
	}, StoreID: t.StoreID}
	if t.Audience != "" {
		c.Audience = jwt.ClaimStrings{t.Audience}
	}
	if len(t.Roles) > 0 {
		c.Roles = &t.Roles
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString([]byte(secret))
}
