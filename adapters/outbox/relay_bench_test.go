package outbox_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// discard is a bus that takes everything and keeps nothing.
type discard struct{}

func (discard) Publish(string, ...*message.Message) error { return nil }
func (discard) Close() error                              { return nil }

// BenchmarkRelayOwnCost relays notifications already in the memory store to
// a bus that keeps nothing: the relay's own work per message (reading,
// encoding), without a broker. The relay against a broker over TCP, beside
// kafka-go's ceiling, is `flashpromo-bench relay` (BENCHMARKS.md).
func BenchmarkRelayOwnCost(b *testing.B) {
	const events = 20_000
	s := memory.New()
	appendNotifications(b, context.Background(), s, events)
	head := head(b, s)
	b.ResetTimer()
	for range b.N {
		if err := s.SaveCheckpoint(context.Background(), outbox.Checkpoint, eventstore.Cursor{}); err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- outbox.NewRelay(s, discard{}, slog.New(slog.DiscardHandler)).Run(ctx) }()
		for checkpoint(b, s).Less(head) {
			time.Sleep(time.Millisecond)
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(2*events*b.N)/b.Elapsed().Seconds(), "msg/s")
}
