// Package eventstore stores streams of events: append with an expected
// version, read a stream, read the global log, and follow it without gaps.
// It knows streams, versions, positions and bytes; never the domain.
package eventstore

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Expected versions for Append besides an exact version (>= 1).
const (
	Any      int64 = -1 // append whatever the stream's version
	NoStream int64 = 0  // the stream must not exist yet
)

// ErrConcurrency is wrapped by every ConcurrencyError.
var ErrConcurrency = errors.New("eventstore: wrong expected version")

// ErrUnknownPosition is returned by ReadAll for an After that names no event.
var ErrUnknownPosition = errors.New("eventstore: unknown position")

// ErrDuplicateEvent is returned when an append repeats some, but not all, of
// the event ids of an earlier append.
var ErrDuplicateEvent = errors.New("eventstore: duplicate event id")

// ConcurrencyError says a stream was not at the version the writer expected.
type ConcurrencyError struct {
	StreamID string
	Expected int64
	Actual   int64
}

func (e *ConcurrencyError) Error() string {
	return fmt.Sprintf("eventstore: stream %q is at version %d, expected %d", e.StreamID, e.Actual, e.Expected)
}

func (e *ConcurrencyError) Unwrap() error { return ErrConcurrency }

// NewEvent is an event to append. ID is unique in the whole store: an append
// whose event ids are all stored already is a retry and succeeds unchanged.
type NewEvent struct {
	ID         string
	Type       string
	OccurredAt time.Time
	Data       []byte // JSON
	Metadata   []byte // JSON about the event (who asked); nil for none
}

// Event is a stored event.
type Event struct {
	ID         string
	StreamID   string
	Version    int64 // 1 for the first event of a stream
	Position   int64 // unique in the store, assigned at append
	Type       string
	OccurredAt time.Time
	Data       []byte // JSON
	Metadata   []byte // JSON, or nil when the event was stored without
	Cursor     Cursor // where a subscription that handled this event resumes
}

// Cursor orders the log for subscribers: by the appending transaction, then
// by position. A transaction's events become readable only when no older
// transaction can still commit, so a reader that resumes from a cursor never
// skips a late commit. The zero Cursor is the start of the log.
type Cursor struct {
	Tx       uint64
	Position int64
}

// Less reports whether c comes before d in log order.
func (c Cursor) Less(d Cursor) bool {
	return c.Tx < d.Tx || (c.Tx == d.Tx && c.Position < d.Position)
}

// Append is a batch of events for one stream, checked against Expected.
type Append struct {
	StreamID string
	Expected int64
	Events   []NewEvent
}

// Query selects events of the global log for ReadAll.
type Query struct {
	After    int64  // position of the last event already seen; 0 from the start
	Limit    int    // at most this many events (> 0)
	StreamID string // only this stream, when set
	Type     string // only this event type, when set
}

// Store is an event store. Both implementations pass the conformance suite.
type Store interface {
	// Append writes every append atomically: all streams are checked against
	// their expected versions and all events are written, or nothing is. It
	// returns the cursor of the last event written; a caller that waits for a
	// subscriber to pass it reads its own writes.
	Append(ctx context.Context, appends ...Append) (Cursor, error)

	// AppendNew writes each append, whose Expected must be NoStream, as the
	// first events of a new stream, skipping those whose stream exists
	// already. It returns the stream ids it wrote, in the order given. One
	// call is one transaction, meant for thousands of streams at once. Each
	// append carries exactly one event; an append whose event id is stored
	// already is skipped too, as a retry. A stream given twice is written
	// once, by its first append.
	AppendNew(ctx context.Context, appends []Append) ([]string, error)

	// ReadStream returns the events of a stream with version > after, in
	// version order; none (and no error) for an unknown stream.
	ReadStream(ctx context.Context, streamID string, after int64) ([]Event, error)

	// ReadAll returns committed events of the global log in log order after
	// the event at position q.After (ErrUnknownPosition if there is none).
	ReadAll(ctx context.Context, q Query) ([]Event, error)

	// ReadSince returns up to limit events after cursor in log order, only
	// from transactions older than every transaction still open: a
	// subscriber that resumes from the last Cursor it handled sees every
	// event exactly once.
	ReadSince(ctx context.Context, after Cursor, limit int) ([]Event, error)

	// Head returns the cursor of the newest readable event (zero if none).
	Head(ctx context.Context) (Cursor, error)

	// Appended returns a channel that is closed by the next append of this
	// process: a broadcast to wake subscribers, who also poll for appends of
	// other processes.
	Appended() <-chan struct{}

	// Checkpoint returns a subscriber's saved cursor (zero if none);
	// SaveCheckpoint stores it.
	Checkpoint(ctx context.Context, name string) (Cursor, error)
	SaveCheckpoint(ctx context.Context, name string, c Cursor) error
}
