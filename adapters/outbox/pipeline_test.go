package outbox_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// pages of a few notifications each (a delivery and an envelope are ~600
// bytes), several in flight.
var small = outbox.Sizing{ReadEvents: 40, PageBytes: 2000, InFlight: 3}

// orderBus records each topic's ids in the order taken. Until the
// notifications writer has taken two publishes, the first publish of
// envelopes waits: a relay that writes one page at a time never gets
// there. refuse, while set, makes it refuse every publish of envelopes
// that holds that id.
type orderBus struct {
	mu       sync.Mutex
	ids      map[string][]string
	calls    map[string]int // publishes taken, by topic
	refusals int
	refuse   string
	second   chan struct{} // closed at the second publish of notifications
	stalled  bool          // the first publish of envelopes waited in vain
}

func newOrderBus() *orderBus {
	return &orderBus{ids: map[string][]string{}, calls: map[string]int{}, second: make(chan struct{})}
}

func (b *orderBus) Publish(topic string, msgs ...*message.Message) error {
	b.mu.Lock()
	first := topic == outbox.EventsTopic && len(b.ids[topic]) == 0
	if topic == outbox.NotificationsTopic && b.calls[topic] == 1 {
		close(b.second)
	}
	b.mu.Unlock()
	if first {
		select {
		case <-b.second:
		case <-time.After(5 * time.Second):
			b.mu.Lock()
			b.stalled = true
			b.mu.Unlock()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if topic == outbox.EventsTopic && b.refuse != "" && slices.ContainsFunc(msgs, func(m *message.Message) bool { return m.UUID == b.refuse }) {
		b.refusals++
		return errors.New("broker unreachable")
	}
	for _, m := range msgs {
		b.ids[topic] = append(b.ids[topic], m.UUID)
	}
	b.calls[topic]++
	return nil
}

func (b *orderBus) Close() error { return nil }

func (b *orderBus) taken(topic string) []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.ids[topic])
}

func (b *orderBus) setRefuse(id string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refuse = id
}

func (b *orderBus) refused() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refusals
}

// watchedSaves checks, at each save of the relay's checkpoint, that every
// event up to it is on both topics already.
type watchedSaves struct {
	*memory.Store
	bus    *orderBus
	log    []eventstore.Event
	mu     sync.Mutex
	saves  int
	errors []string
}

func (w *watchedSaves) SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error {
	envelopes, deliveries := w.bus.taken(outbox.EventsTopic), w.bus.taken(outbox.NotificationsTopic)
	w.mu.Lock()
	w.saves++
	for _, e := range w.log {
		if c.Less(e.Cursor) {
			break
		}
		if !slices.Contains(envelopes, e.ID) || !slices.Contains(deliveries, notificationID(e)) {
			w.errors = append(w.errors, "checkpoint saved past "+e.ID+" before both topics took it")
		}
	}
	w.mu.Unlock()
	return w.Store.SaveCheckpoint(ctx, name, c)
}

// notificationID is the id of the delivery of a notification appended by
// appendNotification: its event id.
func notificationID(e eventstore.Event) string { return e.ID }

// seeded is a memory store of n notifications whose saves are watched
// against an orderBus.
func seeded(t *testing.T, n int) (*orderBus, *watchedSaves) {
	t.Helper()
	b := newOrderBus()
	s := &watchedSaves{Store: memory.New(), bus: b}
	for i := range n {
		appendNotification(t, s, i)
	}
	events, err := s.ReadSince(context.Background(), eventstore.Cursor{}, n)
	if err != nil {
		t.Fatal(err)
	}
	s.log = events
	return b, s
}

func runRelay(t *testing.T, s eventstore.Store, b message.Publisher) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- outbox.NewRelay(s, b, slog.New(slog.NewTextHandler(io.Discard, nil))).WithSizing(small).Run(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("relay ended with %v", err)
		}
	})
}

// The pipelined relay writes the two topics at once and pages ahead, yet
// each topic gets the log's order, each id once, and the checkpoint moves
// past an event only once both topics took it.
func TestRelayPipelineKeepsOrderAndCheckpoint(t *testing.T) {
	const n = 200
	b, s := seeded(t, n)
	runRelay(t, s, b)
	last := s.log[len(s.log)-1].Cursor
	waitFor(t, func() bool { return checkpoint(t, s) == last })

	want := make([]string, n)
	for i, e := range s.log {
		want[i] = e.ID
	}
	for _, topic := range []string{outbox.EventsTopic, outbox.NotificationsTopic} {
		if got := b.taken(topic); !slices.Equal(got, want) {
			t.Errorf("%s took %d ids, not the log's %d in order: %v", topic, len(got), n, got)
		}
	}
	if b.stalled {
		t.Error("the notifications of the second page waited for the envelopes of the first: no pipelining")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.saves < 2 {
		t.Errorf("%d checkpoint saves, want one a page", s.saves)
	}
	for _, e := range s.errors {
		t.Error(e)
	}
}

// A page whose envelopes the bus refuses holds the checkpoint before it,
// while the pages after it may be written to the other topic; once the
// bus takes it, the relay goes on and every id is on both topics.
func TestRelayFailedPageHoldsTheCheckpoint(t *testing.T) {
	const n = 200
	b, s := seeded(t, n)
	poison := s.log[n/2]
	b.setRefuse(poison.ID)
	runRelay(t, s, b)

	waitFor(t, func() bool { return b.refused() >= 2 }) // refused, and refused again
	waitFor(t, func() bool { return slices.Contains(b.taken(outbox.NotificationsTopic), poison.ID) })
	if c := checkpoint(t, s); !c.Less(poison.Cursor) {
		t.Fatalf("checkpoint %v passed the refused event at %v", c, poison.Cursor)
	}
	b.setRefuse("")
	last := s.log[len(s.log)-1].Cursor
	waitFor(t, func() bool { return checkpoint(t, s) == last })
	for _, topic := range []string{outbox.EventsTopic, outbox.NotificationsTopic} {
		seen := map[string]bool{}
		for _, id := range b.taken(topic) {
			seen[id] = true
		}
		if len(seen) != n {
			t.Errorf("%s: %d distinct ids, want %d", topic, len(seen), n)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range s.errors {
		t.Error(e)
	}
}
