package ports

import (
	"context"
	"log/slog"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// Every runs f every interval until ctx ends; a failure is logged by the
// handler's decorator and the next beat tries again.
func Every(ctx context.Context, interval time.Duration, f func(context.Context)) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			f(ctx)
		}
	}
}

// RunScheduler activates and ends promos on time and expires holds.
func RunScheduler(ctx context.Context, a app.Application, interval time.Duration) {
	Every(ctx, interval, func(ctx context.Context) {
		_, _ = a.Commands.Tick.Handle(ctx, app.Tick{})
		_, _ = a.Commands.ExpireHolds.Handle(ctx, app.ExpireHolds{})
	})
}

// FanoutCheckpoint names the fan-out's place in the log.
const FanoutCheckpoint = "fanout"

// RunFanout follows the log from its checkpoint and notifies eligible users
// of each promo that activates. The checkpoint is saved after the fan-out,
// so a crash repeats it, and the store's once-a-day rule absorbs the repeat.
// Before each it waits for the read models to reach the activation, so the
// promo and every user known before it are there to be found.
func RunFanout(ctx context.Context, a app.Application, store eventstore.Store, sync app.Sync, log *slog.Logger) error {
	from, err := store.Checkpoint(ctx, FanoutCheckpoint)
	if err != nil {
		return err
	}
	return eventstore.Follow(ctx, store, from, 1000, 100*time.Millisecond, func(ctx context.Context, events []eventstore.Event) error {
		for _, e := range events {
			if e.Type != (domain.PromoActivated{}).EventName() {
				continue
			}
			ev, _, err := codec.Decode(e)
			if err != nil {
				log.Error("fan-out skips an undecodable event", "event", e.ID, "err", err)
				continue
			}
			id := ev.(domain.PromoActivated).PromoID
			for {
				err := sync.WaitFor(ctx, e.Cursor)
				n := 0
				if err == nil {
					n, err = a.Commands.NotifyEligible.Handle(ctx, app.NotifyEligible{PromoID: id})
				}
				if err == nil {
					log.Info("fan-out done", "promo", id, "notified", n)
					break
				}
				select { // the store is down: try again, nothing is lost
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(time.Second):
				}
			}
		}
		return store.SaveCheckpoint(ctx, FanoutCheckpoint, events[len(events)-1].Cursor)
	})
}
