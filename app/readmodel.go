package app

import (
	"context"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// ReadModel answers from memory: the read side the projectors keep.
type ReadModel interface {
	Sync

	Promo(id string, now time.Time) (PromoView, bool)
	Promos(status domain.PromoStatus, now time.Time) []PromoView
	NotificationsSent(promoID string) int
	// Due lists promos whose start or end has come but is not recorded yet.
	Due(now time.Time) (activate, end []string)
	// ExpiredHolds lists holds past their time that no event closed yet.
	ExpiredHolds(now time.Time) []Hold
	Reservation(id string, now time.Time) (ReservationView, bool)

	User(id string, now time.Time) (UserView, bool)
	// VisiblePromos lists the active promos a known user may see from at
	// (their last known location when nil), nearest first.
	VisiblePromos(userID string, at *domain.Location, now time.Time) ([]VisiblePromo, bool)
	// Eligible lists the users the promo may notify at now.
	Eligible(spec domain.PromoSpec, now time.Time) []string
	Notifications(userID string) ([]domain.NotificationSent, bool)
	// Unnotified keeps the users who had no notification on day, as far as
	// the read model knows (the store stays the guard).
	Unnotified(users []string, day string) []string
}

// Hold names a reservation within its promo.
type Hold struct{ PromoID, ReservationID string }

// Projections are the read models an admin can inspect and rebuild.
type Projections interface {
	Status(ctx context.Context) ([]ProjectionStatus, error)
	Rebuild(ctx context.Context, name string) error // ErrNotFound for an unknown name
}
