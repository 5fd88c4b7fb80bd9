package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/eventstore"
)

// Checkpoint returns the cursor saved under name (zero if none).
func (s *Store) Checkpoint(ctx context.Context, name string) (eventstore.Cursor, error) {
	const q = `SELECT transaction_id::text, position FROM checkpoints WHERE name = $1`
	var txid string
	var c eventstore.Cursor
	err := s.pool.QueryRow(ctx, q, name).Scan(&txid, &c.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Cursor{}, nil
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("eventstore/postgres: checkpoint %q: %w", name, err)
	}
	c.Tx, err = parseTx(txid)
	return c, err
}

// SaveCheckpoint stores the cursor under name.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error {
	const q = `INSERT INTO checkpoints (name, transaction_id, position) VALUES ($1, $2::text::xid8, $3)
		ON CONFLICT (name) DO UPDATE SET transaction_id = excluded.transaction_id,
			position = excluded.position, updated_at = now()`
	if _, err := s.pool.Exec(ctx, q, name, formatTx(c.Tx), c.Position); err != nil {
		return fmt.Errorf("eventstore/postgres: save checkpoint %q: %w", name, err)
	}
	return nil
}
