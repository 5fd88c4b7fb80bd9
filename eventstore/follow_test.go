package eventstore_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

func appendOne(t *testing.T, s eventstore.Store, id string) {
	t.Helper()
	_, err := s.Append(t.Context(), eventstore.Append{StreamID: id, Expected: eventstore.NoStream,
		Events: []eventstore.NewEvent{{ID: id, Type: "Happened", Data: []byte(`{}`)}}})
	if err != nil {
		t.Fatal(err)
	}
}

// followUntil runs Follow until it has handled want events.
func followUntil(ctx context.Context, s eventstore.Store, poll time.Duration, want int) error {
	errDone := errors.New("done")
	n := 0
	err := eventstore.Follow(ctx, s, eventstore.Cursor{}, 10, poll, func(_ context.Context, events []eventstore.Event) error {
		if n += len(events); n >= want {
			return errDone
		}
		return nil
	})
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}

// An append wakes the follower at once: the append comes after a read that
// found nothing, and with an hour between polls only Appended can wake it.
func TestFollowWakesOnAppend(t *testing.T) {
	s := &emptyReads{Store: memory.New(), empty: make(chan struct{}, 1)}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- followUntil(ctx, s, time.Hour, 1) }()
	select {
	case <-s.empty: // the follower has read the empty log and waits
	case err := <-done:
		t.Fatalf("follow ended before reading: %v", err)
	}
	appendOne(t, s, "e1")
	if err := <-done; err != nil {
		t.Fatalf("follow: %v", err)
	}
}

// emptyReads tells when a read has found nothing.
type emptyReads struct {
	*memory.Store
	empty chan struct{}
}

func (e *emptyReads) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	events, err := e.Store.ReadSince(ctx, after, limit)
	if err == nil && len(events) == 0 {
		select {
		case e.empty <- struct{}{}:
		default:
		}
	}
	return events, err
}

// failing fails its first reads, like a database that is down.
type failing struct {
	*memory.Store
	failures atomic.Int32
}

func (f *failing) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	if f.failures.Add(-1) >= 0 {
		return nil, errors.New("connection refused")
	}
	return f.Store.ReadSince(ctx, after, limit)
}

func TestFollowOutlivesReadErrors(t *testing.T) {
	s := &failing{Store: memory.New()}
	s.failures.Store(3)
	appendOne(t, s, "e1")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := followUntil(ctx, s, time.Millisecond, 1); err != nil {
		t.Fatalf("follow: %v", err)
	}
	if n := s.failures.Load(); n >= 0 {
		t.Fatalf("%d failures left: the test did not fail reads", n+1)
	}
}

func TestFollowRejectsBadArguments(t *testing.T) {
	for _, c := range []struct {
		batch int
		poll  time.Duration
	}{{0, time.Second}, {10, 0}} {
		err := eventstore.Follow(t.Context(), memory.New(), eventstore.Cursor{}, c.batch, c.poll, nil)
		if !errors.Is(err, eventstore.ErrInvalidArgument) {
			t.Errorf("batch %d, poll %v: %v", c.batch, c.poll, err)
		}
	}
}

// watched tells when a read starts.
type watched struct {
	*memory.Store
	reads chan eventstore.Cursor
}

func (w *watched) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	select {
	case w.reads <- after:
	default:
	}
	return w.Store.ReadSince(ctx, after, limit)
}

// While the handler works on a full page, the page after it is being read
// already, from the cursor of the page's last event; pages still come in
// order and none twice.
func TestFollowReadsAheadWhileHandling(t *testing.T) {
	s := &watched{Store: memory.New(), reads: make(chan eventstore.Cursor, 10)}
	for i := range 25 {
		appendOne(t, s, fmt.Sprintf("e%02d", i))
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	errDone := errors.New("done")
	var seen []string
	err := eventstore.Follow(ctx, s, eventstore.Cursor{}, 10, time.Hour, func(ctx context.Context, events []eventstore.Event) error {
		if len(seen) == 0 { // the first page: the second must be read while this one is handled
			<-s.reads // the read of this page
			select {
			case after := <-s.reads:
				if after != events[len(events)-1].Cursor {
					t.Errorf("read ahead from %v, want the page's last cursor %v", after, events[len(events)-1].Cursor)
				}
			case <-ctx.Done():
				t.Error("no read ahead while the handler worked on a full page")
			}
		}
		for _, e := range events {
			seen = append(seen, e.ID)
		}
		if len(seen) == 25 {
			return errDone
		}
		return nil
	})
	if !errors.Is(err, errDone) {
		t.Fatalf("follow: %v", err)
	}
	for i, id := range seen {
		if want := fmt.Sprintf("e%02d", i); id != want {
			t.Fatalf("event %d is %s, want %s", i, id, want)
		}
	}
}
