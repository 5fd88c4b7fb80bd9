package main

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/adapters"
	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
)

// peerFanout notifies n users the way the peers do: one database round trip
// per user to check the day and record the notification, from as many
// workers as the loader has connections (Celery's). It writes the same
// NotificationSent event to the same store through the same repository as
// the service, so only the batching differs. Its users are not registered:
// the store does not ask, and they stay out of the service's fan-outs.
func (l *loader) peerFanout(ctx context.Context, databaseURL string, n int) (float64, error) {
	pool, err := postgres.Connect(ctx, databaseURL, func(c *pgxpool.Config) { c.MaxConns = int32(l.concurrency) })
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	repo, err := adapters.NewRepository(postgres.New(pool), app.SystemClock{}, 1)
	if err != nil {
		return 0, err
	}
	defer repo.Close()
	promo := domain.PromoSummary{ID: l.run + "-peer", Store: domain.Store{Name: "Bench store"},
		Product:      domain.Product{Name: "Audífonos XYZ"},
		RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
		EndsAt: time.Now().Add(2 * time.Hour)}
	codes, lat, took, err := l.hammer(ctx, n, func(i int) (int, error) {
		note := domain.NewNotification(codec.NewID(), fmt.Sprintf("%s-peer-u%07d", l.run, i), promo, time.Now(), time.UTC)
		done, err := repo.Notify(ctx, []domain.NotificationSent{note})
		return len(done), err
	})
	if err != nil {
		return 0, err
	}
	if codes[1] != n {
		return 0, fmt.Errorf("peer fan-out recorded %d of %d notifications", codes[1], n)
	}
	rate := float64(n) / took.Seconds()
	fmt.Fprintf(l.out, "peer fan-out (a round trip per user, %d workers): %d users in %.2fs: %.0f users/s, p50 %s, p99 %s\n",
		l.concurrency, n, took.Seconds(), rate, lat.quantile(0.5), lat.quantile(0.99))
	return rate, nil
}
