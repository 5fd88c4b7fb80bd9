package memory

import (
	"context"

	"github.com/flashpromo/flashpromo/eventstore"
)

// AppendHolding implements storetest.HoldingAppender. Appends here are
// serialised and take their position when they commit, so a held append
// simply waits before it appends: no reader can see a later event first.
func (s *Store) AppendHolding(ctx context.Context, inserted func(), release <-chan struct{}, appends ...eventstore.Append) (eventstore.Cursor, error) {
	inserted()
	select {
	case <-release:
	case <-ctx.Done():
		return eventstore.Cursor{}, ctx.Err()
	}
	return s.Append(ctx, appends...)
}
