package postgres_test

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/eventstore/storetest"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) eventstore.Store { return newStore(t) })
}

func appendTo(stream, id string) eventstore.Append {
	return eventstore.Append{StreamID: stream, Expected: eventstore.NoStream, Events: []eventstore.NewEvent{
		{ID: id, Type: "Happened", OccurredAt: time.Now(), Data: []byte(`{}`)},
	}}
}

// TestNaiveReaderSkipsLateCommit proves that the late-commit test has teeth:
// in the same interleaving, a reader that follows position > last misses the
// late event, and the store's reader does not.
func TestNaiveReaderSkipsLateCommit(t *testing.T) {
	s := newStore(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	inserted, release, slowDone := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		var once sync.Once
		_, err := s.AppendHolding(ctx, func() { once.Do(func() { close(inserted) }) }, release, appendTo("slow", "slow-1"))
		slowDone <- err
	}()
	<-inserted
	if _, err := s.Append(ctx, appendTo("fast", "fast-1")); err != nil {
		t.Fatal(err)
	}

	naive := naiveReader{pool: s.Pool()}
	naive.read(t, ctx)
	store := storeReader{s: s}
	store.read(t, ctx)

	close(release)
	if err := <-slowDone; err != nil {
		t.Fatal(err)
	}
	positions := positionsByID(t, ctx, s.Pool())
	if positions["slow-1"] >= positions["fast-1"] {
		t.Fatalf("no interleaving: slow-1 at %d, fast-1 at %d", positions["slow-1"], positions["fast-1"])
	}
	waitReadable(t, ctx, s)
	naive.read(t, ctx)
	store.read(t, ctx)

	if !slices.Equal(naive.seen, []string{"fast-1"}) {
		t.Errorf("the naive reader saw %v; expected it to miss slow-1", naive.seen)
	}
	if slices.Sort(store.seen); !slices.Equal(store.seen, []string{"fast-1", "slow-1"}) {
		t.Errorf("the store's reader saw %v, want both", store.seen)
	}
}

// naiveReader is what Marten did: follow the position alone.
type naiveReader struct {
	pool *pgxpool.Pool
	last int64
	seen []string
}

func (r *naiveReader) read(t *testing.T, ctx context.Context) {
	rows, err := r.pool.Query(ctx, `SELECT position, id FROM events WHERE position > $1 ORDER BY position`, r.last)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&r.last, &id); err != nil {
			t.Fatal(err)
		}
		r.seen = append(r.seen, id)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}

type storeReader struct {
	s    *postgres.Store
	last eventstore.Cursor
	seen []string
}

func (r *storeReader) read(t *testing.T, ctx context.Context) {
	events, err := r.s.ReadSince(ctx, r.last, 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		r.seen = append(r.seen, e.ID)
		r.last = e.Cursor
	}
}

func positionsByID(t *testing.T, ctx context.Context, pool *pgxpool.Pool) map[string]int64 {
	rows, err := pool.Query(ctx, `SELECT id, position FROM events`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	positions := make(map[string]int64)
	for rows.Next() {
		var id string
		var pos int64
		if err := rows.Scan(&id, &pos); err != nil {
			t.Fatal(err)
		}
		positions[id] = pos
	}
	return positions
}

// waitReadable waits until every event of the store is below the horizon.
func waitReadable(t *testing.T, ctx context.Context, s *postgres.Store) {
	for {
		var n int
		err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM events
			WHERE transaction_id >= `+postgres.Horizon).Scan(&n)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatal("events never became readable")
		case <-time.After(2 * time.Millisecond):
		}
	}
}

// TestSchemaIsolation: each test's tables, migrations table included, live
// in its own schema, so tests cannot see each other's events.
func TestSchemaIsolation(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	one, two := newStore(t), newStore(t)
	c, err := one.Append(ctx, appendTo("s", "e1"))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := two.ReadStream(ctx, "s", 0); err != nil || len(got) != 0 {
		t.Errorf("the other schema sees %v, %v", got, err)
	}
	if _, err := two.Append(ctx, appendTo("s", "e1")); err != nil {
		t.Errorf("the same stream and id in the other schema: %v", err)
	}
	if _, err := two.ReadAll(ctx, eventstore.Query{After: c.Position + 1000, Limit: 1}); !errors.Is(err, eventstore.ErrUnknownPosition) {
		t.Errorf("read all: %v", err)
	}

	dbURL := pgtest.Schema(t)
	schema := schemaOf(t, dbURL)
	if err := postgres.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	var tables []string
	rows, err := one.Pool().Query(ctx, `SELECT table_name::text FROM information_schema.tables
		WHERE table_schema = $1 ORDER BY table_name`, schema)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		tables = append(tables, name)
	}
	if want := []string{"checkpoints", "events", "leases", "schema_migrations", "snapshot_parts", "snapshots"}; !slices.Equal(tables, want) {
		t.Errorf("schema %s has tables %v, want %v", schema, tables, want)
	}
}

func TestMigrateTwice(t *testing.T) {
	dbURL := pgtest.Schema(t)
	if err := postgres.Migrate(t.Context(), dbURL); err != nil {
		t.Errorf("second migration: %v", err)
	}
	if err := postgres.Migrate(t.Context(), "mysql://x"); err == nil {
		t.Error("migrate accepted a mysql URL")
	}
}

// TestDatabaseDown: a store whose database is gone returns errors (the
// service answers 503), and a follower keeps waiting instead of dying.
func TestDatabaseDown(t *testing.T) {
	const down = "postgres://postgres@127.0.0.1:1/test?sslmode=disable&connect_timeout=1"
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if _, err := postgres.Connect(ctx, down); err == nil {
		t.Error("connect succeeded")
	}
	pool, err := pgxpool.New(ctx, down) // connects lazily
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	s := postgres.New(pool)
	if _, err := s.Append(ctx, appendTo("s", "e1")); err == nil {
		t.Error("append succeeded")
	}
	if _, err := s.AppendNew(ctx, []eventstore.Append{appendTo("s", "e1")}); err == nil {
		t.Error("append new succeeded")
	}
	if _, err := s.ReadSince(ctx, eventstore.Cursor{}, 10); err == nil {
		t.Error("read since succeeded")
	}
	if _, err := s.Head(ctx); err == nil {
		t.Error("head succeeded")
	}
	following, stop := context.WithTimeout(ctx, 300*time.Millisecond)
	defer stop()
	err = eventstore.Follow(following, s, eventstore.Cursor{}, 10, 50*time.Millisecond,
		func(context.Context, []eventstore.Event) error { return nil })
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("follow returned %v, want it to wait until its context ends", err)
	}
}
