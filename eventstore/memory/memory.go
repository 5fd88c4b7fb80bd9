// Package memory is an event store held in memory: the reference for the
// conformance suite and a store for tests and local runs. Appends are
// serialised, so commit order is position order and no reader can skip one.
package memory

import (
	"bytes"
	"context"
	"sync"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/signal"
)

// Store is an event store in memory, safe for concurrent use.
type Store struct {
	mu          sync.Mutex
	log         []eventstore.Event // log[i].Position == i+1
	streams     map[string][]int   // indexes into log, in version order
	ids         map[string]int     // event id -> index into log
	tx          uint64             // one per Append or AppendNew call
	checkpoints map[string]eventstore.Cursor
	appended    signal.Signal
}

var _ eventstore.Store = (*Store)(nil)

// New returns an empty store.
func New() *Store {
	return &Store{
		streams:     make(map[string][]int),
		ids:         make(map[string]int),
		checkpoints: make(map[string]eventstore.Cursor),
	}
}

// Appended returns a channel closed by the next append.
func (s *Store) Appended() <-chan struct{} { return s.appended.Wait() }

// add stores one event of the current transaction. The caller holds mu.
func (s *Store) add(streamID string, e eventstore.NewEvent) {
	pos := int64(len(s.log) + 1)
	s.log = append(s.log, eventstore.Event{
		ID:         e.ID,
		StreamID:   streamID,
		Version:    int64(len(s.streams[streamID]) + 1),
		Position:   pos,
		Type:       e.Type,
		OccurredAt: normalTime(e.OccurredAt),
		Data:       bytes.Clone(e.Data),
		Metadata:   bytes.Clone(e.Metadata),
		Cursor:     eventstore.Cursor{Tx: s.tx, Position: pos},
	})
	s.streams[streamID] = append(s.streams[streamID], len(s.log)-1)
	s.ids[e.ID] = len(s.log) - 1
}

// normalTime keeps what Postgres keeps: microseconds, and no zone.
func normalTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

// event returns a copy of the event at index i, so callers cannot change the log.
func (s *Store) event(i int) eventstore.Event {
	e := s.log[i]
	e.Data = bytes.Clone(e.Data)
	e.Metadata = bytes.Clone(e.Metadata)
	return e
}

// Checkpoint returns the cursor saved under name (zero if none).
func (s *Store) Checkpoint(ctx context.Context, name string) (eventstore.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Cursor{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.checkpoints[name], nil
}

// SaveCheckpoint stores the cursor under name.
func (s *Store) SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.checkpoints[name] = c
	return nil
}
