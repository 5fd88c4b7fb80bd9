package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// BenchmarkAppendNew measures the fan-out's write: one new stream per user
// and day, many a statement. It reports rows a second.
func BenchmarkAppendNew(b *testing.B) {
	for _, size := range []int{1000, 5000, 20000} {
		b.Run(fmt.Sprint(size), func(b *testing.B) {
			ctx, s := context.Background(), benchStore(b)
			data := []byte(`{"id":"n","user_id":"u","promo_id":"p1","day":"2026-11-27","title":"Flash Promo: Audífonos XYZ at TechShop","body":"499.00 MXN instead of 999.00 MXN, until 19:00","sent_at":"2026-11-27T22:00:00Z"}`)
			at := time.Now()
			n := 0
			for b.Loop() {
				appends := make([]eventstore.Append, size)
				for i := range appends {
					id := fmt.Sprintf("b%d-%d", n, i)
					appends[i] = eventstore.Append{StreamID: "notification-2026-11-27-" + id, Expected: eventstore.NoStream,
						Events: []eventstore.NewEvent{{ID: id, Type: "NotificationSent", OccurredAt: at, Data: data}}}
				}
				if _, err := s.AppendNew(ctx, appends); err != nil {
					b.Fatal(err)
				}
				n++
			}
			b.ReportMetric(float64(n*size)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkAppendBatch is a hot promo's group commit: a batch of 30
// reservations appended to the promo's stream at its expected version,
// one append after the other.
func BenchmarkAppendBatch(b *testing.B) {
	ctx, s := context.Background(), benchStore(b)
	data := []byte(`{"reservation_id":"r","promo_id":"p1","user_id":"u","price":{"amount":49900,"currency":"MXN"},"expires_at":"2026-11-27T22:01:00Z"}`)
	at := time.Now()
	version := eventstore.NoStream
	for b.Loop() {
		events := make([]eventstore.NewEvent, 30)
		for i := range events {
			events[i] = eventstore.NewEvent{ID: fmt.Sprintf("e%d-%d", version, i), Type: "ReservationPlaced", OccurredAt: at, Data: data}
		}
		if _, err := s.Append(ctx, eventstore.Append{StreamID: "promo-p1", Expected: version, Events: events}); err != nil {
			b.Fatal(err)
		}
		version += int64(len(events))
	}
}

// benchStore is a store on a fresh schema of the test database.
func benchStore(b *testing.B) *postgres.Store {
	pool, err := postgres.Connect(context.Background(), pgtest.Schema(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	return postgres.New(pool)
}
