package app

import (
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// PromoView is a promo as clients see it.
type PromoView struct {
	domain.PromoSpec
	ID                string
	Status            domain.PromoStatus
	Stock             domain.StockLevel
	NotificationsSent int
	Version           int64
	SeriesID          string // of the series it is an occurrence of, if any
	TimeZone          string // of the series' local window
}

// PromoState is what a PromoView is read from: the aggregate on the
// command side and for a promo long over, the read model's own record of a
// promo on the read side. Both read status and stock by the domain's rules.
type PromoState interface {
	ID() string
	Spec() domain.PromoSpec
	Status(now time.Time) domain.PromoStatus
	Stock(now time.Time) domain.StockLevel
	Version() int64
	SeriesID() string
	TimeZone() string
}

// NewPromoView reads p at now; sent is its notification count.
func NewPromoView(p PromoState, now time.Time, sent int) PromoView {
	return PromoView{
		PromoSpec:         p.Spec(),
		ID:                p.ID(),
		Status:            p.Status(now),
		Stock:             p.Stock(now),
		NotificationsSent: sent,
		Version:           p.Version(),
		SeriesID:          p.SeriesID(),
		TimeZone:          p.TimeZone(),
	}
}

// UserView is a user with the segments they are in at the time of reading.
type UserView struct {
	ID              string
	RegisteredAt    time.Time
	Location        *domain.Location
	RecentPurchases int
	Segments        []domain.Segment
}

// NewUserView reads u at now under rules.
func NewUserView(u *domain.User, now time.Time, rules domain.SegmentRules) UserView {
	v := UserView{
		ID:              u.ID(),
		RegisteredAt:    u.RegisteredAt(),
		RecentPurchases: rules.RecentPurchases(u.Profile(), now),
		Segments:        rules.Segments(u.Profile(), now),
	}
	if loc, ok := u.Location(); ok {
		v.Location = &loc
	}
	return v
}

// VisiblePromo is an active promo a user may see, with their distance to it.
type VisiblePromo struct {
	ID        string
	Spec      *domain.PromoSpec // as created, shared with the read model: read only
	Available int
	DistanceM float64
	// Fixed is the reply's encoded part of Spec, which never changes, made
	// once when the read model filed the promo; nil: the reader encodes it.
	Fixed []byte
}

// ReservationView is a reservation with its status at the time of reading.
type ReservationView struct {
	domain.Reservation
}

// NewReservationView reads r at now: a hold whose time passed shows expired.
func NewReservationView(r domain.Reservation, now time.Time) ReservationView {
	r.Status = r.StatusAt(now)
	return ReservationView{r}
}

// ProjectionStatus is one read model's progress through the log.
type ProjectionStatus struct {
	Name     string
	Position int64
	Lag      int64
	Status   string // "live" | "rebuilding"
}

// Sees tells whether a user may see a promo by domain.Reaches, from at or
// else from the user's last known location. It returns the distance in
// metres.
func Sees(u UserView, spec domain.PromoSpec, at *domain.Location) (float64, bool) {
	if at == nil {
		at = u.Location
	}
	if at == nil {
		return 0, false
	}
	return domain.Reaches(domain.SetOf(spec.Segments), spec.Store.Location, spec.RadiusM, domain.SetOf(u.Segments), *at)
}

// NotificationView is a notification as its user sees it.
type NotificationView = domain.NotificationSent
