package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestForeignWritersDelayNothing: a transaction that wrote something else
// and stays open holds back no reader of this log (ADR 0013). Under the
// old horizon, the oldest open transaction of the server, each case left
// the new event unreadable for as long as the foreign one stayed open.
func TestForeignWritersDelayNothing(t *testing.T) {
	cases := []struct {
		name string
		open func(t *testing.T, ctx context.Context) uint64
	}{
		{"another database", func(t *testing.T, ctx context.Context) uint64 {
			return openWriter(t, ctx, inDatabase(t, "postgres"))
		}},
		{"another schema", func(t *testing.T, ctx context.Context) uint64 {
			return openWriter(t, ctx, pgtest.BaseURL())
		}},
		{"another schema's log", openAppend},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			s := newStore(t)
			foreign := tc.open(t, ctx)
			c, err := s.Append(ctx, appendTo("s", "e1"))
			if err != nil {
				t.Fatal(err)
			}
			if foreign >= c.Tx {
				t.Fatalf("the foreign transaction %d is not older than the append's %d", foreign, c.Tx)
			}
			// Bounded: a transaction of another test that ends just as a
			// read looks may hold one read back; the foreign one stays open.
			readWithin(t, ctx, s, 10*time.Second, "e1")
		})
	}
}

// inDatabase returns the test URL pointed at another database of the server.
func inDatabase(t *testing.T, name string) string {
	u, err := url.Parse(pgtest.BaseURL())
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}

// openWriter begins a transaction that writes a table of its own and keeps
// it open until the test ends; it returns its transaction id.
func openWriter(t *testing.T, ctx context.Context, dbURL string) uint64 {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) }) // rolls back
	_, err = conn.Exec(ctx, `BEGIN;
		CREATE TEMP TABLE bulk (n int) ON COMMIT DROP;
		INSERT INTO bulk SELECT generate_series(1, 1000)`)
	if err != nil {
		t.Fatal(err)
	}
	var xid string
	if err := conn.QueryRow(ctx, `SELECT pg_current_xact_id()::text`).Scan(&xid); err != nil {
		t.Fatal(err)
	}
	return mustUint(t, xid)
}

// openAppend holds an append to another schema's log open until the test ends.
func openAppend(t *testing.T, ctx context.Context) uint64 {
	other := newStore(t)
	inserted, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	held, stop := context.WithTimeout(context.Background(), time.Minute) // outlives the test's ctx
	t.Cleanup(stop)
	go func() {
		var once sync.Once
		_, err := other.AppendHolding(held, func() { once.Do(func() { close(inserted) }) }, release, appendTo("o", "o1"))
		done <- err
	}()
	t.Cleanup(func() {
		close(release)
		if err := <-done; err != nil {
			t.Errorf("the other log's append: %v", err)
		}
	})
	select {
	case <-inserted:
	case err := <-done:
		t.Fatalf("the other log's append ended: %v", err)
	}
	var xid string
	if err := other.Pool().QueryRow(ctx, `SELECT transaction_id::text FROM events WHERE id = 'o1'`).Scan(&xid); err == nil {
		t.Fatal("the other log's append is visible: not open")
	}
	// The holder of the other log's writer lock, found as readers find it.
	err := other.Pool().QueryRow(ctx, `SELECT t.transactionid::text FROM pg_locks a
		JOIN pg_locks t ON t.virtualtransaction = a.virtualtransaction
			AND t.locktype = 'transactionid' AND t.mode = 'ExclusiveLock'
		WHERE a.locktype = 'advisory' AND a.classid = 1163283543 AND a.objid = 'events'::regclass`).Scan(&xid)
	if err != nil {
		t.Fatal(err)
	}
	return mustUint(t, xid)
}

