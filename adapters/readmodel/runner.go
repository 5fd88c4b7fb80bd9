// Package readmodel keeps the read side in memory: projectors tail the
// event store and fold events into models the queries read without a
// database round trip.
package readmodel

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// Model is a read model: it folds events in order. A model guards its own
// state, since queries read it while its runner applies events.
type Model interface {
	Apply(e domain.Event)
}

const (
	batchSize = 5000
	poll      = 100 * time.Millisecond
)

// runner feeds one model from the log and can rebuild it into a shadow
// copy that replaces it once caught up; queries keep reading the old copy
// until then.
type runner[M Model] struct {
	name  string
	store eventstore.Store
	fresh func() M
	log   *slog.Logger
	types map[string]bool // the event types the model folds

	model atomic.Value // M: swapped whole, so queries never wait for a batch

	mu         sync.Mutex // held while applying a batch or swapping
	cursor     eventstore.Cursor
	advanced   chan struct{} // closed and replaced when the cursor moves
	rebuilding bool
	rebuilt    eventstore.Cursor // how far the shadow copy of a rebuild is
}

// newRunner feeds a model the event types it folds; the others are not
// even decoded (a fan-out writes a million events the promos never read).
func newRunner[M Model](name string, store eventstore.Store, fresh func() M, log *slog.Logger, types ...domain.Event) *runner[M] {
	r := &runner[M]{name: name, store: store, fresh: fresh, log: log, advanced: make(chan struct{}), types: map[string]bool{}}
	for _, t := range types {
		r.types[t.EventName()] = true
	}
	r.model.Store(fresh())
	return r
}

// current is the model queries read.
func (r *runner[M]) current() M { return r.model.Load().(M) }

func (r *runner[M]) position() eventstore.Cursor {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.cursor
}

// applyLive folds a page of the live log; events the model has already
// (restored from a snapshot taken further on than the shared reader
// starts) are passed over.
func (r *runner[M]) applyLive(_ context.Context, events []eventstore.Event) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	skip := 0
	for skip < len(events) && !r.cursor.Less(events[skip].Cursor) {
		skip++
	}
	if skip == len(events) {
		return nil
	}
	r.fold(r.current(), events[skip:])
	r.cursor = events[len(events)-1].Cursor
	close(r.advanced)
	r.advanced = make(chan struct{})
	return nil
}

func (r *runner[M]) fold(m M, events []eventstore.Event) {
	for _, e := range events {
		if !r.types[e.Type] {
			continue
		}
		ev, ok, err := codec.Decode(e)
		if err != nil {
			r.log.Error("read model skips an undecodable event", "model", r.name, "event", e.ID, "err", err)
			continue
		}
		if ok {
			m.Apply(ev)
		}
	}
}

// waitFor blocks until the model has applied the event at c.
func (r *runner[M]) waitFor(ctx context.Context, c eventstore.Cursor) error {
	for {
		r.mu.Lock()
		done, advanced := !r.cursor.Less(c), r.advanced
		r.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-advanced:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// beginRebuild marks the model as rebuilding; false if it already is.
func (r *runner[M]) beginRebuild() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rebuilding {
		return false
	}
	r.rebuilding = true
	return true
}

// rebuild replays the whole log into a fresh model, then swaps it in. The
// shadow reads only up to the live cursor, so no event is applied twice.
// The caller has called beginRebuild.
func (r *runner[M]) rebuild(ctx context.Context) error {
	defer func() {
		r.mu.Lock()
		r.rebuilding = false
		r.mu.Unlock()
	}()
	shadow, at := r.fresh(), eventstore.Cursor{}
	r.progress(at)
	for {
		target := r.position()
		var err error
		if at, err = r.catchUp(ctx, shadow, at, target); err != nil {
			return err
		}
		r.mu.Lock()
		if r.cursor == at { // caught up: the live loop waits while we swap
			r.model.Store(shadow)
			r.mu.Unlock()
			r.log.Info("read model rebuilt", "model", r.name, "position", at.Position)
			return nil
		}
		r.mu.Unlock()
		select { // the live loop moved on meanwhile: chase it
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
}

// catchUp folds events after `at` up to and including `target` into m,
// reading the next page while it folds one.
func (r *runner[M]) catchUp(ctx context.Context, m M, at, target eventstore.Cursor) (eventstore.Cursor, error) {
	if !at.Less(target) {
		return at, nil
	}
	err := eventstore.Follow(ctx, r.store, at, batchSize, poll, func(_ context.Context, events []eventstore.Event) error {
		n := 0
		for n < len(events) && !target.Less(events[n].Cursor) {
			n++
		}
		if n > 0 {
			r.fold(m, events[:n])
			at = events[n-1].Cursor
			r.progress(at)
		}
		if n < len(events) || len(events) < batchSize || !at.Less(target) {
			return errCaughtUp
		}
		return nil
	})
	if errors.Is(err, errCaughtUp) {
		err = nil
	}
	return at, err
}

var errCaughtUp = errors.New("caught up")

// progress records how far the shadow copy of a rebuild is.
func (r *runner[M]) progress(at eventstore.Cursor) {
	r.mu.Lock()
	r.rebuilt = at
	r.mu.Unlock()
}

// status is the model's cursor and whether it is rebuilding; while it is,
// the cursor is the shadow copy's, so a caller sees the rebuild advance
// (queries still read the old copy, which is live).
func (r *runner[M]) status() (eventstore.Cursor, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.rebuilding {
		return r.rebuilt, true
	}
	return r.cursor, false
}
