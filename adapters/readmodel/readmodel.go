package readmodel

import (
	"context"
	"log/slog"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// ReadModel is the whole read side: it implements app.ReadModel and
// app.Projections.
type ReadModel struct {
	store         eventstore.Store
	log           *slog.Logger
	life          context.Context // of Run: background rebuilds end with it
	promos        *runner[*Promos]
	users         *runner[*Users]
	notifications *runner[*Notifications]
	fanouts       fanouts // for the operators' metrics
	retention     Retention
	ids           *idTable // user ids, shared by the users and notifications models
	fixed         FixedEncoder

	snapshots Snapshots // nil: every start replays the log
	policy    SnapshotPolicy
	saving    sync.Mutex // held while the models are saved
}

// New builds the read models; Run feeds them.
func New(store eventstore.Store, rules domain.SegmentRules, log *slog.Logger) *ReadModel {
	ids := newIDTable()
	rm := &ReadModel{
		ids:   ids,
		store: store,
		log:   log,
		life:  context.Background(),
		users: newRunner("users", store, func() *Users { return newUsers(rules, ids) }, log,
			domain.UserRegistered{}, domain.UserLocationUpdated{}, domain.UserPurchaseRecorded{},
			domain.PromoCreated{}, domain.PromoActivated{}, domain.PromoEnded{}, domain.PromoCancelled{}), // the eligible-user sets
		notifications: newRunner("notifications", store, func() *Notifications { return newNotifications(ids) }, log, domain.NotificationSent{}),
	}
	rm.promos = newRunner("promos", store, rm.freshPromos, log,
		domain.PromoCreated{}, domain.PromoActivated{}, domain.PromoEnded{}, domain.PromoCancelled{},
		domain.ReservationPlaced{}, domain.ReservationReleased{}, domain.ReservationExpired{}, domain.PurchaseCompleted{})
	return rm
}

// freshPromos is an empty promos model with the read model's settings.
func (rm *ReadModel) freshPromos() *Promos {
	p := NewPromos()
	if rm.retention.EndedPromos > 0 {
		p.retired = rm.retired
	}
	p.fixed = rm.fixed
	return p
}

// EncodeFixed makes the promos model keep each promo's fixed part encoded
// by f (app.VisiblePromo.Fixed). Call it before Run.
func (rm *ReadModel) EncodeFixed(f FixedEncoder) {
	rm.fixed = f
	rm.promos.model.Store(rm.promos.fresh())
}

// Run follows the log into every model until ctx ends.
// One reader feeds every model, which fold each page side by side: the log
// is read once, not once per model. With snapshots, the models start from
// theirs and the reader from the oldest of their cursors; a model passes
// over the events its snapshot holds already.
func (rm *ReadModel) Run(ctx context.Context) error {
	rm.life = ctx
	live := []interface {
		applyLive(context.Context, []eventstore.Event) error
	}{rm.promos, rm.users, rm.notifications}
	var from eventstore.Cursor
	if rm.snapshots != nil {
		from = rm.restore(ctx)
	}
	var read atomic.Int64 // events read since the last save
	var saving sync.WaitGroup
	if rm.snapshots != nil {
		saving.Go(func() { rm.saveByPolicy(ctx, &read) })
	}
	err := eventstore.Follow(ctx, rm.store, from, batchSize, poll, func(ctx context.Context, events []eventstore.Event) error {
		var g errgroup.Group
		for _, r := range live {
			g.Go(func() error { return r.applyLive(ctx, events) })
		}
		rm.fanouts.fold(events)
		err := g.Wait()
		read.Add(int64(len(events)))
		return err
	})
	saving.Wait()
	if rm.snapshots != nil && read.Load() > 0 { // on the way out, keep what was read since
		save, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		rm.saveAll(save)
		cancel()
	}
	return err
}

// behind tells whether a model has not yet applied the log up to c.
func (rm *ReadModel) behind(c eventstore.Cursor) bool {
	for _, r := range []eventstore.Cursor{rm.promos.position(), rm.users.position(), rm.notifications.position()} {
		if r.Less(c) {
			return true
		}
	}
	return false
}

// CatchUp waits until every model has applied the log as it is now.
func (rm *ReadModel) CatchUp(ctx context.Context) error {
	head, err := rm.store.Head(ctx)
	if err != nil {
		return err
	}
	return rm.WaitFor(ctx, head)
}

// WaitFor waits until every model has applied the log up to w, a cursor
// of the store (what the repository's saves return).
func (rm *ReadModel) WaitFor(ctx context.Context, w app.Written) error {
	c, ok := w.(eventstore.Cursor)
	if !ok {
		return nil // nothing written
	}
	for _, w := range []func(context.Context, eventstore.Cursor) error{rm.promos.waitFor, rm.users.waitFor, rm.notifications.waitFor} {
		if err := w(ctx, c); err != nil {
			return err
		}
	}
	return nil
}

func (rm *ReadModel) Promo(id string, now time.Time) (app.PromoView, bool) {
	var v app.PromoView
	ok := rm.promos.current().view(id, func(p *promo) {
		v = app.NewPromoView(p, now, 0)
	})
	v.NotificationsSent = rm.NotificationsSent(id)
	return v, ok
}

func (rm *ReadModel) Promos(status domain.PromoStatus, now time.Time) []app.PromoView {
	vs := []app.PromoView{}
	rm.promos.current().each(func(p *promo) {
		if status == "" || p.Status(now) == status {
			vs = append(vs, app.NewPromoView(p, now, 0))
		}
	})
	for i := range vs {
		vs[i].NotificationsSent = rm.NotificationsSent(vs[i].ID)
	}
	sort.Slice(vs, func(i, j int) bool {
		if !vs[i].StartsAt.Equal(vs[j].StartsAt) {
			return vs[i].StartsAt.Before(vs[j].StartsAt)
		}
		return vs[i].ID < vs[j].ID
	})
	return vs
}

func (rm *ReadModel) NotificationsSent(promoID string) int {
	return rm.notifications.current().count(promoID)
}

func (rm *ReadModel) Due(now time.Time) (activate, end []string) {
	return rm.promos.current().due(now)
}

func (rm *ReadModel) ExpiredHolds(now time.Time) []app.Hold {
	return rm.promos.current().expiredHolds(now)
}

func (rm *ReadModel) Reservation(id string, now time.Time) (app.ReservationView, bool) {
	return rm.promos.current().reservation(id, now)
}

func (rm *ReadModel) User(id string, now time.Time) (app.UserView, bool) {
	return rm.users.current().user(id, now)
}

// VisiblePromos looks in the geo index for the promos that may reach the
// user's cell, and keeps those app.Sees allows.
func (rm *ReadModel) VisiblePromos(userID string, at *domain.Location, now time.Time) ([]app.VisiblePromo, bool) {
	u, ok := rm.User(userID, now)
	if !ok {
		return nil, false
	}
	if at == nil {
		at = u.Location
	}
	if at == nil {
		return []app.VisiblePromo{}, true
	}
	return rm.promos.current().visible(u, *at, now), true
}

// Eligible decides the members of the promo's eligible-user set (or, for a
// promo the users model has not folded yet, the users in the cells its
// circle touches), and lists those who may see it in order of registration
// (the order of the log, so the same on every instance and after every
// rebuild).
func (rm *ReadModel) Eligible(promoID string, spec domain.PromoSpec, now time.Time) []string {
	return rm.users.current().eligible(promoID, spec, now)
}

// Unnotified keeps the users who had no notification on day, as far as this
// read model has seen: the store still refuses a second one, this only
// spares it the users it would refuse.
func (rm *ReadModel) Unnotified(users []string, day string) []string {
	return rm.notifications.current().unnotified(users, day)
}

func (rm *ReadModel) Notifications(userID string) ([]domain.NotificationSent, bool) {
	if !rm.users.current().has(userID) {
		return nil, false
	}
	return rm.notifications.current().of(userID), true
}

// Status reports each model's position and how far behind the log it is.
func (rm *ReadModel) Status(ctx context.Context) ([]app.ProjectionStatus, error) {
	head, err := rm.store.Head(ctx)
	if err != nil {
		return nil, err
	}
	var out []app.ProjectionStatus
	for _, s := range []struct {
		name string
		st   func() (eventstore.Cursor, bool)
	}{{"notifications", rm.notifications.status}, {"promos", rm.promos.status}, {"users", rm.users.status}} {
		c, rebuilding := s.st()
		ps := app.ProjectionStatus{Name: s.name, Position: c.Position, Status: "live"}
		if c.Less(head) { // positions are not dense, so lag is an estimate
			ps.Lag = max(1, head.Position-c.Position)
		}
		if rebuilding {
			ps.Status = "rebuilding"
		}
		out = append(out, ps)
	}
	return out, nil
}

// Rebuild starts rebuilding a model in the background; queries read the
// old copy until the new one has caught up. "all" rebuilds every model,
// with one reader of the log for all of them.
func (rm *ReadModel) Rebuild(_ context.Context, name string) error {
	shadows, err := rm.beginRebuild(name)
	if err != nil || len(shadows) == 0 {
		return err
	}
	go func() {
		if err := rebuild(rm.life, rm.store, shadows...); err != nil {
			rm.log.Error("rebuild failed", "model", name, "err", err)
			return
		}
		rm.saveAll(context.WithoutCancel(rm.life)) // the next start begins from the rebuilt copies
	}()
	return nil
}

// RebuildNow rebuilds a model (or "all") and returns when it is swapped in.
func (rm *ReadModel) RebuildNow(ctx context.Context, name string) error {
	shadows, err := rm.beginRebuild(name)
	if err != nil || len(shadows) == 0 {
		return err
	}
	return rebuild(ctx, rm.store, shadows...)
}

// beginRebuild starts a shadow copy of each model named that is not
// rebuilding already.
func (rm *ReadModel) beginRebuild(name string) ([]shadow, error) {
	var names []string
	switch name {
	case "all":
		names = []string{"promos", "users", "notifications"}
	case "promos", "users", "notifications":
		names = []string{name}
	default:
		return nil, app.ErrNotFound
	}
	var shadows []shadow
	for _, n := range names {
		if r := rm.rebuilders()[n]; r.beginRebuild() {
			shadows = append(shadows, r.newShadow())
		}
	}
	return shadows, nil
}

type rebuilder interface {
	beginRebuild() bool
	newShadow() shadow
}

func (rm *ReadModel) rebuilders() map[string]rebuilder {
	return map[string]rebuilder{"promos": rm.promos, "users": rm.users, "notifications": rm.notifications}
}
