package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

func TestExclusiveLetsOneRunAtATime(t *testing.T) {
	dbURL := pgtest.Schema(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	a, b := connect(t, dbURL), connect(t, dbURL) // two pools: two instances
	var running, most atomic.Int32
	job := func(ctx context.Context, _ *postgres.Lease) error {
		if n := running.Add(1); n > most.Load() {
			most.Store(n)
		}
		time.Sleep(300 * time.Millisecond)
		running.Add(-1)
		return nil
	}
	done := make(chan error, 2)
	go func() { done <- a.Exclusive(ctx, "relay-test", job) }()
	go func() { done <- b.Exclusive(ctx, "relay-test", job) }()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if most.Load() != 1 {
		t.Errorf("%d jobs ran at once, want 1", most.Load())
	}
}

func connect(t *testing.T, dbURL string) *postgres.Store {
	t.Helper()
	pool, err := postgres.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgres.New(pool)
}
