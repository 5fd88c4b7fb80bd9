package app

import (
	"context"
	"fmt"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// promoQueries read promos from memory, and a promo long over from its
// stream.
type promoQueries struct {
	read  promoReader
	repo  promoLoader
	clock Clock
}

type promoReader interface {
	Promo(id string, now time.Time) (PromoView, bool)
	Promos(status domain.PromoStatus, now time.Time) []PromoView
	NotificationsSent(promoID string) int
}

// userQueries read a user's profile, promos and notifications from memory.
type userQueries struct {
	read  userReader
	clock Clock
}

type userReader interface {
	User(id string, now time.Time) (UserView, bool)
	// VisiblePromos lists the active promos a known user may see from at
	// (their last known location when nil), nearest first.
	VisiblePromos(userID string, at *domain.Location, now time.Time) ([]VisiblePromo, bool)
	Notifications(userID string) ([]domain.NotificationSent, bool)
}

// reservationQuery reads a reservation from memory, and one of a promo
// long over from the promo's stream.
type reservationQuery struct {
	read interface {
		Reservation(id string, now time.Time) (ReservationView, bool)
	}
	repo  promoLoader
	clock Clock
}

// promoLoader loads a promo from its stream (ErrNotFound).
type promoLoader interface {
	LoadPromo(ctx context.Context, id string) (*domain.Promo, error)
}

// eventQuery pages through the event log, the one query of the store.
type eventQuery struct{ log EventLog }

// GetPromo reads one promo.
type GetPromo struct{ ID string }

// A promo long over has left the read models (their retention): it is
// read from its stream then.
func (a *promoQueries) get(ctx context.Context, q GetPromo) (PromoView, error) {
	now := a.clock.Now()
	if p, ok := a.read.Promo(q.ID, now); ok {
		return p, nil
	}
	p, err := a.repo.LoadPromo(ctx, q.ID)
	if err != nil {
		return PromoView{}, err
	}
	return NewPromoView(p, now, a.read.NotificationsSent(q.ID)), nil
}

// ListPromos lists promos, all of them or those with one status.
type ListPromos struct{ Status string }

func (a *promoQueries) list(_ context.Context, q ListPromos) ([]PromoView, error) {
	switch s := domain.PromoStatus(q.Status); s {
	case "", domain.PromoStatusScheduled, domain.PromoStatusActive, domain.PromoStatusEnded, domain.PromoStatusCancelled:
		return a.read.Promos(s, a.clock.Now()), nil
	}
	return nil, Invalid("status", "must be scheduled, active, ended or cancelled")
}

// GetUser reads one user.
type GetUser struct{ ID string }

func (a *userQueries) get(_ context.Context, q GetUser) (UserView, error) {
	u, ok := a.read.User(q.ID, a.clock.Now())
	if !ok {
		return UserView{}, ErrNotFound
	}
	return u, nil
}

// UserPromos lists the promos a user may see now, from At when given.
type UserPromos struct {
	UserID string
	At     *domain.Location
}

func (a *userQueries) promos(_ context.Context, q UserPromos) ([]VisiblePromo, error) {
	if q.At != nil {
		if err := q.At.Validate(); err != nil {
			return nil, err
		}
	}
	ps, ok := a.read.VisiblePromos(q.UserID, q.At, a.clock.Now())
	if !ok {
		return nil, ErrNotFound
	}
	return ps, nil
}

// UserNotifications lists the notifications a user got.
type UserNotifications struct{ UserID string }

func (a *userQueries) notifications(_ context.Context, q UserNotifications) ([]NotificationView, error) {
	ns, ok := a.read.Notifications(q.UserID)
	if !ok {
		return nil, ErrNotFound
	}
	return ns, nil
}

// GetReservation reads one reservation.
type GetReservation struct{ ID string }

// A reservation of a promo long over has left the read models with its
// promo: its id names the promo's stream, where it is read then.
func (a *reservationQuery) get(ctx context.Context, q GetReservation) (ReservationView, error) {
	now := a.clock.Now()
	if r, ok := a.read.Reservation(q.ID, now); ok {
		return r, nil
	}
	promoID, ok := domain.PromoOfReservation(q.ID)
	if !ok {
		return ReservationView{}, ErrNotFound
	}
	p, err := a.repo.LoadPromo(ctx, promoID)
	if err != nil {
		return ReservationView{}, err
	}
	r, ok := p.Reservation(q.ID)
	if !ok {
		return ReservationView{}, ErrNotFound
	}
	return NewReservationView(r, now), nil
}

// MaxEvents is the largest page of the event log.
const MaxEvents = 10000

// ReadEvents pages through the global log for analysts.
type ReadEvents struct {
	After        int64
	Limit        int
	Stream, Type string
}

// EventPage is a page of the log and where the next one starts.
type EventPage struct {
	Events    []EventView
	NextAfter int64
}

// EventView is a stored event as analysts read it.
type EventView struct {
	ID, StreamID, Type string
	Version, Position  int64
	OccurredAt         time.Time
	Data, Metadata     []byte // JSON; Metadata nil for events stored without
}

// EventQuery selects events of the global log (see ReadEvents).
type EventQuery = ReadEvents

func (a *eventQuery) read(ctx context.Context, q ReadEvents) (EventPage, error) {
	if q.Limit == 0 {
		q.Limit = 1000
	}
	if q.Limit < 1 || q.Limit > MaxEvents {
		return EventPage{}, Invalid("limit", fmt.Sprintf("must be 1 to %d", MaxEvents))
	}
	if q.After < 0 {
		return EventPage{}, Invalid("after", "must not be negative")
	}
	if q.Type != "" && !knownEvent(q.Type) {
		return EventPage{}, Invalid("type", "is not an event type")
	}
	events, err := a.log.ReadAll(ctx, q)
	if err != nil {
		return EventPage{}, err
	}
	page := EventPage{Events: events, NextAfter: q.After}
	if len(events) > 0 {
		page.NextAfter = events[len(events)-1].Position
	}
	return page, nil
}

func knownEvent(name string) bool {
	for _, e := range domain.EventTypes() {
		if e.EventName() == name {
			return true
		}
	}
	return false
}

// ListProjections reports every read model's progress.
type ListProjections struct{}

// RebuildProjection rebuilds one read model into a shadow copy.
type RebuildProjection struct{ Name string }
