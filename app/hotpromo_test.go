package app_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/flashpromo/flashpromo/adapters"
	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// countingRepo counts the appends that succeed.
type countingRepo struct {
	app.Repository
	saves atomic.Int64
}

func (c *countingRepo) wrap(r app.Repository) app.Repository { c.Repository = r; return c }

func (c *countingRepo) Save(ctx context.Context, aggregates ...app.Aggregate) (app.Written, error) {
	cur, err := c.Repository.Save(ctx, aggregates...)
	if err == nil {
		c.saves.Add(1)
	}
	return cur, err
}

// A crowd on one promo, through the real repository and read models on the
// in-memory store, with one instance and with two sharing the store (the
// version check is then the only guard between them): 500 reservations
// from 300 users (200 of them twice) for a stock of 100.
func TestAFlashCrowdGetsExactlyTheStock(t *testing.T) {
	const stock, users, requests = 100, 300, 500
	for _, instances := range []int{1, 2} {
		t.Run(fmt.Sprintf("instances=%d", instances), func(t *testing.T) {
			store := memory.New()
			apps := make([]app.Application, instances)
			counters := make([]*countingRepo, instances)
			for i := range apps {
				counters[i] = &countingRepo{}
				apps[i] = crowdApp(t, store, map[bool]int{true: users}[i == 0], counters[i].wrap)
			}
			crowdPromo(t, apps[0], "hot", stock, crowdNow)
			for _, c := range counters {
				c.saves.Store(0)
			}

			type answer struct {
				user string
				r    app.Reserved
				err  error
			}
			answers := make([]answer, requests)
			start := make(chan struct{})
			var wg sync.WaitGroup
			for i := range requests {
				wg.Go(func() {
					user := crowdUser(i % users)
					<-start
					r, err := apps[i%instances].Commands.Reserve.Handle(context.Background(), app.Reserve{PromoID: "hot", UserID: user})
					answers[i] = answer{user, r, err}
				})
			}
			close(start)
			wg.Wait()

			granted := map[string]string{} // user -> reservation
			held := map[string]string{}    // user -> reservation, new or existing
			for _, a := range answers {
				switch {
				case errors.Is(a.err, domain.ErrSoldOut):
					continue
				case a.err != nil:
					t.Fatalf("%s: %v", a.user, a.err)
				}
				if a.r.UserID != a.user || a.r.PromoID != "hot" || a.r.Status != domain.ReservationStatusHeld {
					t.Fatalf("%s was answered with %+v", a.user, a.r)
				}
				if id, ok := held[a.user]; ok && id != a.r.ID {
					t.Fatalf("%s holds both %s and %s", a.user, id, a.r.ID)
				}
				held[a.user] = a.r.ID
				if !a.r.Existing {
					if _, twice := granted[a.user]; twice {
						t.Fatalf("%s was granted two new holds", a.user)
					}
					granted[a.user] = a.r.ID
				}
			}
			if len(granted) != stock || len(held) != stock {
				t.Fatalf("%d holds granted to %d users, want exactly %d", len(granted), len(held), stock)
			}

			// The stream agrees: one hold per granted user and no more.
			stored, err := store.ReadStream(context.Background(), adapters.PromoStream("hot"), 0)
			if err != nil {
				t.Fatal(err)
			}
			history, err := codec.DecodeAll(stored)
			if err != nil {
				t.Fatal(err)
			}
			placed := 0
			for _, e := range history {
				if p, ok := e.(domain.ReservationPlaced); ok {
					placed++
					if granted[p.UserID] != p.ReservationID {
						t.Fatalf("stream holds %s for %s, answered %q", p.ReservationID, p.UserID, granted[p.UserID])
					}
				}
			}
			if placed != stock {
				t.Fatalf("%d holds stored, want %d", placed, stock)
			}

			appends := int64(0)
			for _, c := range counters {
				appends += c.saves.Load()
			}
			if appends >= stock {
				t.Fatalf("%d appends for %d holds: the reservations were not grouped", appends, stock)
			}
			t.Logf("%d holds in %d appends", stock, appends)
		})
	}
}
