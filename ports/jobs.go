package ports

import (
	"context"
	"time"

	"github.com/flashpromo/flashpromo/app"
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
