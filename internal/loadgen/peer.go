package loadgen

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/eventstore/postgres"
)

// peerChunk is the users one statement of the peers' fan-out records:
// Django's bulk_create(batch_size=1000, ignore_conflicts=True).
const peerChunk = 1000

// peerFanout notifies n users the way a strong engineer of the peers' stack
// would: a table of (user, day) rows whose primary key is the once-a-day
// rule, filled by one INSERT ... ON CONFLICT DO NOTHING per thousand users
// (what bulk_create(ignore_conflicts=True) sends), from as many workers as
// the Loader has connections (Celery's). It writes a row per user with the
// notification's text, in a table of its own on the same Postgres: no event
// log, no index but the key, so the comparison flatters the peers.
func (l *Loader) peerFanout(ctx context.Context, databaseURL string, n int) (float64, error) {
	pool, err := postgres.Connect(ctx, databaseURL, func(c *pgxpool.Config) { c.MaxConns = int32(l.Concurrency) })
	if err != nil {
		return 0, err
	}
	defer pool.Close()
	if _, err := pool.Exec(ctx, `CREATE TABLE IF NOT EXISTS peer_notifications (
    user_id text NOT NULL, day date NOT NULL, promo_id text NOT NULL,
    title text NOT NULL, body text NOT NULL, sent_at timestamptz NOT NULL,
    PRIMARY KEY (user_id, day))`); err != nil {
		return 0, err
	}
	const insert = `INSERT INTO peer_notifications (user_id, day, promo_id, title, body, sent_at)
SELECT u, $2::date, $3, $4, $5, now() FROM unnest($1::text[]) AS u
ON CONFLICT DO NOTHING`
	promo, day := l.Run+"-peer", time.Now().UTC().Format(time.DateOnly)
	chunks := (n + peerChunk - 1) / peerChunk
	codes, lat, took, err := l.hammer(ctx, chunks, func(c int) (int, error) {
		users := make([]string, 0, peerChunk)
		for i := c * peerChunk; i < min(n, (c+1)*peerChunk); i++ {
			users = append(users, fmt.Sprintf("%s-peer-u%07d", l.Run, i))
		}
		tag, err := pool.Exec(ctx, insert, users, day, promo,
			"Flash Promo: Audífonos XYZ at Bench store", "499.00 MXN instead of 999.00 MXN, until 19:00")
		return int(tag.RowsAffected()), err
	})
	if err != nil {
		return 0, err
	}
	recorded := 0
	for rows, count := range codes {
		recorded += rows * count
	}
	if recorded != n {
		return 0, fmt.Errorf("peer fan-out recorded %d of %d notifications", recorded, n)
	}
	rate := float64(n) / took.Seconds()
	fmt.Fprintf(l.Out, "peer fan-out (INSERT … ON CONFLICT DO NOTHING of %d users a statement, %d workers): %d users in %.2fs: %.0f users/s, statement p50 %s, p99 %s\n",
		peerChunk, l.Concurrency, n, took.Seconds(), rate, lat.quantile(0.5), lat.quantile(0.99))
	return rate, nil
}
