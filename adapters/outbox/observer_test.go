package outbox_test

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// relayRecorder is an outbox.Observer that keeps what it is told.
type relayRecorder struct {
	mu        sync.Mutex
	published map[string]int
	failed    map[string]int
	dead      map[string]int // by "topic reason"
}

func (r *relayRecorder) Published(topic string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.published[topic] += n
}

func (r *relayRecorder) PublishFailed(topic string, _ error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed[topic]++
}

func (r *relayRecorder) DeadLetter(topic, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dead[topic+" "+reason]++
}

// read tells the events published and the failed publishes of every
// topic (the relay writes both topics at once, so both fail while the
// bus is down).
func (r *relayRecorder) read() (published, failed int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.failed {
		failed += n
	}
	return r.published[outbox.EventsTopic], failed
}

func newRecorder() *relayRecorder {
	return &relayRecorder{published: map[string]int{}, failed: map[string]int{}, dead: map[string]int{}}
}

// The observer hears of every publish the bus takes and of every one it
// refuses.
func TestRelayTellsItsObserver(t *testing.T) {
	s, b := memory.New(), &bus{topics: map[string][]*message.Message{}}
	rec := newRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	relay := outbox.NewRelay(s, b, slog.New(slog.NewTextHandler(io.Discard, nil))).WithObserver(rec)
	go func() { done <- relay.Run(ctx) }()
	defer func() { cancel(); <-done }()

	for i := range 10 {
		appendNotification(t, s, i)
	}
	waitFor(t, func() bool { p, _ := rec.read(); return p == 10 })
	b.setDown(true)
	for i := 10; i < 25; i++ {
		appendNotification(t, s, i)
	}
	waitFor(t, func() bool { _, f := rec.read(); return f >= 2 })
	b.setDown(false)
	waitFor(t, func() bool { p, _ := rec.read(); return p == 25 })
	if _, f := rec.read(); f != b.refusals() {
		t.Errorf("the observer heard of %d failed publishes, the bus refused %d", f, b.refusals())
	}
}