func mustUint(t *testing.T, s string) uint64 {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// readWithin waits up to d for ReadSince from the start to return ids.
func readWithin(t *testing.T, ctx context.Context, s *postgres.Store, d time.Duration, ids ...string) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		events, err := s.ReadSince(ctx, eventstore.Cursor{}, 100)
		if err != nil {
			t.Fatal(err)
		}
		got := make([]string, len(events))
		for i, e := range events {
			got[i] = e.ID
		}
		if slices.Equal(got, ids) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v with a foreign transaction open the reader gets %v, want %v", d, got, ids)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// TestAppendMustBeFirstWrite: a transaction that wrote elsewhere before it
// appends has its transaction id without the writer lock, where a reader
// could pass it by; the events table refuses it. An insert of its own,
// without the store, takes the lock and is read like any append.
func TestAppendMustBeFirstWrite(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := newStore(t)
	const insert = `INSERT INTO events (id, stream_id, version, type, occurred_at, data)
		VALUES ($1, $1, 1, 'Happened', now(), '{}')`
	err := pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO checkpoints (name, transaction_id, position) VALUES ('x', '1', 1)`); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, insert, "late")
		return err
	})
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "55000" {
		t.Fatalf("an append after another write: %v, want 55000", err)
	}
	// Two inserts in one transaction: the second finds the lock held.
	err = pgx.BeginFunc(ctx, s.Pool(), func(tx pgx.Tx) error {
		for _, id := range []string{"by-hand-1", "by-hand-2"} {
			if _, err := tx.Exec(ctx, insert, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	readWithin(t, ctx, s, 10*time.Second, "by-hand-1", "by-hand-2")
}

// TestFollowAmidForeignChurn: writers append, some holding their
// transactions open, while transactions of another database begin, write
// and end all the time, and one stays open throughout. Each follower must
// get every event once, in order: the horizon that leaves foreign
// transactions out must never leave out a writer of the log, not even one
// that commits while a reader looks at pg_locks (the race is narrow: it
// takes many reads, hence several followers).
func TestFollowAmidForeignChurn(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	s := newStore(t)
	openWriter(t, ctx, inDatabase(t, "postgres"))
	churn, stopChurn := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for range 2 {
		wg.Go(func() { foreignChurn(t, churn, inDatabase(t, "postgres")) })
	}
	defer func() { stopChurn(); wg.Wait() }()
	tails := make([]*tail, 4)
	for i := range tails {
		tails[i] = startTail(ctx, s)
	}

	const writers, each = 8, 40
	var want []string
	var mu sync.Mutex
	var last eventstore.Cursor
	var appends sync.WaitGroup
	for w := range writers {
		ids := make([]string, each)
		for i := range ids {
			ids[i] = fmt.Sprintf("w%d-%d", w, i)
		}
		want = append(want, ids...)
		appends.Go(func() {
			c := appendAll(t, ctx, s, w, ids)
			mu.Lock()
			if last.Less(c) {
				last = c
			}
			mu.Unlock()
		})
	}
	appends.Wait()
	slices.Sort(want)
	for i, f := range tails {
		got := f.until(t, last)
		if !slices.Equal(got, want) {
			t.Errorf("follower %d got %d events, want the %d appended once each", i, len(got), len(want))
		}
	}
}

// tail follows the log and keeps what it gets.
type tail struct {
	mu   sync.Mutex
	seen []eventstore.Event
	stop context.CancelFunc
	done chan error
}

func startTail(ctx context.Context, s *postgres.Store) *tail {
	ctx, stop := context.WithCancel(ctx)
	f := &tail{stop: stop, done: make(chan error, 1)}
	go func() {
		f.done <- eventstore.Follow(ctx, s, eventstore.Cursor{}, 7, 2*time.Millisecond,
			func(_ context.Context, events []eventstore.Event) error {
				f.mu.Lock()
				f.seen = append(f.seen, events...)
				f.mu.Unlock()
				return nil
			})
	}()
	return f
}

// until waits for the follower to reach the cursor, stops it and returns
// the ids it got, sorted, having checked that cursors only grew.
func (f *tail) until(t *testing.T, c eventstore.Cursor) []string {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		f.mu.Lock()
		reached := len(f.seen) > 0 && !f.seen[len(f.seen)-1].Cursor.Less(c)
		f.mu.Unlock()
		if reached || time.Now().After(deadline) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	f.stop()
	<-f.done
	got := make([]string, len(f.seen))
	for i, e := range f.seen {
		got[i] = e.ID
		if i > 0 && !f.seen[i-1].Cursor.Less(e.Cursor) {
			t.Errorf("cursor %v after %v", e.Cursor, f.seen[i-1].Cursor)
		}
	}
	slices.Sort(got)
	return got
}

// appendAll appends ids one by one and returns the greatest cursor; every
// third is held open a moment after it took its position, so that later
// appends commit before it.
func appendAll(t *testing.T, ctx context.Context, s *postgres.Store, w int, ids []string) eventstore.Cursor {
	var last eventstore.Cursor
	for i, id := range ids {
		a := appendTo(fmt.Sprintf("w%d-%d", w, i), id)
		var c eventstore.Cursor
		var err error
		if i%3 == w%3 {
			release := make(chan struct{})
			time.AfterFunc(time.Duration(1+i%4)*time.Millisecond, func() { close(release) })
			c, err = s.AppendHolding(ctx, func() {}, release, a)
		} else {
			c, err = s.Append(ctx, a)
		}
		if err != nil {
			t.Errorf("append %s: %v", id, err)
			return last
		}
		if last.Less(c) {
			last = c
		}
	}
	return last
}

// foreignChurn writes in short transactions of its own until ctx ends.
func foreignChurn(t *testing.T, ctx context.Context, dbURL string) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Error(err)
		return
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, `CREATE TEMP TABLE churn (n int)`); err != nil {
		t.Error(err)
		return
	}
	for ctx.Err() == nil {
		_, err := conn.Exec(ctx, `BEGIN; INSERT INTO churn VALUES (1); SELECT pg_sleep(0.001); COMMIT`)
		if err != nil && ctx.Err() == nil {
			t.Error(err)
			return
		}
	}
}

// TestAnOpenCopyHoldsReaders: a COPY into the log, AppendNew's way of
// writing, marks its transaction as a writer as an INSERT does (the trigger
// fires for COPY FROM), so while it is open no reader passes an append that
// committed after it began, and none skips its row.
func TestAnOpenCopyHoldsReaders(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := newStore(t)
	tx, err := s.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	_, err = tx.CopyFrom(ctx, pgx.Identifier{"events"}, []string{"id", "stream_id", "version", "type", "occurred_at", "data"},
		pgx.CopyFromRows([][]any{{"copied", "c", int64(1), "Happened", time.Now(), []byte(`{}`)}}))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(ctx, appendTo("after", "after-1")); err != nil {
		t.Fatal(err)
	}
	if events, err := s.ReadSince(ctx, eventstore.Cursor{}, 10); err != nil || len(events) > 0 {
		t.Fatalf("with the COPY open the reader gets %d events (%v), want none yet", len(events), err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	readWithin(t, ctx, s, 10*time.Second, "copied", "after-1")
}
