package outbox_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
	"github.com/flashpromo/flashpromo/internal/topology"
)

func appendTyped(t *testing.T, s eventstore.Store, stream, typ string) {
	t.Helper()
	e := eventstore.NewEvent{ID: fmt.Sprintf("%s-%s", stream, typ), Type: typ, OccurredAt: time.Now(), Data: []byte(`{"n":1}`)}
	if _, err := s.Append(context.Background(), eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: []eventstore.NewEvent{e}}); err != nil {
		t.Fatal(err)
	}
}

func next(t *testing.T, msgs <-chan *message.Message) *message.Message {
	t.Helper()
	select {
	case m := <-msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no message")
		return nil
	}
}

// TestLogSubscriber: the log as flashpromo.events, one envelope at a time,
// of the chosen types only; a nack hands the same event over again; the
// checkpoint moves only past a page whose every message was acked, so a
// subscriber closed before an ack starts again from that page.
func TestLogSubscriber(t *testing.T) {
	store := memory.New()
	appendTyped(t, store, "a", "Skipped")
	appendTyped(t, store, "b", "Wanted")
	appendTyped(t, store, "c", "Wanted")
	sub := &outbox.LogSubscriber{Store: store, Checkpoint: "test", Types: []string{"Wanted"}, Retry: time.Millisecond}
	if _, err := sub.Subscribe(t.Context(), "another.topic"); err == nil {
		t.Error("subscribing to another topic: no error")
	}
	msgs, err := sub.Subscribe(t.Context(), topology.EventsTopic)
	if err != nil {
		t.Fatal(err)
	}
	m := next(t, msgs)
	var env eventstore.Envelope
	if err := json.Unmarshal(m.Payload, &env); err != nil || env.StreamID != "b" || m.Metadata.Get(topology.TypeMetadata) != "Wanted" {
		t.Fatalf("first message: %s (%v), type %q; want the envelope of b", m.Payload, err, m.Metadata.Get(topology.TypeMetadata))
	}
	m.Nack()
	if again := next(t, msgs); again.UUID != m.UUID {
		t.Fatalf("after a nack came %s, want %s again", again.UUID, m.UUID)
	} else {
		again.Ack()
	}
	if c, _ := store.Checkpoint(t.Context(), "test"); c != (eventstore.Cursor{}) {
		t.Errorf("checkpoint %v before the page's last message was acked", c)
	}
	c := next(t, msgs) // c, not acked: the subscriber goes away
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if cp, _ := store.Checkpoint(t.Context(), "test"); cp != (eventstore.Cursor{}) {
		t.Errorf("checkpoint %v, though %s was never acked", cp, c.UUID)
	}

	again := &outbox.LogSubscriber{Store: store, Checkpoint: "test", Types: []string{"Wanted"}, Retry: time.Millisecond}
	t.Cleanup(func() { _ = again.Close() })
	msgs, err = again.Subscribe(t.Context(), topology.EventsTopic)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{m.UUID, c.UUID} {
		got := next(t, msgs)
		if got.UUID != want {
			t.Fatalf("after a restart came %s, want %s", got.UUID, want)
		}
		got.Ack()
	}
	waitFor(t, func() bool {
		cp, _ := store.Checkpoint(context.Background(), "test")
		head, _ := store.Head(context.Background())
		return cp == head
	})
}
