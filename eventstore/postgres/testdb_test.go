package postgres_test

import (
	"context"
	"net/url"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// newStore returns a store on a pool of its own in a fresh, migrated schema
// (pgtest skips, or fails in CI, when the database is unreachable).
func newStore(t *testing.T) *postgres.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	// Enough connections for writers that hold theirs while others go on.
	pool, err := postgres.Connect(ctx, pgtest.WithParam(t, pgtest.Schema(t), "pool_max_conns", "16"))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(pool.Close)
	return postgres.New(pool)
}

// schemaOf returns the schema a pgtest URL points at.
func schemaOf(t *testing.T, dbURL string) string {
	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("search_path")
}
