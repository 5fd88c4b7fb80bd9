package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/check"
)

// columns name transaction_id::text "transaction_id": an ORDER BY must say
// events.transaction_id, or it sorts by that text (slowly, and wrongly once
// the ids grow a digit).
const columns = `transaction_id::text, position, id, stream_id, version, type, occurred_at, data, metadata`

// readable keeps the rows of transactions older than every open writer of
// the log: no transaction that can still commit will add a row before them
// in log order.
const readable = `transaction_id < ` + horizon

// ReadStream returns the committed events of a stream with version > after.
func (s *Store) ReadStream(ctx context.Context, streamID string, after int64) ([]eventstore.Event, error) {
	const q = `SELECT ` + columns + ` FROM events WHERE stream_id = $1 AND version > $2 ORDER BY version`
	events, err := s.query(ctx, q, streamID, after)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: read stream %q: %w", streamID, err)
	}
	return events, nil
}

// ReadSince returns up to limit readable events after the cursor, in log order.
func (s *Store) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	if err := check.Limit(limit); err != nil {
		return nil, err
	}
	const q = `SELECT ` + columns + ` FROM events
		WHERE (transaction_id, position) > ($1::text::xid8, $2) AND ` + readable + `
		ORDER BY events.transaction_id, events.position LIMIT $3`
	events, err := s.query(ctx, q, formatTx(after.Tx), after.Position, limit)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: read since %v: %w", after, err)
	}
	return events, nil
}

// ReadAll returns readable events in log order after the event at q.After.
func (s *Store) ReadAll(ctx context.Context, q eventstore.Query) ([]eventstore.Event, error) {
	if err := check.Query(q); err != nil {
		return nil, err
	}
	after, err := s.cursorAt(ctx, q.After)
	if err != nil {
		return nil, err
	}
	sql, args := readAllSQL(q, after)
	events, err := s.query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("eventstore/postgres: read all: %w", err)
	}
	return events, nil
}

// bulkType is the one event type the type index leaves out (migration
// 000002): the fan-out writes it a million rows at a time.
const bulkType = "NotificationSent"

// readAllSQL adds only the filters asked for, so each shape gets its own plan.
func readAllSQL(q eventstore.Query, after eventstore.Cursor) (string, []any) {
	var b strings.Builder
	b.WriteString(`SELECT ` + columns + ` FROM events
		WHERE (transaction_id, position) > ($1::text::xid8, $2) AND ` + readable)
	args := []any{formatTx(after.Tx), after.Position}
	if q.StreamID != "" {
		args = append(args, q.StreamID)
		b.WriteString(` AND stream_id = $` + strconv.Itoa(len(args)))
	}
	if q.Type != "" {
		args = append(args, q.Type)
		b.WriteString(` AND type = $` + strconv.Itoa(len(args)))
		if q.Type != bulkType {
			b.WriteString(` AND type <> '` + bulkType + `'`) // lets the planner use the partial type index
		}
	}
	args = append(args, q.Limit)
	b.WriteString(` ORDER BY events.transaction_id, events.position LIMIT $` + strconv.Itoa(len(args)))
	return b.String(), args
}

// cursorAt returns the cursor of the event at a position (zero for 0).
func (s *Store) cursorAt(ctx context.Context, position int64) (eventstore.Cursor, error) {
	if position == 0 {
		return eventstore.Cursor{}, nil
	}
	var txid string
	err := s.pool.QueryRow(ctx, `SELECT transaction_id::text FROM events WHERE position = $1`, position).Scan(&txid)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Cursor{}, fmt.Errorf("%w: %d", eventstore.ErrUnknownPosition, position)
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("eventstore/postgres: read all: position %d: %w", position, err)
	}
	tx, err := parseTx(txid)
	return eventstore.Cursor{Tx: tx, Position: position}, err
}

// Head returns the cursor of the newest readable event (zero if none).
func (s *Store) Head(ctx context.Context) (eventstore.Cursor, error) {
	const q = `SELECT transaction_id::text, position FROM events WHERE ` + readable + `
		ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1`
	var txid string
	var c eventstore.Cursor
	err := s.pool.QueryRow(ctx, q).Scan(&txid, &c.Position)
	if errors.Is(err, pgx.ErrNoRows) {
		return eventstore.Cursor{}, nil
	}
	if err != nil {
		return eventstore.Cursor{}, fmt.Errorf("eventstore/postgres: head: %w", err)
	}
	c.Tx, err = parseTx(txid)
	return c, err
}

func (s *Store) query(ctx context.Context, sql string, args ...any) ([]eventstore.Event, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	events, err := pgx.CollectRows(rows, scanEvent)
	if events == nil && err == nil {
		events = []eventstore.Event{}
	}
	return events, err
}

func scanEvent(row pgx.CollectableRow) (eventstore.Event, error) {
	var e eventstore.Event
	var txid string
	err := row.Scan(&txid, &e.Position, &e.ID, &e.StreamID, &e.Version, &e.Type, &e.OccurredAt, &e.Data, &e.Metadata)
	if err != nil {
		return e, err
	}
	e.OccurredAt = e.OccurredAt.UTC()
	e.Cursor.Position = e.Position
	e.Cursor.Tx, err = parseTx(txid)
	return e, err
}
