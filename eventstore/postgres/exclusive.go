package postgres

import (
	"context"
	"fmt"
	"time"
)

// Exclusive runs f while this process holds the advisory lock called name,
// so that one instance of many does a singular job (the outbox relay). It
// waits for the lock, polling, until ctx ends. The lock lives on one
// connection: if that connection dies another instance may take over while
// f still runs, which at-least-once work tolerates.
func (s *Store) Exclusive(ctx context.Context, name string, f func(ctx context.Context) error) error {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("eventstore/postgres: lock %q: %w", name, err)
	}
	defer conn.Release()
	for {
		var held bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock(hashtext(current_schema() || '/' || $1))`, name).Scan(&held); err != nil {
			return fmt.Errorf("eventstore/postgres: lock %q: %w", name, err)
		}
		if held {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Second):
		}
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock(hashtext(current_schema() || '/' || $1))`, name) //nolint:errcheck // the session ends the lock anyway
	return f(ctx)
}
