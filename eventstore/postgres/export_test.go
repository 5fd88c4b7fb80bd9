package postgres

import (
	"context"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/eventstore"
)

// AppendHolding implements storetest.HoldingAppender: it appends like Append
// but, once its rows have their positions, calls inserted and keeps its
// transaction open until release is closed.
func (s *Store) AppendHolding(ctx context.Context, inserted func(), release <-chan struct{}, appends ...eventstore.Append) (eventstore.Cursor, error) {
	return s.append(ctx, func() {
		inserted()
		select {
		case <-release:
		case <-ctx.Done():
		}
	}, appends)
}

// Pool exposes the pool to tests that query the tables directly.
func (s *Store) Pool() *pgxpool.Pool { return s.pool }

// Horizon is the readers' horizon, for tests that wait on it.
const Horizon = horizon
