package memory

import (
	"context"
	"sort"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/check"
)

// ReadStream returns the events of a stream with version > after.
func (s *Store) ReadStream(ctx context.Context, streamID string, after int64) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	idx := s.streams[streamID]
	after = min(max0(after), int64(len(idx)))
	events := make([]eventstore.Event, 0, int64(len(idx))-after)
	for _, i := range idx[after:] {
		events = append(events, s.event(i))
	}
	return events, nil
}

func max0(n int64) int64 {
	if n < 0 {
		return 0
	}
	return n
}

// ReadAll returns events after position q.After, filtered, in log order.
// Positions follow commit order here, so log order is position order.
func (s *Store) ReadAll(ctx context.Context, q eventstore.Query) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := check.Query(q); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if q.After > int64(len(s.log)) {
		return nil, eventstore.ErrUnknownPosition
	}
	var events []eventstore.Event
	for i := int(q.After); i < len(s.log) && len(events) < q.Limit; i++ {
		e := &s.log[i]
		if (q.StreamID == "" || e.StreamID == q.StreamID) && (q.Type == "" || e.Type == q.Type) {
			events = append(events, s.event(i))
		}
	}
	return events, nil
}

// ReadSince returns up to limit events after the cursor. Every append is
// committed under the lock, so every stored event is readable.
func (s *Store) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := check.Limit(limit); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	start := sort.Search(len(s.log), func(i int) bool { return after.Less(s.log[i].Cursor) })
	end := min(start+limit, len(s.log))
	events := make([]eventstore.Event, 0, end-start)
	for i := start; i < end; i++ {
		events = append(events, s.event(i))
	}
	return events, nil
}

// Head returns the cursor of the newest event (zero if none).
func (s *Store) Head(ctx context.Context) (eventstore.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Cursor{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.log) == 0 {
		return eventstore.Cursor{}, nil
	}
	return s.log[len(s.log)-1].Cursor, nil
}
