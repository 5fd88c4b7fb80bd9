package app_test

// The fan-out of one promo to every eligible user (issue 4, target 1),
// through the application with the real repository and read models:
// from the activated promo to every NotificationSent recorded and folded
// into the read model, and to the first chunk recorded (ms-to-first). Each run is a new calendar day, so the once-a-day
// rule lets every user through again.
//
//	go test ./app/ -run '^$' -bench 'Fanout' -benchtime 3x
//
// Set FLASHPROMO_REQUIRE_DB=1 to fail rather than skip without Postgres.

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// movingClock is a clock the benchmark sets.
type movingClock struct{ ns atomic.Int64 }

func (c *movingClock) Now() time.Time  { return time.Unix(0, c.ns.Load()).UTC() }
func (c *movingClock) set(t time.Time) { c.ns.Store(t.UnixNano()) }

// firstNotified is the repository, noting when the fan-out's first
// notifications were recorded.
type firstNotified struct {
	app.Repository
	at atomic.Int64 // Unix nanoseconds; 0 until the first
}

func (f *firstNotified) Notify(ctx context.Context, ns []domain.NotificationSent) ([]domain.NotificationSent, error) {
	done, err := f.Repository.Notify(ctx, ns)
	if len(done) > 0 {
		f.at.CompareAndSwap(0, time.Now().UnixNano())
	}
	return done, err
}

func benchmarkFanout(b *testing.B, store eventstore.Store, fanoutUsers int) {
	clock := &movingClock{}
	clock.set(crowdNow)
	first := &firstNotified{}
	a, read := benchApp(b, store, clock, func(r app.Repository) app.Repository { first.Repository = r; return first })
	registerUsers(b, a, fanoutUsers)
	ctx := context.Background()
	var notified int
	var written time.Duration // until the store has every notification
	var toFirst time.Duration // until the store has the first ones
	b.ResetTimer()
	for i := range b.N {
		b.StopTimer()
		now := crowdNow.Add(time.Duration(i) * 24 * time.Hour)
		clock.set(now)
		id := fmt.Sprintf("fanout-%d", i)
		crowdPromo(b, a, id, 1, now)
		if err := read.CatchUp(ctx); err != nil {
			b.Fatal(err)
		}
		if t, err := a.Commands.Tick.Handle(ctx, app.Tick{}); err != nil || t.Activated != 1 {
			b.Fatalf("tick: %+v, %v", t, err)
		}
		if err := read.CatchUp(ctx); err != nil {
			b.Fatal(err)
		}
		first.at.Store(0)
		b.StartTimer()
		start := time.Now()
		n, err := a.Commands.NotifyEligible.Handle(ctx, app.NotifyEligible{PromoID: id})
		if err != nil {
			b.Fatal(err)
		}
		written += time.Since(start)
		toFirst += time.Unix(0, first.at.Load()).Sub(start)
		// Until the read model counts them all: CatchUp alone can return
		// early while a transaction elsewhere in the cluster hides the tail.
		var v app.PromoView
		for first := true; v.NotificationsSent < n; first = false {
			if !first {
				time.Sleep(time.Millisecond)
			}
			if err := read.CatchUp(ctx); err != nil {
				b.Fatal(err)
			}
			if v, err = a.Queries.Promo.Handle(ctx, app.GetPromo{ID: id}); err != nil {
				b.Fatal(err)
			}
		}
		b.StopTimer()
		if n != fanoutUsers || v.NotificationsSent != fanoutUsers {
			b.Fatalf("notified %d, read model counts %d, want %d", n, v.NotificationsSent, fanoutUsers)
		}
		notified += n
	}
	b.ReportMetric(float64(notified)/b.Elapsed().Seconds(), "users/s")
	b.ReportMetric(written.Seconds()/b.Elapsed().Seconds(), "written-share")
	b.ReportMetric(float64(toFirst.Milliseconds())/float64(b.N), "ms-to-first")
}

func BenchmarkFanoutMemory(b *testing.B) {
	benchmarkFanout(b, memory.New(), 100_000)
}

func BenchmarkFanoutPostgres(b *testing.B) {
	for _, users := range []int{10_000, 100_000} {
		b.Run(fmt.Sprintf("users=%d", users), func(b *testing.B) {
			pool, err := postgres.Connect(context.Background(), pgtest.Schema(b))
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			benchmarkFanout(b, postgres.New(pool), users)
		})
	}
}

// BenchmarkFanoutPartition supports the sharding step of ADR 0024: users
// partitioned by a hash of their id, each partition with its own database
// (here a schema), read models and fan-out. It times the fan-out of one
// partition of a 100,000-user population cut into 1, 4 and 16 partitions:
// if a partition's time falls as 1/partitions, partitions fanning out at
// once on machines of their own finish in the time of one.
func BenchmarkFanoutPartition(b *testing.B) {
	const population = 100_000
	for _, parts := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("partitions=%d", parts), func(b *testing.B) {
			pool, err := postgres.Connect(context.Background(), pgtest.Schema(b))
			if err != nil {
				b.Fatal(err)
			}
			defer pool.Close()
			benchmarkFanout(b, postgres.New(pool), population/parts)
		})
	}
}
