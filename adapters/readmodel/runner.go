// Package readmodel keeps the read side in memory: projectors tail the
// event store and fold events into models the queries read without a
// database round trip.
package readmodel

import (
	"context"
	"errors"
	"log/slog"
	"slices"
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

var notificationSent = domain.NotificationSent{}.EventName()

// logClocked is a model that keeps time by the log: after each page it
// folds, it is told when the page's last event happened.
type logClocked interface{ logTime(time.Time) }

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
	var notifications codec.NotificationDecoder
	for _, e := range events {
		if !r.types[e.Type] {
			continue
		}
		if e.Type == notificationSent {
			if n, ok := notifications.Decode(e.Data); ok {
				m.Apply(n)
				continue
			}
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
	if c, ok := any(m).(logClocked); ok && len(events) > 0 {
		c.logTime(events[len(events)-1].OccurredAt)
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

// shadow is a rebuild's fresh copy of one model, catching up with the
// live one.
type shadow interface {
	target() eventstore.Cursor // the live cursor it must reach
	at() eventstore.Cursor     // how far it is
	// foldUpTo folds the events of a page after at() and up to target.
	foldUpTo(events []eventstore.Event, target eventstore.Cursor)
	// swap puts the copy in place of the live model if it has caught up
	// with it: the live reader waits while it does.
	swap() bool
	end() // the rebuild is over, swapped in or not
}

type shadowOf[M Model] struct {
	r    *runner[M]
	m    M
	upTo eventstore.Cursor
}

// newShadow starts a rebuild's copy; the caller has called beginRebuild.
func (r *runner[M]) newShadow() shadow {
	r.progress(eventstore.Cursor{})
	return &shadowOf[M]{r: r, m: r.fresh()}
}

func (s *shadowOf[M]) target() eventstore.Cursor { return s.r.position() }
func (s *shadowOf[M]) at() eventstore.Cursor     { return s.upTo }

func (s *shadowOf[M]) foldUpTo(events []eventstore.Event, target eventstore.Cursor) {
	lo := 0
	for lo < len(events) && !s.upTo.Less(events[lo].Cursor) {
		lo++
	}
	hi := lo
	for hi < len(events) && !target.Less(events[hi].Cursor) {
		hi++
	}
	if hi > lo {
		s.r.fold(s.m, events[lo:hi])
		s.upTo = events[hi-1].Cursor
		s.r.progress(s.upTo)
	}
}

func (s *shadowOf[M]) swap() bool {
	r := s.r
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cursor != s.upTo {
		return false
	}
	r.model.Store(s.m)
	r.log.Info("read model rebuilt", "model", r.name, "position", s.upTo.Position)
	return true
}

func (s *shadowOf[M]) end() {
	s.r.mu.Lock()
	s.r.rebuilding = false
	s.r.mu.Unlock()
}

// rebuild replays the whole log into fresh copies of the models, with one
// reader for all of them, and swaps each in once it has caught up with its
// live model. A copy reads only up to the live cursor, so no event is
// applied twice.
func rebuild(ctx context.Context, store eventstore.Store, shadows ...shadow) error {
	defer func() {
		for _, s := range shadows {
			s.end()
		}
	}()
	pending := slices.Clone(shadows)
	for len(pending) > 0 {
		if err := catchUp(ctx, store, pending); err != nil {
			return err
		}
		pending = slices.DeleteFunc(pending, shadow.swap)
		if len(pending) == 0 {
			return nil
		}
		select { // the live loop moved on meanwhile: chase it
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Millisecond):
		}
	}
	return nil
}

// catchUp folds the log into each shadow up to its target (as it is now),
// reading each page once for all of them, and the next page while they
// fold one.
func catchUp(ctx context.Context, store eventstore.Store, shadows []shadow) error {
	targets := make([]eventstore.Cursor, len(shadows))
	from, behind := eventstore.Cursor{}, false
	for i, s := range shadows {
		targets[i] = s.target()
		if s.at().Less(targets[i]) && (!behind || s.at().Less(from)) {
			from, behind = s.at(), true
		}
	}
	if !behind {
		return nil
	}
	err := eventstore.Follow(ctx, store, from, batchSize, poll, func(_ context.Context, events []eventstore.Event) error {
		var g sync.WaitGroup
		for i, s := range shadows {
			g.Go(func() { s.foldUpTo(events, targets[i]) })
		}
		g.Wait()
		if len(events) < batchSize {
			return errCaughtUp
		}
		for i, s := range shadows {
			if s.at().Less(targets[i]) && !targets[i].Less(events[len(events)-1].Cursor) {
				return nil // this one needs more of the log
			}
		}
		return errCaughtUp
	})
	if errors.Is(err, errCaughtUp) {
		err = nil
	}
	return err
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
