// Package pgtest gives tests a fresh, migrated Postgres schema of their own
// on the real database. In CI (CI set) or with FLASHPROMO_REQUIRE_DB=1 an
// unreachable database fails the test instead of skipping it: a skipped
// database test has tested nothing.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/eventstore/postgres"
)

// DefaultURL is the test database when FLASHPROMO_TEST_DATABASE_URL is unset.
const DefaultURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// BaseURL is the database tests create their schemas in.
func BaseURL() string {
	if u := os.Getenv("FLASHPROMO_TEST_DATABASE_URL"); u != "" {
		return u
	}
	return DefaultURL
}

// Schema creates an empty schema, migrates it and drops it at cleanup. It
// returns a URL whose search_path points at the schema.
func Schema(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseURL())
	if err != nil {
		unreachable(t, err)
	}
	defer conn.Close(context.Background())
	schema := "flashpromo_test_" + randomHex()
	if _, err := conn.Exec(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() { drop(t, schema) })
	u := WithParam(t, BaseURL(), "search_path", schema)
	if err := postgres.Migrate(ctx, u); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	return u
}

// WithParam sets a query parameter of a database URL.
func WithParam(t testing.TB, raw, key, value string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatalf("parse %s: %v", raw, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func unreachable(t testing.TB, err error) {
	t.Helper()
	msg := "Postgres at " + BaseURL() + " is unreachable: " + err.Error()
	if os.Getenv("CI") != "" || os.Getenv("FLASHPROMO_REQUIRE_DB") == "1" {
		t.Fatal(msg + " (CI or FLASHPROMO_REQUIRE_DB=1 is set, so this fails)")
	}
	t.Skip(msg + " (set FLASHPROMO_REQUIRE_DB=1 to fail instead)")
}

func drop(t testing.TB, schema string) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, BaseURL())
	if err == nil {
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "DROP SCHEMA "+schema+" CASCADE")
	}
	if err != nil {
		t.Errorf("drop schema %s: %v", schema, err)
	}
}

func randomHex() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
