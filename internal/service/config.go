package service

import (
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/spf13/pflag"

	"github.com/flashpromo/flashpromo/adapters/readmodel"
	"github.com/flashpromo/flashpromo/domain"
)

// Config is the service's configuration: a flag for each setting (Flags),
// whose FLASHPROMO_* variable applies when the flag is not given (ApplyEnv).
type Config struct {
	HTTPAddr     string
	DatabaseURL  string
	KafkaBrokers string
	// KafkaEmbeddedAddr is where FLASHPROMO_KAFKA_BROKERS=embedded listens.
	KafkaEmbeddedAddr string
	KafkaPartitions   int
	FanoutShards      int // parts of one promo's fan-out the instances share
	AdminToken        string
	MemoryLimit       string // the garbage collector's budget; empty: the container's
	Auth              AuthConfig
	HoldTTL           time.Duration
	ReholdCooldown    time.Duration // holdTTLCooldown (the default) follows HoldTTL
	Timezone          string
	ReserveRate       float64
	Rules             domain.SegmentRules
	Tick              time.Duration // how often the scheduler looks for due promos and expired holds
	// Snapshots of the read models (Postgres only): at most every
	// SnapshotInterval, once SnapshotEvents events were read since the last.
	SnapshotInterval time.Duration
	SnapshotEvents   int
	// NotificationsRetention: older notifications leave the read models
	// (0 keeps them all).
	NotificationsRetention time.Duration

	tracer pgx.QueryTracer // sees every database query (tests count them)
}

// AuthConfig is how users' JWTs are verified (API.md v1.1).
type AuthConfig struct {
	JWTSecret, JWKSURL, JWKSFile, Issuer, Audience string
}

// envOf maps each flag to its variable.
var envOf = map[string]string{
	"http-addr":               "FLASHPROMO_HTTP_ADDR",
	"database-url":            "FLASHPROMO_DATABASE_URL",
	"kafka-brokers":           "FLASHPROMO_KAFKA_BROKERS",
	"kafka-embedded-addr":     "FLASHPROMO_KAFKA_EMBEDDED_ADDR",
	"kafka-partitions":        "FLASHPROMO_KAFKA_PARTITIONS",
	"fanout-shards":           "FLASHPROMO_FANOUT_SHARDS",
	"admin-token":             "FLASHPROMO_ADMIN_TOKEN",
	"memory-limit":            "FLASHPROMO_MEMORY_LIMIT",
	"jwt-secret":              "FLASHPROMO_JWT_SECRET",
	"jwks-url":                "FLASHPROMO_JWKS_URL",
	"jwks-file":               "FLASHPROMO_JWKS_FILE",
	"jwt-issuer":              "FLASHPROMO_JWT_ISSUER",
	"jwt-audience":            "FLASHPROMO_JWT_AUDIENCE",
	"hold-ttl":                "FLASHPROMO_HOLD_TTL",
	"rehold-cooldown":         "FLASHPROMO_REHOLD_COOLDOWN",
	"timezone":                "FLASHPROMO_TIMEZONE",
	"reserve-rate":            "FLASHPROMO_RESERVE_RATE",
	"new-user-days":           "FLASHPROMO_NEW_USER_DAYS",
	"frequent-min-purchases":  "FLASHPROMO_FREQUENT_MIN_PURCHASES",
	"frequent-window-days":    "FLASHPROMO_FREQUENT_WINDOW_DAYS",
	"snapshot-interval":       "FLASHPROMO_SNAPSHOT_INTERVAL",
	"snapshot-events":         "FLASHPROMO_SNAPSHOT_EVENTS",
	"notifications-retention": "FLASHPROMO_NOTIFICATIONS_RETENTION",
}

// DefaultConfig is the configuration of a service given no flag and no
// variable.
func DefaultConfig() Config {
	return Config{HTTPAddr: ":8080", HoldTTL: time.Minute, ReholdCooldown: holdTTLCooldown, Timezone: "UTC", ReserveRate: 5,
		KafkaEmbeddedAddr: "127.0.0.1:9092", KafkaPartitions: 6, FanoutShards: 12,
		Rules: domain.DefaultSegmentRules(), Tick: 100 * time.Millisecond,
		SnapshotInterval: 5 * time.Minute, SnapshotEvents: 100_000, NotificationsRetention: 30 * 24 * time.Hour}
}

// StoreFlags are the flags every command that opens the store takes.
func (c *Config) StoreFlags(fs *pflag.FlagSet) {
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "Postgres URL; empty for the embedded in-memory store")
}

