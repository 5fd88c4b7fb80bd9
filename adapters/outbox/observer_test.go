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
	lag       int64
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

func (r *relayRecorder) Lag(events int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.lag = events
}

func (r *relayRecorder) read() (published, failed int, lag int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.published[outbox.EventsTopic], r.failed[outbox.EventsTopic], r.lag
}

// The observer hears of every failed publish and of the events waiting
// while the bus refuses, and of a lag of none once it takes them.
func TestRelayTellsItsObserver(t *testing.T) {
	s, b := memory.New(), &bus{topics: map[string][]*message.Message{}}
	rec := &relayRecorder{published: map[string]int{}, failed: map[string]int{}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	relay := outbox.NewRelay(s, b, slog.New(slog.NewTextHandler(io.Discard, nil))).WithObserver(rec)
	go func() { done <- relay.Run(ctx) }()
	defer func() { cancel(); <-done }()

	for i := range 10 {
		appendNotification(t, s, i)
	}
	waitFor(t, func() bool { p, _, lag := rec.read(); return p == 10 && lag == 0 })
	b.setDown(true)
	for i := 10; i < 25; i++ {
		appendNotification(t, s, i)
	}
	waitFor(t, func() bool { _, f, lag := rec.read(); return f >= 2 && lag == 15 })
	b.setDown(false)
	waitFor(t, func() bool { p, _, lag := rec.read(); return p == 25 && lag == 0 })
	if _, f, _ := rec.read(); f != b.refusals() {
		t.Errorf("the observer heard of %d failed publishes, the bus refused %d", f, b.refusals())
	}
}
