package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/internal/check"
)

// races bounds the retries of an append that lost a race it did nothing
// wrong in: on a stream it appends with Any, to an exact writer.
const races = 5

// versionsSQL probes the (stream_id, version) index once per stream: a
// plan the planner cannot trade for a scan of the log when its statistics
// lag behind a fast-growing table (BENCHMARKS.md, section 6, says how far
// batches fell before).
const versionsSQL = `SELECT s.id, v.version FROM unnest($1::text[]) AS s(id)
CROSS JOIN LATERAL (SELECT version FROM events WHERE stream_id = s.id ORDER BY version DESC LIMIT 1) v`

// insertRows inserts the rows of $1–$7 (rows.args); insertSQL, exactSQL and
// appendNewSkipSQL end it.
const insertRows = `INSERT INTO events (id, stream_id, version, type, occurred_at, data, metadata)
SELECT id, stream_id, version, type, occurred_at, data::json, NULLIF(metadata, '')::json
FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[], $5::timestamptz[], $6::text[], $7::text[])
    WITH ORDINALITY AS e(id, stream_id, version, type, occurred_at, data, metadata, ord)
`

// inLogOrder: identity values follow the order of the rows, so positions
// follow versions.
const inLogOrder = `ORDER BY ord
RETURNING transaction_id::text, position`

const insertSQL = insertRows + inLogOrder

// exactSQL is insertSQL for appends that each expect a version: it checks
// the streams' versions ($8, $9: each stream once, with the version the call
// expects of it before its first event) in the same statement, and writes
// nothing unless all of them hold. One round trip, in the statement's own
// transaction, instead of four (begin, versions, insert, commit): a hot
// promo's group commit waits for each (ADR 0010). A version taken meanwhile
// by another writer still fails on the unique index, as in insertSQL.
const exactSQL = `WITH expected AS (SELECT * FROM unnest($8::text[], $9::bigint[]) AS x(stream_id, version)),
holds AS (SELECT bool_and(coalesce((SELECT version FROM events
    WHERE events.stream_id = expected.stream_id ORDER BY version DESC LIMIT 1), 0) = expected.version) AS ok
  FROM expected)
` + insertRows + `WHERE (SELECT ok FROM holds)
` + inLogOrder

// errStale: an exact append found a stream at another version than it
// expected and wrote nothing. conflict says which, as for any lost race.
var errStale = fmt.Errorf("%w: a stream is not at its expected version", eventstore.ErrConcurrency)

// Append writes all appends in one transaction, or none; see eventstore.Store.
// The version check is optimistic: the unique (stream_id, version) index
// turns a lost race into a ConcurrencyError. Only appends with Any wait for
// each other, per stream (see lockAny).
func (s *Store) Append(ctx context.Context, appends ...eventstore.Append) (eventstore.Cursor, error) {
	return s.append(ctx, nil, appends)
}

// append is Append with a hook called inside the transaction after the insert.
func (s *Store) append(ctx context.Context, hold func(), appends []eventstore.Append) (eventstore.Cursor, error) {
	if err := check.Appends(appends); err != nil {
		return eventstore.Cursor{}, err
	}
	if len(appends) == 0 {
		return eventstore.Cursor{}, nil
	}
	for attempt := 1; ; attempt++ {
		c, err := s.tryAppend(ctx, hold, appends)
		if err == nil {
			s.appended.Notify()
			return c, nil
		}
		if !isConflict(err) {
			return eventstore.Cursor{}, fmt.Errorf("eventstore/postgres: append: %w", err)
		}
		if c, done, err := s.conflict(ctx, appends); done {
			return c, err
		}
		if attempt == races {
			return eventstore.Cursor{}, fmt.Errorf("eventstore/postgres: append: %d lost races: %w (%w)", races, eventstore.ErrConcurrency, err)
		}
	}
}

