package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
)

// testFollowSlowWriters: concurrent writers, some holding their transaction
// open after taking their positions, while a follower tails the log. It must
// see every event exactly once, in an order where cursors strictly increase
// and each stream's versions come one after the other.
func testFollowSlowWriters(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	holder, _ := s.(HoldingAppender)
	if holder == nil {
		t.Log("the store cannot hold a transaction open: every writer commits at once")
	}
	f := follow(ctx, s)
	want := writeConcurrently(t, ctx, s, holder)
	seen := f.waitFor(t, ctx, want)

	if len(seen) != len(want) {
		t.Errorf("the follower got %d events, want %d: some came twice", len(seen), len(want))
	}
	checkOrder(t, seen)
	checkStreams(t, seen)
	t.Logf("%d of %d events came after a higher position: commits out of position order", lateCommits(seen), len(seen))
}

func lateCommits(seen []eventstore.Event) int {
	n := 0
	var highest int64
	for _, e := range seen {
		if e.Position < highest {
			n++
		}
		highest = max(highest, e.Position)
	}
	return n
}

// follower collects what Follow hands it.
type follower struct {
	mu       sync.Mutex
	seen     []eventstore.Event
	progress chan struct{}
	stop     context.CancelFunc
	done     chan error
}

func follow(ctx context.Context, s eventstore.Store) *follower {
	ctx, stop := context.WithCancel(ctx)
	f := &follower{progress: make(chan struct{}, 1), stop: stop, done: make(chan error, 1)}
	go func() {
		f.done <- eventstore.Follow(ctx, s, eventstore.Cursor{}, 5, 5*time.Millisecond, f.handle)
	}()
	return f
}

func (f *follower) handle(_ context.Context, events []eventstore.Event) error {
	f.mu.Lock()
	f.seen = append(f.seen, events...)
	f.mu.Unlock()
	select {
	case f.progress <- struct{}{}:
	default:
	}
	return nil
}

// waitFor waits until every wanted id is seen, stops the follower and
// returns what it saw.
func (f *follower) waitFor(t *testing.T, ctx context.Context, want []string) []eventstore.Event {
	t.Helper()
	for {
		f.mu.Lock()
		missing := missingIDs(f.seen, want)
		f.mu.Unlock()
		if len(missing) == 0 {
			break
		}
		select {
		case <-f.progress:
		case <-ctx.Done():
			t.Fatalf("the follower never got %d events, e.g. %v", len(missing), missing[0])
		}
	}
	f.stop()
	if err := <-f.done; !errors.Is(err, context.Canceled) {
		t.Errorf("follow returned %v, want context.Canceled", err)
	}
	return f.seen
}

func missingIDs(seen []eventstore.Event, want []string) []string {
	got := make(map[string]bool, len(seen))
	for _, e := range seen {
		got[e.ID] = true
	}
	var missing []string
	for _, id := range want {
		if !got[id] {
			missing = append(missing, id)
		}
	}
	return missing
}

// writeConcurrently runs writers that each append to their own stream and
// now and then to a shared one with Any; every third append is held open.
// It returns the ids written.
func writeConcurrently(t *testing.T, ctx context.Context, s eventstore.Store, holder HoldingAppender) []string {
	const writers, rounds = 6, 12
	var mu sync.Mutex
	var written []string
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			stream, version := fmt.Sprintf("writer-%d", w), int64(0)
			for r := range rounds {
				appends := roundOf(stream, version, r)
				if err := appendMaybeHeld(ctx, s, holder, w+r, appends); err != nil {
					t.Errorf("%s round %d: %v", stream, r, err)
					return
				}
				version += int64(len(appends[0].Events))
				mu.Lock()
				for _, a := range appends {
					written = append(written, idsOf(a.Events)...)
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return written
}

func roundOf(stream string, version int64, r int) []eventstore.Append {
	id := fmt.Sprintf("%s-%d", stream, r)
	evs := events(id + "-a")
	if r%3 == 0 {
		evs = events(id+"-a", id+"-b")
	}
	appends := []eventstore.Append{{StreamID: stream, Expected: version, Events: evs}}
	if r%4 == 1 {
		appends = append(appends, eventstore.Append{StreamID: "shared", Expected: eventstore.Any, Events: events(id + "-shared")})
	}
	return appends
}

func idsOf(events []eventstore.NewEvent) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// appendMaybeHeld holds every third append open for 3 to 12 ms after it
// inserted; the test's outcome never depends on these durations.
func appendMaybeHeld(ctx context.Context, s eventstore.Store, holder HoldingAppender, n int, appends []eventstore.Append) error {
	if holder == nil || n%3 != 0 {
		_, err := s.Append(ctx, appends...)
		return err
	}
	release := make(chan struct{})
	var once sync.Once
	inserted := func() {
		once.Do(func() { time.AfterFunc(time.Duration(1+n%4)*3*time.Millisecond, func() { close(release) }) })
	}
	_, err := holder.AppendHolding(ctx, inserted, release, appends...)
	return err
}

// checkStreams fails unless each stream's versions come in order, 1, 2, ...
func checkStreams(t *testing.T, seen []eventstore.Event) {
	t.Helper()
	versions := make(map[string]int64)
	for _, e := range seen {
		if e.Version != versions[e.StreamID]+1 {
			t.Fatalf("%s: version %d after %d", e.ID, e.Version, versions[e.StreamID])
		}
		versions[e.StreamID] = e.Version
	}
}

// testFollowStops: Follow resumes after its cursor, returns handle's error
// and returns ctx.Err() when cancelled.
func testFollowStops(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	c := mustAppend(t, ctx, s, newStream("s", "e1"))
	last := mustAppend(t, ctx, s, eventstore.Append{StreamID: "s", Expected: 1, Events: events("e2", "e3")})
	settle(t, ctx, s, last)

	errStop := errors.New("stop")
	var got []string
	err := eventstore.Follow(ctx, s, c, 10, time.Millisecond, func(_ context.Context, events []eventstore.Event) error {
		got = ids(events)
		return errStop
	})
	if !errors.Is(err, errStop) || !slices.Equal(got, []string{"e2", "e3"}) {
		t.Errorf("follow from e1: got %v then %v, want [e2 e3] then the handler's error", got, err)
	}

	cancelled, cancel := context.WithCancel(ctx)
	time.AfterFunc(20*time.Millisecond, cancel)
	err = eventstore.Follow(cancelled, s, last, 10, time.Millisecond, func(context.Context, []eventstore.Event) error {
		return errors.New("no event follows e3")
	})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled follow returned %v", err)
	}
}
