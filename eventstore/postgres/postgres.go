// Package postgres is the event store on Postgres. Readers of the global log
// use the technique of watermill-sql: each row keeps the id of the
// transaction that wrote it, and only rows of transactions older than every
// open one are read, in (transaction_id, position) order, so that a late
// commit is never skipped.
package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/signal"
)

// Store is an event store on a pgx pool. The schema comes from Migrate.
type Store struct {
	pool     *pgxpool.Pool
	appended signal.Signal
}

var _ eventstore.Store = (*Store)(nil)

// New returns a store on pool; the pool belongs to the caller.
func New(pool *pgxpool.Pool) *Store {
	return &Store{pool: pool}
}

// Connect opens a pool on a postgres:// URL and checks that it answers;
// each option may adjust the pool's configuration first.
func Connect(ctx context.Context, url string, options ...func(*pgxpool.Config)) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: parse url: %w", err)
	}
	for _, o := range options {
		o(cfg)
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: connect: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("eventstore/postgres: connect: %w", err)
	}
	return pool, nil
}

// Appended returns a channel closed by the next append of this store.
// Appends of other processes are not signalled: subscribers also poll.
func (s *Store) Appended() <-chan struct{} { return s.appended.Wait() }