// conflict explains a failed append: a retry of a stored append (success), a
// partly repeated one (ErrDuplicateEvent), or a stream at another version
// than expected. done is false when none holds: the append lost a race on a
// stream appended with Any, or to a writer that rolled back, and may retry.
func (s *Store) conflict(ctx context.Context, appends []eventstore.Append) (c eventstore.Cursor, done bool, err error) {
	if c, stored, err := s.stored(ctx, appends); stored || err != nil {
		return c, true, err
	}
	current, err := versions(ctx, s.pool, appends)
	if err != nil {
		return eventstore.Cursor{}, true, fmt.Errorf("eventstore/postgres: append: %w", err)
	}
	if _, err := plan(appends, current); err != nil {
		return eventstore.Cursor{}, true, err
	}
	return eventstore.Cursor{}, false, nil
}

func isConflict(err error) bool {
	var pgErr *pgconn.PgError
	return errors.Is(err, eventstore.ErrConcurrency) ||
		errors.As(err, &pgErr) && (pgErr.Code == "23505" || pgErr.Code == "40P01") // unique_violation, deadlock_detected
}

// lockClass keeps our advisory locks apart from others' (golang-migrate
// takes bigint keys, a key space apart from (int, int) keys).
const lockClass = 0x45564e54 // "EVNT"

// lockAny serialises the writers of a stream appended with Any: they have
// nothing to check, so under contention they would only lose version races
// to each other. Locks are taken in stream order, so they cannot deadlock.
// Writers with an expected version stay lock-free.
func lockAny(ctx context.Context, tx pgx.Tx, appends []eventstore.Append) error {
	var streams []string
	for _, a := range appends {
		if a.Expected == eventstore.Any {
			streams = append(streams, a.StreamID)
		}
	}
	slices.Sort(streams)
	for _, id := range slices.Compact(streams) {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, lockClass, id); err != nil {
			return fmt.Errorf("lock stream %q: %w", id, err)
		}
	}
	return nil
}

func (s *Store) tryAppend(ctx context.Context, hold func(), appends []eventstore.Append) (c eventstore.Cursor, err error) {
	if hold == nil && !slices.ContainsFunc(appends, func(a eventstore.Append) bool { return a.Expected == eventstore.Any }) {
		return s.appendExact(ctx, appends)
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockAny(ctx, tx, appends); err != nil {
			return err
		}
		current, err := versions(ctx, tx, appends)
		if err != nil {
			return err
		}
		r, err := plan(appends, current)
		if err != nil {
			return err
		}
		if c, err = r.insert(ctx, tx, insertSQL); err != nil {
			return err
		}
		if hold != nil {
			hold()
		}
		return nil
	})
	return c, err
}

