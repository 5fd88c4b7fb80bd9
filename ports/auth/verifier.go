package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/dgraph-io/ristretto/v2"
	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/time/rate"
)

// Leeway is the clock skew allowed on exp, nbf and iat.
const Leeway = 30 * time.Second

// Config says which credentials are accepted.
type Config struct {
	AdminToken string
	JWTSecret  string // HS256
	JWKSURL    string // a JWK Set fetched again on an unknown kid, at most once a minute
	JWKSFile   string // a JWK Set read once at start
	Issuer     string // when set, iss must match
	Audience   string // when set, aud must contain it
	Now        func() time.Time
}

// ErrUnauthorized is wrapped by every refusal of a credential.
var ErrUnauthorized = errors.New("unauthorized")

// Verifier checks bearer credentials.
type Verifier struct {
	admin     []byte
	secret    []byte
	keys      keyfunc.Keyfunc // nil without a key set
	parser    *jwt.Parser
	validator *jwt.Validator // the parser's checks of the claims
	now       func() time.Time
	cache     *ristretto.Cache[string, verified]
}

// verified is a token that passed, kept until it expires.
type verified struct {
	p   Principal
	exp time.Time
}

// New builds a verifier; ctx ends the key set's background refresh.
func New(ctx context.Context, cfg Config, log *slog.Logger) (*Verifier, error) {
	v := &Verifier{admin: []byte(cfg.AdminToken), secret: []byte(cfg.JWTSecret), now: cfg.Now}
	if v.now == nil {
		v.now = time.Now
	}
	var err error
	if v.keys, err = keySet(ctx, cfg, log); err != nil {
		return nil, err
	}
	opts := v.parserOptions(cfg)
	v.parser, v.validator = jwt.NewParser(opts...), jwt.NewValidator(opts...)
	v.cache, err = ristretto.NewCache(&ristretto.Config[string, verified]{
		NumCounters: 1 << 18, MaxCost: cacheBytes, BufferItems: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("auth: token cache: %w", err)
	}
	return v, nil
}

func (v *Verifier) parserOptions(cfg Config) []jwt.ParserOption {
	var methods []string
	if len(v.secret) > 0 {
		methods = append(methods, "HS256")
	}
	if v.keys != nil {
		methods = append(methods, "RS256", "ES256", "EdDSA")
	}
	opts := []jwt.ParserOption{jwt.WithValidMethods(methods), jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(), jwt.WithLeeway(Leeway), jwt.WithTimeFunc(v.now)}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	return opts
}

// keySet loads the JWK Set of the URL or the file, if any.
func keySet(ctx context.Context, cfg Config, log *slog.Logger) (keyfunc.Keyfunc, error) {
	switch {
	case cfg.JWKSURL != "" && cfg.JWKSFile != "":
		return nil, errors.New("auth: set a JWKS URL or a JWKS file, not both")
	case cfg.JWKSFile != "":
		raw, err := os.ReadFile(cfg.JWKSFile)
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS file: %w", err)
		}
		k, err := keyfunc.NewJWKSetJSON(raw)
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS file %s: %w", cfg.JWKSFile, err)
		}
		return k, nil
	case cfg.JWKSURL != "":
		noError := true // a URL down at start is retried on the first unknown kid
		k, err := keyfunc.NewDefaultOverrideCtx(ctx, []string{cfg.JWKSURL}, keyfunc.Override{
			HTTPTimeout:               5 * time.Second,
			NoErrorReturnFirstHTTPReq: &noError,
			RefreshInterval:           time.Hour,
			// An unknown kid fetches the set again at most once a minute; a
			// request never queues for that: past the limit it is refused.
			RefreshUnknownKID: rate.NewLimiter(rate.Every(time.Minute), 1),
			RateLimitWaitMax:  5 * time.Second,
			RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
				return func(_ context.Context, err error) {
					log.Warn("JWKS fetch failed; keeping the last good keys", "url", u, "err", err)
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("auth: JWKS URL: %w", err)
		}
		return k, nil
	}
	return nil, nil
}

// Describe says which credentials are accepted, for the log's first lines.
func (v *Verifier) Describe() string {
	var on []string
	if len(v.admin) > 0 {
		on = append(on, "admin token")
	}
	if len(v.secret) > 0 {
		on = append(on, "JWT HS256 (FLASHPROMO_JWT_SECRET)")
	}
	if v.keys != nil {
		on = append(on, "JWT RS256/ES256/EdDSA (JWK Set)")
	}
	if len(on) == 1 && len(v.admin) > 0 {
		return "admin token only (set FLASHPROMO_JWT_SECRET or a JWK Set to accept users' JWTs)"
	}
	return strings.Join(on, ", ")
}

// Verify checks the Authorization header's bearer credential.
func (v *Verifier) Verify(ctx context.Context, header string) (Principal, error) {
	token, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || token == "" {
		return Principal{}, fmt.Errorf("%w: a bearer credential is required", ErrUnauthorized)
	}
	if len(v.admin) > 0 && subtle.ConstantTimeCompare([]byte(token), v.admin) == 1 {
		return Principal{Subject: AdminSubject, Roles: AllRoles, Operator: true}, nil
	}
	if len(v.secret) == 0 && v.keys == nil {
		return Principal{}, fmt.Errorf("%w: wrong token", ErrUnauthorized)
	}
	if hit, ok := v.cache.Get(token); ok && !v.now().After(hit.exp.Add(Leeway)) {
		return hit.p, nil
	}
	return v.verifyJWT(ctx, token)
}

// claims are the JWT's claims of the contract.
type claims struct {
	jwt.RegisteredClaims
	Roles   *[]string `json:"roles,omitempty"`
	StoreID string    `json:"store_id,omitempty"`
}

func (v *Verifier) verifyJWT(ctx context.Context, token string) (Principal, error) {
	c, ok := v.verifyPlainHS256(token)
	if !ok {
		if _, err := v.parser.ParseWithClaims(token, &c, v.keyFor(ctx)); err != nil {
			return Principal{}, fmt.Errorf("%w: %w", ErrUnauthorized, err)
		}
	}
	p := Principal{Subject: c.Subject, Roles: Roles(Client), StoreID: c.StoreID}
	if c.Roles != nil {
		p.Roles = ParseRoles(*c.Roles)
	}
	switch {
	case p.Subject == "":
		return Principal{}, fmt.Errorf("%w: the token has no sub", ErrUnauthorized)
	case p.Roles.Has(Store) && p.StoreID == "":
		return Principal{}, fmt.Errorf("%w: a store token needs store_id", ErrUnauthorized)
	}
	exp := c.ExpiresAt.Time
	if ttl := min(exp.Add(Leeway).Sub(v.now()), cacheFor); ttl > 0 {
		v.cache.SetWithTTL(token, verified{p, exp}, entryBytes+int64(len(p.Subject)+len(p.StoreID)), ttl)
	}
	return p, nil
}

// A verification is kept for a minute at most: long enough for a caller's
// burst of requests, short enough that the cache holds the callers of the
// last minute, bounded by the traffic rather than growing with every token
// ever seen, and that a token meets the key set again at least once a minute.
const cacheFor = time.Minute

// entryBytes is what ristretto holds for one verified token besides its
// strings (measured: its item, expiry bucket entry and our principal); the
// token itself is not kept, only its hash.
const entryBytes = 272

// keyFor picks the key by the token's algorithm: the shared secret for
// HS256, else the key set's key of the token's kid. The parser has already
// refused an algorithm that is not configured.
func (v *Verifier) keyFor(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		if t.Method.Alg() == "HS256" {
			return v.secret, nil
		}
		return v.keys.KeyfuncCtx(ctx)(t)
	}
}

// cacheBytes bounds the verified tokens' memory: some 60,000 callers in a
// minute.
const cacheBytes = 16 << 20

// Close stops the token cache.
func (v *Verifier) Close() { v.cache.Close() }
