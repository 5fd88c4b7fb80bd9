package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/check"
)

// One statement for all streams. The plain insert writes them all or, on
// any unique violation, none; the careful one skips each stream that has a
// version 1 (or an event id that is stored: a retry) with ON CONFLICT DO
// NOTHING, whose speculative insertion costs Postgres about half as much
// again per row.
const (
	appendNewSQL = `INSERT INTO events (id, stream_id, version, type, occurred_at, data, metadata)
SELECT id, stream_id, 1, type, occurred_at, data::json, NULLIF(metadata, '')::json
FROM unnest($1::text[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::text[])
    WITH ORDINALITY AS e(id, stream_id, type, occurred_at, data, metadata, ord)
ORDER BY ord`
	appendNewSkipSQL = appendNewSQL + `
ON CONFLICT DO NOTHING
RETURNING stream_id`
)

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
	r := &rows{}
	for _, a := range appends {
		r.add(a.StreamID, 1, a.Events[0])
	}
	args := []any{r.ids, r.streams, r.types, r.times, r.data, r.metadata}
	// Most calls start only new streams (a fan-out skips the users its read
	// model knows were notified), so the plain insert is tried first.
	_, err := s.pool.Exec(ctx, appendNewSQL, args...)
	if err == nil {
		s.appended.Notify()
		return r.streams, nil
	}
	if !isConflict(err) { // a unique violation, or a deadlock with another writer of the same streams
		return nil, fmt.Errorf("eventstore/postgres: append new: %w", err)
	}
	rs, err := s.pool.Query(ctx, appendNewSkipSQL, args...)
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
