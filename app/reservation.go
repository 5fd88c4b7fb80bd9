package app

import (
	"context"
	"errors"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// Reserve holds one unit of a promo for a user for the hold time.
type Reserve struct{ PromoID, UserID string }

// Reserved tells whether the hold is new or one the user already had.
type Reserved struct {
	ReservationView
	Existing bool
}

func (a *promoDesk) reserve(ctx context.Context, c Reserve) (Reserved, error) {
	if c.UserID == "" {
		return Reserved{}, Invalid("user_id", "is required")
	}
	var out Reserved
	_, err := a.onPromo(ctx, c.PromoID, &promoCommand{decide: func(p *domain.Promo) ([]Aggregate, error) {
		now := a.clock.Now()
		res, existing, err := p.Reserve(domain.ReserveRequest{
			ReservationID: domain.NewReservationID(c.PromoID, a.ids()),
			UserID:        c.UserID,
			Eligible:      a.eligible(c.UserID, p.Spec(), now),
			Now:           now,
			TTL:           a.cfg.HoldTTL,
			Cooldown:      a.cfg.ReholdCooldown,
		})
		out = Reserved{NewReservationView(res, now), existing}
		return []Aggregate{p}, err
	}})
	return out, err
}

// eligible tells whether the user may see the promo now, from memory.
func (a *promoDesk) eligible(userID string, spec domain.PromoSpec, now time.Time) bool {
	u, ok := a.read.User(userID, now)
	if !ok {
		return false
	}
	_, ok = Sees(u, spec, nil)
	return ok
}

// Purchase buys the unit a reservation holds.
type Purchase struct{ ReservationID, UserID string }

func (a *promoDesk) purchase(ctx context.Context, c Purchase) (ReservationView, error) {
	return a.changeReservation(ctx, c.ReservationID, func(p *domain.Promo) (domain.Reservation, error) {
		return p.Purchase(c.ReservationID, c.UserID, a.clock.Now())
	})
}

// Release gives a held unit back.
type Release struct{ ReservationID, UserID string }

func (a *promoDesk) release(ctx context.Context, c Release) (ReservationView, error) {
	return a.changeReservation(ctx, c.ReservationID, func(p *domain.Promo) (domain.Reservation, error) {
		return p.Release(c.ReservationID, c.UserID, a.clock.Now())
	})
}

func (a *promoDesk) changeReservation(ctx context.Context, id string, decide func(*domain.Promo) (domain.Reservation, error)) (ReservationView, error) {
	promoID, ok := domain.PromoOfReservation(id)
	if !ok { // an older reservation's id: only the read model knows its promo
		r, found := a.read.Reservation(id, a.clock.Now())
		if !found {
			return ReservationView{}, ErrNotFound
		}
		promoID = r.PromoID
	}
	var res domain.Reservation
	_, err := a.onPromo(ctx, promoID, &promoCommand{decide: func(p *domain.Promo) ([]Aggregate, error) {
		var err error
		res, err = decide(p)
		return []Aggregate{p}, err
	}})
	if err != nil {
		return ReservationView{}, err
	}
	return NewReservationView(res, a.clock.Now()), nil
}

// ExpireHolds records ReservationExpired for holds past their time. The
// unit was free already; this only writes it down for the log. Every hold
// is queued at once, so a promo's expiries share its appends.
type ExpireHolds struct{}

func (a *promoDesk) expireHolds(ctx context.Context, _ ExpireHolds) (int, error) {
	holds := a.read.ExpiredHolds(a.clock.Now())
	cmds := make([]*promoCommand, len(holds))
	for i, h := range holds {
		cmds[i] = a.prepare(ctx, &promoCommand{decide: func(p *domain.Promo) ([]Aggregate, error) {
			_, err := p.Expire(h.ReservationID, a.clock.Now())
			return []Aggregate{p}, err
		}})
		a.promos.submit(h.PromoID, cmds[i])
	}
	n := 0
	var errs []error
	for _, c := range cmds {
		<-c.done
		if c.err != nil {
			errs = append(errs, c.err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}
