package memory

import (
	"context"
	"fmt"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/check"
)

// Append writes all appends or none; see eventstore.Store.
func (s *Store) Append(ctx context.Context, appends ...eventstore.Append) (eventstore.Cursor, error) {
	if err := ctx.Err(); err != nil {
		return eventstore.Cursor{}, err
	}
	if err := check.Appends(appends); err != nil {
		return eventstore.Cursor{}, err
	}
	if len(appends) == 0 {
		return eventstore.Cursor{}, nil
	}
	s.mu.Lock()
	c, wrote, err := s.append(appends)
	s.mu.Unlock()
	if wrote {
		s.appended.Notify()
	}
	return c, err
}

// append does the work of Append under mu and reports whether it wrote.
func (s *Store) append(appends []eventstore.Append) (eventstore.Cursor, bool, error) {
	if c, stored, err := s.stored(appends); stored || err != nil {
		return c, false, err
	}
	if err := s.checkVersions(appends); err != nil {
		return eventstore.Cursor{}, false, err
	}
	s.tx++
	for _, a := range appends {
		for _, e := range a.Events {
			s.add(a.StreamID, e)
		}
	}
	return s.log[len(s.log)-1].Cursor, true, nil
}

// stored recognises a retry: if every event id is stored it returns the
// cursor of the last of them; if only some are, ErrDuplicateEvent.
func (s *Store) stored(appends []eventstore.Append) (eventstore.Cursor, bool, error) {
	var found, total int
	var last eventstore.Cursor
	for _, a := range appends {
		for _, e := range a.Events {
			total++
			if i, ok := s.ids[e.ID]; ok {
				found++
				last = later(last, s.log[i].Cursor)
			}
		}
	}
	switch {
	case found == 0:
		return eventstore.Cursor{}, false, nil
	case found < total:
		return eventstore.Cursor{}, false, fmt.Errorf("%w: %d of %d event ids are stored", eventstore.ErrDuplicateEvent, found, total)
	}
	return last, true, nil
}

func later(a, b eventstore.Cursor) eventstore.Cursor {
	if a.Less(b) {
		return b
	}
	return a
}

// checkVersions checks every append in order; a stream appended twice in one
// call is checked against the version the earlier append leaves.
func (s *Store) checkVersions(appends []eventstore.Append) error {
	versions := make(map[string]int64, len(appends))
	for _, a := range appends {
		v, ok := versions[a.StreamID]
		if !ok {
			v = int64(len(s.streams[a.StreamID]))
		}
		if a.Expected != eventstore.Any && a.Expected != v {
			return &eventstore.ConcurrencyError{StreamID: a.StreamID, Expected: a.Expected, Actual: v}
		}
		versions[a.StreamID] = v + int64(len(a.Events))
	}
	return nil
}

// AppendNew starts the streams that do not exist yet; see eventstore.Store.
// An append whose event id is stored already is skipped as well (a retry).
func (s *Store) AppendNew(ctx context.Context, appends []eventstore.Append) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := check.New(appends); err != nil {
		return nil, err
	}
	s.mu.Lock()
	written := s.appendNew(appends)
	s.mu.Unlock()
	if len(written) > 0 {
		s.appended.Notify()
	}
	return written, nil
}

func (s *Store) appendNew(appends []eventstore.Append) []string {
	s.tx++
	var written []string
	for _, a := range appends {
		e := a.Events[0]
		if _, exists := s.streams[a.StreamID]; exists {
			continue
		}
		if _, exists := s.ids[e.ID]; exists {
			continue
		}
		s.add(a.StreamID, e)
		written = append(written, a.StreamID)
	}
	return written
}
