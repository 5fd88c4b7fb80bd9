package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/check"
)

// The plain write is a COPY of all streams: it writes them all or, on any
// unique violation, none. COPY streams its rows in 64 KiB messages, where an
// INSERT's parameter arrays are built whole, and grown step by step, a few
// MiB for each chunk of a fan-out (BENCHMARKS.md, section 1). The careful
// write skips each stream that has a version 1 (or an event id that is
// stored: a retry) with ON CONFLICT DO NOTHING, whose speculative insertion
// costs Postgres about half as much again per row.
const appendNewSkipSQL = insertRows + `ORDER BY ord
ON CONFLICT DO NOTHING
RETURNING stream_id`

// newColumns are the columns the COPY fills, in the order of newRows' values.
var newColumns = []string{"id", "stream_id", "version", "type", "occurred_at", "data", "metadata"}

// AppendNew starts the streams that do not exist yet, each with its one
// event; see eventstore.Store. An append whose event id is stored already is
// skipped as well (a retry).
func (s *Store) AppendNew(ctx context.Context, appends []eventstore.Append) ([]string, error) {
	if err := check.New(appends); err != nil {
		return nil, err
	}
	if len(appends) == 0 {
		return nil, nil
	}
	// Most calls start only new streams (a fan-out skips the users its read
	// model knows were notified), so the plain write is tried first.
	_, err := s.pool.CopyFrom(ctx, pgx.Identifier{"events"}, newColumns, &newRows{appends: appends})
	if err == nil {
		s.appended.Notify()
		return streamsOf(appends), nil
	}
	if !isConflict(err) { // a unique violation, or a deadlock with another writer of the same streams
		return nil, fmt.Errorf("eventstore/postgres: append new: %w", err)
	}
	r := &rows{}
	for _, a := range appends {
		r.add(a.StreamID, 1, a.Events[0])
	}
	rs, err := s.pool.Query(ctx, appendNewSkipSQL, r.args()...)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: append new: %w", err)
	}
	streamIDs, err := pgx.CollectRows(rs, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: append new: %w", err)
	}
	if len(streamIDs) > 0 {
		s.appended.Notify()
	}
	return inOrder(appends, streamIDs), nil
}

// inOrder returns the written stream ids in the order of the appends.
func inOrder(appends []eventstore.Append, written []string) []string {
	set := make(map[string]bool, len(written))
	for _, id := range written {
		set[id] = true
	}
	ordered := make([]string, 0, len(written))
	for _, a := range appends {
		if set[a.StreamID] {
			ordered = append(ordered, a.StreamID)
			delete(set, a.StreamID) // a stream given twice was written once
		}
	}
	return ordered
}

func streamsOf(appends []eventstore.Append) []string {
	ids := make([]string, len(appends))
	for i, a := range appends {
		ids[i] = a.StreamID
	}
	return ids
}

// newRows feeds the COPY one row per append, in one row of pointers into the
// appends: no value is copied or boxed on the way to pgx's encoders.
type newRows struct {
	appends []eventstore.Append
	next    int
	row     [7]any
}

func (r *newRows) Next() bool {
	r.next++
	return r.next <= len(r.appends)
}

func (r *newRows) Values() ([]any, error) {
	a := &r.appends[r.next-1]
	e := &a.Events[0]
	r.row = [7]any{&e.ID, &a.StreamID, int64(1), &e.Type, &e.OccurredAt, &e.Data, nil}
	if len(e.Metadata) > 0 { // else NULL
		r.row[6] = &e.Metadata
	}
	return r.row[:], nil
}

func (r *newRows) Err() error { return nil }
