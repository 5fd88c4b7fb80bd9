package postgres

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/eventstore"
)

// ErrLeaseLost says another instance holds the lease now: its holder must
// stop publishing.
var ErrLeaseLost = errors.New("eventstore/postgres: lease lost")

// Exclusive runs f while this process holds the advisory lock called name,
// so that one instance of many does a singular job (the outbox relay). It
// waits for the lock, polling, until ctx ends. The lock lives on one
// connection, which can die while f runs and let another instance take
// over; so f gets a Lease of the next epoch, to check before each step
// that must not be done twice, and the checkpoint moves only through it.
func (s *Store) Exclusive(ctx context.Context, name string, f func(ctx context.Context, l *Lease) error) error {
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
	l := &Lease{store: s, conn: conn, name: name}
	if err := l.take(ctx); err != nil {
		return err
	}
	return f(ctx, l)
}

// Lease is the claim of one holder of an Exclusive lock: an epoch in the
// leases table, which each new holder increments. It is not safe for
// concurrent use.
type Lease struct {
	store *Store
	conn  *pgxpool.Conn // the connection that holds the lock
	name  string
	epoch int64
}

// take claims the next epoch; the lock is held, so no one else takes one.
func (l *Lease) take(ctx context.Context) error {
	host, _ := os.Hostname()
	const q = `INSERT INTO leases (name, epoch, owner) VALUES ($1, 1, $2)
		ON CONFLICT (name) DO UPDATE SET epoch = leases.epoch + 1, owner = excluded.owner, taken_at = now()
		RETURNING epoch`
	owner := fmt.Sprintf("%s pid %d backend %d", host, os.Getpid(), l.PID())
	if err := l.conn.QueryRow(ctx, q, l.name, owner).Scan(&l.epoch); err != nil {
		return fmt.Errorf("eventstore/postgres: take lease %q: %w", l.name, err)
	}
	return nil
}

// Epoch is the lease's epoch.
func (l *Lease) Epoch() int64 { return l.epoch }

// PID is the backend process id of the connection that holds the lock.
func (l *Lease) PID() uint32 { return l.conn.Conn().PgConn().PID() }

// Check returns nil while the lease is held: it asks on the lock's own
// connection, which answers only while its session, and so the lock, is
// alive, and finds the epoch still its own. Otherwise it wraps
// ErrLeaseLost (a connection that died, or a newer epoch).
func (l *Lease) Check(ctx context.Context) error {
	var epoch int64
	err := l.conn.QueryRow(ctx, `SELECT epoch FROM leases WHERE name = $1`, l.name).Scan(&epoch)
	switch {
	case err != nil && ctx.Err() != nil:
		return ctx.Err()
	case err != nil:
		return fmt.Errorf("%w: %q: lock connection: %w", ErrLeaseLost, l.name, err)
	case epoch != l.epoch:
		return fmt.Errorf("%w: %q: epoch %d taken over by %d", ErrLeaseLost, l.name, l.epoch, epoch)
	}
	return nil
}

// SaveCheckpoint stores the cursor under name if the lease's epoch is still
// the current one, else it wraps ErrLeaseLost. The lease row is locked for
// the statement, so a new holder's take waits for it and then reads the
// checkpoint it saved.
func (l *Lease) SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error {
	const q = `WITH lease AS (SELECT FROM leases WHERE name = $4 AND epoch = $5 FOR SHARE)
		INSERT INTO checkpoints (name, transaction_id, position) SELECT $1, $2::text::xid8, $3 FROM lease
		ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id,
			position = excluded.position, updated_at = now()`
	tag, err := l.store.pool.Exec(ctx, q, name, formatTx(c.Tx), c.Position, l.name, l.epoch)
	if err != nil {
		return fmt.Errorf("eventstore/postgres: save checkpoint %q: %w", name, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("%w: %q: checkpoint %q not saved", ErrLeaseLost, l.name, name)
	}
	return nil
}