// appendExact writes appends that each expect a version in one statement
// (exactSQL). The events are numbered from the versions expected; a stream
// appended twice in one call must expect the version its first append
// leaves, as plan checks.
func (s *Store) appendExact(ctx context.Context, appends []eventstore.Append) (eventstore.Cursor, error) {
	expected := make(map[string]int64, len(appends))
	var streams []string
	var versions []int64
	for _, a := range appends {
		if _, ok := expected[a.StreamID]; !ok {
			expected[a.StreamID] = a.Expected
			streams, versions = append(streams, a.StreamID), append(versions, a.Expected)
		}
	}
	r, err := plan(appends, expected)
	if err != nil {
		return eventstore.Cursor{}, err
	}
	return r.insert(ctx, s.pool, exactSQL, streams, versions)
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

// versions returns the current version of each stream that has events.
func versions(ctx context.Context, q querier, appends []eventstore.Append) (map[string]int64, error) {
	ids := make([]string, len(appends))
	for i, a := range appends {
		ids[i] = a.StreamID
	}
	rows, err := q.Query(ctx, versionsSQL, ids)
	if err != nil {
		return nil, err
	}
	current := make(map[string]int64, len(appends))
	var id string
	var v int64
	_, err = pgx.ForEachRow(rows, []any{&id, &v}, func() error {
		current[id] = v
		return nil
	})
	return current, err
}

// rows are the columns of the events to insert, one array per column.
type rows struct {
	ids, streams, types, data, metadata []string
	versions                            []int64
	times                               []time.Time
}

// plan checks the expected versions and numbers the events. A stream
// appended twice in one call is checked against the version the earlier
// append leaves. current is updated.
func plan(appends []eventstore.Append, current map[string]int64) (*rows, error) {
	r := &rows{}
	for _, a := range appends {
		v := current[a.StreamID]
		if a.Expected != eventstore.Any && a.Expected != v {
			return nil, &eventstore.ConcurrencyError{StreamID: a.StreamID, Expected: a.Expected, Actual: v}
		}
		for _, e := range a.Events {
			v++
			r.add(a.StreamID, v, e)
		}
		current[a.StreamID] = v
	}
	return r, nil
}

// args are the rows as insertRows takes them.
func (r *rows) args() []any {
	return []any{r.ids, r.streams, r.versions, r.types, r.times, r.data, r.metadata}
}

func (r *rows) add(streamID string, version int64, e eventstore.NewEvent) {
	r.ids = append(r.ids, e.ID)
	r.streams = append(r.streams, streamID)
	r.versions = append(r.versions, version)
	r.types = append(r.types, e.Type)
	r.times = append(r.times, e.OccurredAt)
	r.data = append(r.data, string(e.Data))
	r.metadata = append(r.metadata, string(e.Metadata)) // "" is stored as NULL
}

// insert writes the rows by sql (insertSQL, or exactSQL with its checks as
// more arguments) and returns the cursor of the last one; errStale when it
// wrote none.
func (r *rows) insert(ctx context.Context, q querier, sql string, more ...any) (eventstore.Cursor, error) {
	rs, err := q.Query(ctx, sql, append(r.args(), more...)...)
	if err != nil {
		return eventstore.Cursor{}, err
	}
	var last eventstore.Cursor
	var txid string
	var pos int64
	n, err := pgx.ForEachRow(rs, []any{&txid, &pos}, func() error {
		last.Position = max(last.Position, pos)
		return nil
	})
	if err != nil {
		return eventstore.Cursor{}, err
	}
	if n.RowsAffected() == 0 {
		return eventstore.Cursor{}, errStale
	}
	last.Tx, err = parseTx(txid)
	return last, err
}

// stored recognises a retry: if every event id of the call is stored it
// returns the cursor of the last of them; if only some are, ErrDuplicateEvent.
func (s *Store) stored(ctx context.Context, appends []eventstore.Append) (eventstore.Cursor, bool, error) {
	var ids []string
	for _, a := range appends {
		for _, e := range a.Events {
			ids = append(ids, e.ID)
		}
	}
	const q = `SELECT count(*) OVER (), transaction_id::text, position FROM events
		WHERE id = ANY($1) ORDER BY events.transaction_id DESC, events.position DESC LIMIT 1`
	var found int
	var txid string
	var c eventstore.Cursor
	err := s.pool.QueryRow(ctx, q, ids).Scan(&found, &txid, &c.Position)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return eventstore.Cursor{}, false, nil
	case err != nil:
		return eventstore.Cursor{}, false, fmt.Errorf("eventstore/postgres: append: find stored ids: %w", err)
	case found < len(ids):
		return eventstore.Cursor{}, false, fmt.Errorf("%w: %d of %d event ids are stored", eventstore.ErrDuplicateEvent, found, len(ids))
	}
	c.Tx, err = parseTx(txid)
	return c, err == nil, err
}

// parseTx reads an xid8 sent as text: pgx has no codec we rely on for it.
func parseTx(s string) (uint64, error) {
	tx, err := strconv.ParseUint(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("eventstore/postgres: transaction id %q: %w", s, err)
	}
	return tx, nil
}

func formatTx(tx uint64) string { return strconv.FormatUint(tx, 10) }
