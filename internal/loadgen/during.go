package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"net/http"
	"time"
)

// readsDuring reads the seeded users' promos (GET /v1/users/{id}/promos)
// from the activation at starts until done is closed, then as long again on
// the quiet server, and says both rates: issue 10 asks reads to keep half
// their rate while a fan-out is delivered.
func (l *Loader) readsDuring(ctx context.Context, users int, starts time.Time, done <-chan struct{}) error {
	select {
	case <-time.After(time.Until(starts)):
	case <-ctx.Done():
		return ctx.Err()
	}
	busy, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-done:
		case <-busy.Done():
		}
		cancel()
	}()
	during, took, err := l.readRate(busy, users)
	if err != nil {
		return err
	}
	after, stop := context.WithTimeout(ctx, took)
	defer stop()
	quiet, _, err := l.readRate(after, users)
	if err != nil {
		return err
	}
	fmt.Fprintf(l.Out, "reads during the fan-out: %.0f requests/s for %.1fs; on the quiet server after it: %.0f requests/s; %.2f of the quiet rate\n",
		during, took.Seconds(), quiet, during/max(quiet, 1))
	return nil
}

// readRate reads random seeded users' promos until ctx ends, and returns
// the rate of 200s and how long it read.
func (l *Loader) readRate(ctx context.Context, users int) (float64, time.Duration, error) {
	codes, _, took, err := l.readPromos(ctx, l.Server, users)
	if err != nil && !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded) {
		return 0, took, err
	}
	return float64(codes[http.StatusOK]) / max(took.Seconds(), 1e-9), took, nil
}

// readPromos has random seeded users read their promos
// (GET /v1/users/{id}/promos) from the server at base, each as itself,
// until ctx ends.
func (l *Loader) readPromos(ctx context.Context, base string, users int) (map[int]int, *latencies, time.Duration, error) {
	return l.hammer(ctx, math.MaxInt, func(int) (int, error) {
		user := l.User(rand.IntN(users))
		return l.sendTo(ctx, base, http.MethodGet, "/v1/users/"+user+"/promos", nil, nil, Client(user))
	})
}
