package app

import (
	"context"
	"hash/fnv"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/flashpromo/flashpromo/domain"
)

// fanout notifies a promo's eligible users.
type fanout struct {
	cfg    Config
	clock  Clock
	ids    IDs
	repo   notifier
	read   fanoutReads
	shards shardSearch // the eligible users of the fan-out being sharded
}

// notifier records notifications, each unless its user had one that day,
// and returns those it recorded.
type notifier interface {
	Notify(ctx context.Context, ns []domain.NotificationSent) ([]domain.NotificationSent, error)
}

// fanoutReads is what the fan-out asks the read models.
type fanoutReads interface {
	Promo(id string, now time.Time) (PromoView, bool)
	// Eligible lists the users the promo may notify at now.
	Eligible(promoID string, spec domain.PromoSpec, now time.Time) []string
	// Unnotified keeps the users who had no notification on day, as far as
	// the read model knows (the store stays the guard).
	Unnotified(users []string, day string) []string
}

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

func (a *fanout) notifyEligible(ctx context.Context, c NotifyEligible) (int, error) {
	now := a.clock.Now()
	p, ok := a.read.Promo(c.PromoID, now)
	if !ok {
		return 0, ErrNotFound // not in this instance's read model yet: try again
	}
	if p.Status != domain.PromoStatusActive {
		return 0, nil // ended or cancelled before the fan-out came to it
	}
	summary := domain.PromoSummary{ID: p.ID, Store: p.Store, Product: p.Product,
		RegularPrice: p.RegularPrice, PromoPrice: p.PromoPrice, StartsAt: p.StartsAt, EndsAt: p.EndsAt}
	if p.SeriesID != "" {
		summary.Window, _ = time.LoadLocation(p.TimeZone) // loaded when the series was created; nil (the usual words) were it gone
	}
	// Every user of the fan-out gets the same words: written once.
	words := domain.NewNotification("", "", summary, now, a.cfg.Zone)
	eligible := func() []string { return a.read.Eligible(p.ID, p.PromoSpec, now) }
	if c.Shards > 1 {
		eligible = a.shards.memo(p.ID, now, eligible)
	}
	users := a.read.Unnotified(inShard(eligible(), c.Shard, c.Shards), words.Day)
	return a.notifyAll(ctx, users, words)
}

// notifyAll sends each user the notification words, in chunks written by
// fanoutWriters at once, and counts those the store took.
func (a *fanout) notifyAll(ctx context.Context, users []string, words domain.NotificationSent) (int, error) {
	var sent atomic.Int64
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(fanoutWriters)
	chunk := chunkSize(len(users))
	// The first chunk is small, so that the first users are notified at
	// once, not when a full chunk has been written beside three others.
	for start, size := 0, min(chunk, fanoutMinChunk); start < len(users); start, size = start+size, chunk {
		batch := users[start:min(start+size, len(users))]
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

// shardSearchFor is how long the shards of a fan-out reuse one search.
const shardSearchFor = 10 * time.Second

// shardSearch remembers the eligible users of the promo last sharded, so
// that the shards of one fan-out that come to this instance search the geo
// index once, not once each. Users who move in meanwhile are left to the
// next search, as they would be had they moved a moment later.
type shardSearch struct {
	mu    sync.Mutex
	promo string
	until time.Time
	users []string
}

// memo wraps search: the first call searches, the next ones for the same
// promo before shardSearchFor passes return its result (shared: read only).
func (s *shardSearch) memo(promo string, now time.Time, search func() []string) func() []string {
	return func() []string {
		s.mu.Lock() // held while searching: the other shards wait and reuse
		defer s.mu.Unlock()
		if s.promo != promo || !now.Before(s.until) {
			s.promo, s.until, s.users = promo, now.Add(shardSearchFor), search()
		}
		return s.users
	}
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
