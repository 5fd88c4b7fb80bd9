package outbox_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// bus records what it is given, and refuses everything while down.
type bus struct {
	mu      sync.Mutex
	down    bool
	refused int
	topics  map[string][]*message.Message
}

func (b *bus) Publish(topic string, msgs ...*message.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.down {
		b.refused++
		return errors.New("broker unreachable")
	}
	b.topics[topic] = append(b.topics[topic], msgs...)
	return nil
}

func (b *bus) Close() error { return nil }

func (b *bus) setDown(down bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.down = down
}

func (b *bus) refusals() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.refused
}

func (b *bus) count(topic string) int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.topics[topic])
}

var at = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)

func appendNotification(t *testing.T, s eventstore.Store, i int) {
	t.Helper()
	n := domain.NotificationSent{NotificationID: fmt.Sprintf("n%d", i), UserID: fmt.Sprintf("u%d", i), PromoID: "p1",
		Day: "2026-11-27", Title: "Flash Promo", Body: "499.00 MXN", SentAt: at}
	e, err := codec.EncodeWithID(n.NotificationID, n, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), eventstore.Append{StreamID: "notification-2026-11-27-" + n.UserID, Expected: eventstore.NoStream, Events: []eventstore.NewEvent{e}}); err != nil {
		t.Fatal(err)
	}
}

func TestRelayLosesNothingWhileTheBusIsDown(t *testing.T) {
	s, b := memory.New(), &bus{topics: map[string][]*message.Message{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- outbox.NewRelay(s, b, slog.New(slog.NewTextHandler(io.Discard, nil))).Run(ctx) }()
	defer func() { cancel(); <-done }()

	for i := range 10 {
		appendNotification(t, s, i)
	}
	waitFor(t, func() bool { return b.count(outbox.EventsTopic) == 10 })
	published := head(t, s)
	waitFor(t, func() bool { return checkpoint(t, s) == published })
	b.setDown(true)
	for i := 10; i < 50; i++ { // appends go on while the bus is away
		appendNotification(t, s, i)
	}
	waitFor(t, func() bool { return b.refusals() >= 2 }) // the relay has tried, and tried again
	if c := checkpoint(t, s); c != published {
		t.Errorf("while the bus refused, the checkpoint moved from %v to %v", published, c)
	}
	b.setDown(false)
	waitFor(t, func() bool { return b.count(outbox.EventsTopic) >= 50 })
	last := head(t, s)
	waitFor(t, func() bool { return checkpoint(t, s) == last })

	seen := map[string]bool{}
	for _, m := range b.topics[outbox.EventsTopic] {
		var env eventstore.Envelope
		if err := json.Unmarshal(m.Payload, &env); err != nil {
			t.Fatal(err)
		}
		if m.UUID != env.ID || m.Metadata.Get(outbox.KeyMetadata) != env.StreamID || m.Metadata.Get("type") != "NotificationSent" {
			t.Errorf("message %s does not carry its event: %v", m.UUID, m.Metadata)
		}
		seen[env.ID] = true
	}
	if len(seen) != 50 {
		t.Errorf("%d distinct events published, want 50", len(seen))
	}
	if n := b.count(outbox.NotificationsTopic); n < 50 {
		t.Errorf("%d deliveries, want 50", n)
	}
	var d outbox.Delivery
	if err := json.Unmarshal(b.topics[outbox.NotificationsTopic][0].Payload, &d); err != nil || d.ID != "n0" || d.UserID != "u0" || d.PromoID != "p1" {
		t.Errorf("first delivery %+v (%v)", d, err)
	}
}

func head(t testing.TB, s eventstore.Store) eventstore.Cursor {
	t.Helper()
	c, err := s.Head(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func checkpoint(t testing.TB, s eventstore.Store) eventstore.Cursor {
	t.Helper()
	c, err := s.Checkpoint(context.Background(), outbox.Checkpoint)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(2 * time.Millisecond)
	}
}
