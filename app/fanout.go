package app

import (
	"context"
	"hash/fnv"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/flashpromo/flashpromo/domain"
)

// fanoutChunk is the most notifications that go to the store in one
// statement, and fanoutWriters how many statements run at once: the
// database works on one while the process prepares the next. A small
// fan-out is cut into fanoutWriters chunks (of fanoutMinChunk at least), so
// that it too is written by every writer at once.
const (
	fanoutChunk    = 5000
	fanoutMinChunk = 500
	fanoutWriters  = 4
)

// chunkSize is the statement size for a fan-out to n users.
func chunkSize(n int) int {
	return max(fanoutMinChunk, min(fanoutChunk, (n+fanoutWriters-1)/fanoutWriters))
}

// NotifyEligible notifies every user eligible for an active promo now,
// each at most once a calendar day: the store refuses the second
// notification of a user's day, so retries, restarts and other instances
// cannot send twice.
// With Shards > 1 it notifies only the users of one shard, so that several
// instances can share one promo's fan-out.
type NotifyEligible struct {
	PromoID       string
	Shard, Shards int
}

func (a *App) notifyEligible(ctx context.Context, c NotifyEligible) (int, error) {
	now := a.clock.Now()
	p, ok := a.read.Promo(c.PromoID, now)
	if !ok {
		return 0, ErrNotFound // not in this instance's read model yet: try again
	}
	if p.Status != domain.PromoStatusActive {
		return 0, nil // ended or cancelled before the fan-out came to it
	}
	summary := domain.PromoSummary{ID: p.ID, Store: p.Store, Product: p.Product,
		RegularPrice: p.RegularPrice, PromoPrice: p.PromoPrice, EndsAt: p.EndsAt}
	// Every user of the fan-out gets the same words: written once.
	words := domain.NewNotification("", "", summary, now, a.cfg.Zone)
	day := words.Day
	users := a.read.Unnotified(inShard(a.read.Eligible(p.PromoSpec, now), c.Shard, c.Shards), day)
	var sent atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(fanoutWriters)
	chunk := chunkSize(len(users))
	for start := 0; start < len(users); start += chunk {
		batch := users[start:min(start+chunk, len(users))]
		g.Go(func() error {
			ns := make([]domain.NotificationSent, len(batch))
			for i, u := range batch {
				ns[i] = words
				ns[i].NotificationID, ns[i].UserID = a.ids(), u
			}
			done, err := a.repo.Notify(ctx, ns)
			sent.Add(int64(len(done)))
			return err
		})
	}
	err := g.Wait()
	return int(sent.Load()), err
}

// inShard keeps the users whose hash falls in shard of shards.
func inShard(users []string, shard, shards int) []string {
	if shards <= 1 {
		return users
	}
	kept := users[:0:0]
	for _, u := range users {
		h := fnv.New32a()
		h.Write([]byte(u))
		if int(h.Sum32()%uint32(shards)) == shard {
			kept = append(kept, u)
		}
	}
	return kept
}
