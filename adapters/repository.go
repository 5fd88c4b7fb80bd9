// Package adapters implements app's ports on the event store.
package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/segmentio/encoding/json"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// Stream ids: one stream per aggregate, and one per user and day for the
// notification that day (the store's "no stream yet" check is the
// once-a-day guard).
func PromoStream(id string) string   { return "promo-" + id }
func UserStream(id string) string    { return "user-" + id }
func ListingStream(id string) string { return id } // domain.ListingID is prefixed already
func SeriesStream(id string) string  { return "series-" + id }
func NotificationStream(day, userID string) string {
	return "notification-" + day + "-" + userID // day is fixed width: no ambiguity
}

// Repository loads and saves aggregates as event streams. Rehydrated promos
// are cached: a load checks the stream's tail, so the cache saves replaying
// a long stream of reservations, never a check of its version. Only promos
// are cached because app changes a promo under its lock alone; a cached
// aggregate handed to two goroutines at once would be a data race.
type Repository struct {
	store eventstore.Store
	clock app.Clock
	cache *ristretto.Cache[string, app.Aggregate]
}

// NewRepository caches up to about maxCached aggregates.
func NewRepository(store eventstore.Store, clock app.Clock, maxCached int64) (*Repository, error) {
	cache, err := ristretto.NewCache(&ristretto.Config[string, app.Aggregate]{
		NumCounters: maxCached * 10,
		MaxCost:     maxCached,
		BufferItems: 64,
	})
	if err != nil {
		return nil, fmt.Errorf("aggregate cache: %w", err)
	}
	return &Repository{store: store, clock: clock, cache: cache}, nil
}

// Close releases the cache.
func (r *Repository) Close() { r.cache.Close() }

func (r *Repository) LoadPromo(ctx context.Context, id string) (*domain.Promo, error) {
	return load(ctx, r, PromoStream(id), true, domain.LoadPromo)
}

func (r *Repository) LoadUser(ctx context.Context, id string) (*domain.User, error) {
	return load(ctx, r, UserStream(id), false, domain.LoadUser)
}

func (r *Repository) LoadListing(ctx context.Context, id string) (*domain.Listing, error) {
	l, err := load(ctx, r, ListingStream(id), false, func(h []domain.Event) *domain.Listing { return domain.LoadListing(id, h) })
	if errors.Is(err, app.ErrNotFound) {
		return domain.LoadListing(id, nil), nil
	}
	return l, err
}

func (r *Repository) LoadSeries(ctx context.Context, id string) (*domain.PromoSeries, error) {
	return load(ctx, r, SeriesStream(id), false, domain.LoadPromoSeries)
}

// load returns the cached aggregate when its stream has nothing newer, or
// else replays the stream.
func load[A app.Aggregate](ctx context.Context, r *Repository, stream string, cache bool, rehydrate func([]domain.Event) A) (A, error) {
	var zero A
	cached, ok := r.cache.Get(stream)
	if a, isA := cached.(A); cache && ok && isA && len(a.Changes()) == 0 {
		tail, err := r.store.ReadStream(ctx, stream, a.Version())
		if err != nil {
			return zero, unavailable(err)
		}
		if len(tail) == 0 {
			return a, nil
		}
	}
	stored, err := r.store.ReadStream(ctx, stream, 0)
	if err != nil {
		return zero, unavailable(err)
	}
	if len(stored) == 0 {
		return zero, app.ErrNotFound
	}
	history, err := codec.DecodeAll(stored)
	if err != nil {
		return zero, err
	}
	a := rehydrate(history)
	if cache {
		r.cache.Set(stream, a, 1)
	}
	return a, nil
}

// Save appends every aggregate's changes in one atomic append.
func (r *Repository) Save(ctx context.Context, aggregates ...app.Aggregate) (app.Written, error) {
	now := r.clock.Now()
	meta := metadata{}
	var appends []eventstore.Append
	for _, a := range aggregates {
		if len(a.Changes()) == 0 {
			continue
		}
		events := make([]eventstore.NewEvent, 0, len(a.Changes()))
		for i, c := range a.Changes() {
			e, err := codec.Encode(c, now)
			if err != nil {
				return nil, err
			}
			e.Metadata = meta.of(app.ChangeActor(ctx, a, i))
			events = append(events, e)
		}
		appends = append(appends, eventstore.Append{StreamID: streamOf(a), Expected: a.Version(), Events: events})
	}
	if len(appends) == 0 {
		return nil, nil
	}
	cur, err := r.store.Append(ctx, appends...)
	if err != nil {
		for _, a := range aggregates {
			r.cache.Del(streamOf(a))
		}
		if errors.Is(err, eventstore.ErrConcurrency) {
			return nil, fmt.Errorf("%w: %w", app.ErrConcurrent, err)
		}
		return nil, unavailable(err)
	}
	for _, a := range aggregates {
		a.Commit()
		if p, ok := a.(*domain.Promo); ok {
			r.cache.Set(streamOf(p), p, 1)
		}
	}
	return cur, nil
}

// Notify appends each notification as the first event of its user's day.
func (r *Repository) Notify(ctx context.Context, ns []domain.NotificationSent) ([]domain.NotificationSent, error) {
	appends := make([]eventstore.Append, len(ns))
	byStream := make(map[string]domain.NotificationSent, len(ns))
	meta := metadata{}.of(app.ActorOf(ctx))
	var enc codec.NotificationEncoder
	for i, n := range ns {
		e, err := enc.Encode(n)
		if err != nil {
			return nil, err
		}
		e.Metadata = meta
		stream := NotificationStream(n.Day, n.UserID)
		appends[i] = eventstore.Append{StreamID: stream, Expected: eventstore.NoStream, Events: []eventstore.NewEvent{e}}
		if _, dup := byStream[stream]; !dup {
			byStream[stream] = n
		}
	}
	written, err := r.store.AppendNew(ctx, appends)
	if err != nil {
		return nil, unavailable(err)
	}
	sent := make([]domain.NotificationSent, len(written))
	for i, s := range written {
		sent[i] = byStream[s]
	}
	return sent, nil
}

func streamOf(a app.Aggregate) string {
	switch a := a.(type) {
	case *domain.Promo:
		return PromoStream(a.ID())
	case *domain.User:
		return UserStream(a.ID())
	case *domain.Listing:
		return ListingStream(a.ID())
	case *domain.PromoSeries:
		return SeriesStream(a.ID())
	}
	panic(fmt.Sprintf("adapters: no stream for %T", a)) // a programming error, caught by any test
}

// unavailable marks a store failure as the backing service's, which the
// ports answer with 503; a cancelled request stays what it is.
func unavailable(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, eventstore.ErrInvalidArgument) {
		return err // ours, not the database's
	}
	return fmt.Errorf("%w: %w", app.ErrUnavailable, err)
}

// metadata encodes who asked, once per actor of a save.
type metadata map[app.Actor][]byte

func (m metadata) of(a app.Actor) []byte {
	if b, ok := m[a]; ok {
		return b
	}
	b, err := json.Marshal(struct {
		Actor     string `json:"actor"`
		Role      string `json:"role"`
		RequestID string `json:"request_id,omitempty"`
	}{a.ID, a.Role, a.RequestID})
	if err != nil { // three strings always encode
		panic(err)
	}
	m[a] = b
	return b
}
