package app

import (
	"context"
	"errors"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// promoDesk decides every command on promos: create and cancel, the
// scheduler's activate and end, reserve, purchase, release and expire.
// Commands on one promo go through its queue (promoqueue.go).
type promoDesk struct {
	cfg    Config
	clock  Clock
	ids    IDs
	repo   promoStore
	read   promoReads
	locks  *locks
	promos *promoQueues // the group commit of promo commands
}

// promoStore is where the promo desk loads and saves.
type promoStore interface {
	LoadPromo(ctx context.Context, id string) (*domain.Promo, error) // ErrNotFound
	LoadListing(ctx context.Context, id string) (*domain.Listing, error)
	Save(ctx context.Context, aggregates ...Aggregate) (Written, error)
}

// promoReads is what the promo desk asks the read models.
type promoReads interface {
	Sync
	NotificationsSent(promoID string) int
	// Due lists promos whose start or end has come but is not recorded yet.
	Due(now time.Time) (activate, end []string)
	// ExpiredHolds lists holds past their time that no event closed yet.
	ExpiredHolds(now time.Time) []Hold
	Reservation(id string, now time.Time) (ReservationView, bool) // an older id's promo
	User(id string, now time.Time) (UserView, bool)               // who may reserve
}

// Hold names a reservation within its promo.
type Hold struct{ PromoID, ReservationID string }

// CreatePromo creates a promo; ID is optional and makes a retry idempotent.
type CreatePromo struct {
	ID   string
	Spec domain.PromoSpec
}

// CreatedPromo is the promo a create answers with, and whether it is new
// or an earlier create's.
type CreatedPromo struct {
	PromoView
	Created bool
}

func (a *promoDesk) createPromo(ctx context.Context, c CreatePromo) (CreatedPromo, error) {
	if c.ID == "" {
		c.ID = a.ids()
	}
	defer a.locks.lock("promo:" + c.ID)()
	var out CreatedPromo
	err := retry(func() error {
		now := a.clock.Now()
		if p, err := a.repo.LoadPromo(ctx, c.ID); err == nil {
			if !p.SameSpec(c.Spec) {
				return domain.ErrPromoConflict
			}
			out = CreatedPromo{NewPromoView(p, now, a.read.NotificationsSent(p.ID())), false}
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		p, err := domain.CreatePromo(c.ID, c.Spec, now)
		if err != nil {
			return err
		}
		listing, err := a.repo.LoadListing(ctx, domain.ListingID(c.Spec.Store.ID, c.Spec.Product.ID))
		if err != nil {
			return err
		}
		if err := listing.Claim(c.Spec.Store.ID, c.Spec.Product.ID, c.ID, c.Spec.StartsAt, c.Spec.EndsAt); err != nil {
			return err
		}
		cur, err := a.repo.Save(ctx, p, listing)
		if err != nil {
			return err
		}
		waitRead(ctx, a.read, cur)
		out = CreatedPromo{NewPromoView(p, now, 0), true}
		return nil
	})
	return out, err
}

// CancelPromo cancels a promo; its slot is free for another promo.
type CancelPromo struct{ ID string }

func (a *promoDesk) cancelPromo(ctx context.Context, c CancelPromo) (PromoView, error) {
	// Alone in its batch: it loads and changes the listing too.
	return a.onPromo(ctx, c.ID, &promoCommand{view: true, alone: true, decide: func(p *domain.Promo) ([]Aggregate, error) {
		if err := p.Cancel(a.clock.Now()); err != nil {
			return nil, err
		}
		spec := p.Spec()
		listing, err := a.repo.LoadListing(ctx, domain.ListingID(spec.Store.ID, spec.Product.ID))
		if err != nil {
			return nil, err
		}
		listing.Release(p.ID())
		return []Aggregate{p, listing}, nil
	}})
}

// ActivatePromo and EndPromo are the scheduler's commands.
type ActivatePromo struct{ ID string }
type EndPromo struct{ ID string }

func (a *promoDesk) activatePromo(ctx context.Context, c ActivatePromo) (PromoView, error) {
	return a.changePromo(ctx, c.ID, func(p *domain.Promo) ([]Aggregate, error) {
		return []Aggregate{p}, p.Activate(a.clock.Now())
	})
}

func (a *promoDesk) endPromo(ctx context.Context, c EndPromo) (PromoView, error) {
	return a.changePromo(ctx, c.ID, func(p *domain.Promo) ([]Aggregate, error) {
		return []Aggregate{p}, p.End(a.clock.Now())
	})
}

// changePromo runs decide on the promo in its turn (see runBatch), saves
// what it changed and answers with the promo as saved.
func (a *promoDesk) changePromo(ctx context.Context, id string, decide func(*domain.Promo) ([]Aggregate, error)) (PromoView, error) {
	return a.onPromo(ctx, id, &promoCommand{decide: decide, view: true})
}