// Flags are the flags of every setting, bound to c.
func (c *Config) Flags(fs *pflag.FlagSet) {
	c.StoreFlags(fs)
	fs.StringVar(&c.HTTPAddr, "http-addr", c.HTTPAddr, "listen address")
	fs.StringVar(&c.KafkaBrokers, "kafka-brokers", c.KafkaBrokers, "Kafka brokers, comma separated; embedded for an in-process broker; empty for the in-process bus")
	fs.StringVar(&c.KafkaEmbeddedAddr, "kafka-embedded-addr", c.KafkaEmbeddedAddr, "address of the embedded Kafka-protocol broker")
	fs.IntVar(&c.KafkaPartitions, "kafka-partitions", c.KafkaPartitions, "partitions of the topics created on start")
	fs.IntVar(&c.FanoutShards, "fanout-shards", c.FanoutShards, "shards of one promo's fan-out, shared by the instances over Kafka")
	fs.StringVar(&c.AdminToken, "admin-token", c.AdminToken, "the operator's bearer token (every role); random when empty")
	c.Auth.flags(fs)
	fs.StringVar(&c.MemoryLimit, "memory-limit", c.MemoryLimit, "soft memory limit of the garbage collector, e.g. 450MiB; empty: 90% of the container's limit, if any")
	fs.DurationVar(&c.HoldTTL, "hold-ttl", c.HoldTTL, "how long a reservation holds a unit")
	fs.Var(cooldownFlag{&c.ReholdCooldown}, "rehold-cooldown", "after a user's hold ran out unused, how long before they may hold that promo again (0: at once)")
	fs.StringVar(&c.Timezone, "timezone", c.Timezone, "IANA zone whose calendar day bounds one notification a user a day")
	fs.Float64Var(&c.ReserveRate, "reserve-rate", c.ReserveRate, "reservation attempts a second allowed to one user")
	fs.IntVar(&c.Rules.NewUserDays, "new-user-days", c.Rules.NewUserDays, "days a user counts as new")
	fs.IntVar(&c.Rules.FrequentMinPurchases, "frequent-min-purchases", c.Rules.FrequentMinPurchases, "purchases that make a frequent buyer")
	fs.IntVar(&c.Rules.FrequentWindowDays, "frequent-window-days", c.Rules.FrequentWindowDays, "days in which those purchases count")
	fs.DurationVar(&c.SnapshotInterval, "snapshot-interval", c.SnapshotInterval, "least time between snapshots of the read models (Postgres only); 0 turns snapshots off, loading included")
	fs.IntVar(&c.SnapshotEvents, "snapshot-events", c.SnapshotEvents, "least events read since the last snapshot before another is saved")
	fs.DurationVar(&c.NotificationsRetention, "notifications-retention", c.NotificationsRetention, "how long notifications stay in the read models (GET /v1/users/{id}/notifications); at least 48h; 0 keeps them all")
}

// ApplyEnv sets each flag not given on the command line from its variable;
// a malformed variable is an error, never a silent default.
func ApplyEnv(fs *pflag.FlagSet) error {
	var err error
	fs.VisitAll(func(f *pflag.Flag) {
		name, ok := envOf[f.Name]
		v, set := os.LookupEnv(name)
		if !ok || !set || f.Changed || err != nil {
			return
		}
		if e := fs.Set(f.Name, v); e != nil {
			err = fmt.Errorf("%s=%q: %w", name, v, e)
		}
	})
	return err
}

// flags are the settings of users' JWTs; secrets are better given by
// their variables than on a command line, where ps shows them.
func (a *AuthConfig) flags(fs *pflag.FlagSet) {
	fs.StringVar(&a.JWTSecret, "jwt-secret", a.JWTSecret, "HS256 secret of users' JWTs (prefer FLASHPROMO_JWT_SECRET)")
	fs.StringVar(&a.JWKSURL, "jwks-url", a.JWKSURL, "URL of the identity provider's JWK Set (RS256, ES256, EdDSA)")
	fs.StringVar(&a.JWKSFile, "jwks-file", a.JWKSFile, "file holding a JWK Set, read at start")
	fs.StringVar(&a.Issuer, "jwt-issuer", a.Issuer, "required iss of JWTs, when set")
	fs.StringVar(&a.Audience, "jwt-audience", a.Audience, "required aud of JWTs, when set")
}

func (c *Config) validate() error {
	switch {
	case c.HoldTTL <= 0:
		return fmt.Errorf("hold TTL must be positive, got %s", c.HoldTTL)
	case c.ReholdCooldown < 0 && c.ReholdCooldown != holdTTLCooldown:
		return fmt.Errorf("rehold cooldown must not be negative, got %s", c.ReholdCooldown)
	case c.KafkaPartitions < 1 || c.FanoutShards < 1:
		return fmt.Errorf("kafka partitions and fan-out shards must be at least 1")
	case c.ReserveRate <= 0:
		return fmt.Errorf("reserve rate must be positive, got %g", c.ReserveRate)
	case c.SnapshotInterval < 0 || c.SnapshotEvents < 0:
		return fmt.Errorf("snapshot interval and events must not be negative")
	case c.NotificationsRetention < 0 || 0 < c.NotificationsRetention && c.NotificationsRetention < readmodel.MinNotificationsRetention:
		return fmt.Errorf("notifications retention must be 0 (keep all) or at least %s, got %s", readmodel.MinNotificationsRetention, c.NotificationsRetention)
	case c.Auth.JWKSURL != "" && c.Auth.JWKSFile != "":
		return fmt.Errorf("set a JWKS URL or a JWKS file, not both")
	case c.Rules.NewUserDays < 0 || c.Rules.FrequentMinPurchases < 1 || c.Rules.FrequentWindowDays < 1:
		return fmt.Errorf("segment rules out of range: %+v", c.Rules)
	}
	if _, err := time.LoadLocation(c.Timezone); err != nil {
		return fmt.Errorf("timezone: %w", err)
	}
	return nil
}

// holdTTLCooldown is the rehold cooldown that follows the hold TTL, the
// default: a sentinel, so that a TTL set later (by a flag, a variable or a
// test) still applies.
const holdTTLCooldown time.Duration = -1

// cooldown is the rehold cooldown in effect.
func (c *Config) cooldown() time.Duration {
	if c.ReholdCooldown == holdTTLCooldown {
		return c.HoldTTL
	}
	return c.ReholdCooldown
}

// cooldownFlag is --rehold-cooldown: a Go duration of at least 0, shown as
// "the hold TTL" while it follows it.
type cooldownFlag struct{ d *time.Duration }

func (f cooldownFlag) String() string {
	if f.d == nil || *f.d == holdTTLCooldown {
		return "the hold TTL"
	}
	return f.d.String()
}

func (f cooldownFlag) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil {
		return err
	}
	if d < 0 {
		return fmt.Errorf("must not be negative")
	}
	*f.d = d
	return nil
}

func (cooldownFlag) Type() string { return "duration" }
