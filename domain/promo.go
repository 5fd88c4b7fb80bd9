package domain

import (
	"math"
	"slices"
	"time"
)

// Store is where a promo's product is sold and picked up.
type Store struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Location Location `json:"location"`
}

// Product is what the promo sells.
type Product struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// PromoSpec is what an admin asks for when creating a promo.
type PromoSpec struct {
	Store        Store
	Product      Product
	RegularPrice Money
	PromoPrice   Money
	Segments     []Segment
	RadiusM      float64
	StartsAt     time.Time
	EndsAt       time.Time
	Stock        int
}

// Bounds of a promo that are not in the contract but keep numbers sane.
const (
	maxRadiusM = 50000
	maxStock   = 1_000_000
)

// PromoStatus is where a promo is in its life.
type PromoStatus string

const (
	PromoStatusScheduled PromoStatus = "scheduled"
	PromoStatusActive    PromoStatus = "active"
	PromoStatusEnded     PromoStatus = "ended"
	PromoStatusCancelled PromoStatus = "cancelled"
)

// Promo is a Flash Promo and every hold on its units: one stream, so that
// "never more sold than stock" is decided in one place, under one version.
type Promo struct {
	root
	spec   PromoSpec
	series seriesOf
	life   PromoLife
	holds  // reservation.go
}

// PromoSummary is what a notification needs to know about a promo.
type PromoSummary struct {
	ID           string
	Store        Store
	Product      Product
	RegularPrice Money
	PromoPrice   Money
	StartsAt     time.Time
	EndsAt       time.Time
	// Window is the zone of the local window of a series' occurrence (nil
	// for a promo on its own): its notification tells today's window.
	Window *time.Location
}

func newPromo() *Promo { return &Promo{holds: newHolds()} }

// CreatePromo validates spec by the rules of API.md and records PromoCreated.
// Times are kept in UTC so that stored events round-trip exactly.
func CreatePromo(id string, spec PromoSpec, now time.Time) (*Promo, error) {
	return createPromo(id, spec, now, seriesOf{})
}

// createPromo creates a promo on its own (series is zero) or as an
// occurrence of a series.
func createPromo(id string, spec PromoSpec, now time.Time, series seriesOf) (*Promo, error) {
	if err := validateID("id", id); err != nil {
		return nil, err
	}
	if err := spec.validate(now); err != nil {
		return nil, err
	}
	p := newPromo()
	p.record(PromoCreated{
		PromoID: id, Store: spec.Store, Product: spec.Product,
		RegularPrice: spec.RegularPrice, PromoPrice: spec.PromoPrice,
		Segments: slices.Clone(spec.Segments), RadiusM: spec.RadiusM,
		StartsAt: spec.StartsAt.UTC(), EndsAt: spec.EndsAt.UTC(), Stock: spec.Stock,
		SeriesID: series.ID, TimeZone: series.TimeZone,
	})
	return p, nil
}

// LoadPromo rehydrates a promo from its stream.
func LoadPromo(history []Event) *Promo {
	p := newPromo()
	for _, e := range history {
		p.apply(e)
	}
	p.loaded(len(history))
	return p
}

// Spec returns the promo as created.
func (p *Promo) Spec() PromoSpec {
	s := p.spec
	s.Segments = slices.Clone(s.Segments)
	return s
}

// Spec is the promo as the event created it.
func (e PromoCreated) Spec() PromoSpec {
	return PromoSpec{Store: e.Store, Product: e.Product, RegularPrice: e.RegularPrice,
		PromoPrice: e.PromoPrice, Segments: slices.Clone(e.Segments), RadiusM: e.RadiusM,
		StartsAt: e.StartsAt, EndsAt: e.EndsAt, Stock: e.Stock}
}

// seriesOf names the series a promo is an occurrence of, and its zone.
type seriesOf struct{ ID, TimeZone string }

// SeriesID is the series the promo is an occurrence of, "" for none, and
// TimeZone the zone of the series' local window.
func (p *Promo) SeriesID() string { return p.series.ID }
func (p *Promo) TimeZone() string { return p.series.TimeZone }

// SameSpec tells an idempotent retry of a create (same body) from a
// conflicting reuse of its id. Times compare as instants and segments as a set.
func (p *Promo) SameSpec(s PromoSpec) bool {
	a := p.spec
	return a.Store == s.Store && a.Product == s.Product &&
		a.RegularPrice == s.RegularPrice && a.PromoPrice == s.PromoPrice &&
		sameSegments(a.Segments, s.Segments) && a.RadiusM == s.RadiusM &&
		a.StartsAt.Equal(s.StartsAt) && a.EndsAt.Equal(s.EndsAt) && a.Stock == s.Stock
}

func sameSegments(a, b []Segment) bool {
	for _, s := range a {
		if !slices.Contains(b, s) {
			return false
		}
	}
	for _, s := range b {
		if !slices.Contains(a, s) {
			return false
		}
	}
	return true
}

// PromoLife is what a promo's stream recorded of its life. The aggregate
// and the read side's record of a promo each keep one, and read the status
// from it by the one rule, Status.
type PromoLife struct{ Activated, Ended, Cancelled bool }

// Status is decided by the clock and cancellation, not by whether the
// scheduler has run yet: a promo is active from startsAt to endsAt even if
// PromoActivated is late. A recorded end is final too.
func (l PromoLife) Status(startsAt, endsAt, now time.Time) PromoStatus {
	switch {
	case l.Cancelled:
		return PromoStatusCancelled
	case l.Ended || !now.Before(endsAt):
		return PromoStatusEnded
	case !now.Before(startsAt):
		return PromoStatusActive
	}
	return PromoStatusScheduled
}

// Status is the promo's status at now, by PromoLife.Status.
func (p *Promo) Status(now time.Time) PromoStatus {
	return p.life.Status(p.spec.StartsAt, p.spec.EndsAt, now)
}

// Activated, Ended and Cancelled say whether those events were recorded.
func (p *Promo) Activated() bool { return p.life.Activated }
func (p *Promo) Ended() bool     { return p.life.Ended }
func (p *Promo) Cancelled() bool { return p.life.Cancelled }

// Activate records PromoActivated once, when the window is open; the event
// starts the notification fan-out, so it must never be recorded twice.
func (p *Promo) Activate(now time.Time) error {
	if p.life.Activated {
		return nil
	}
	if p.Status(now) != PromoStatusActive {
		return ErrPromoNotActive
	}
	p.record(PromoActivated{PromoID: p.id})
	return nil
}

// End records PromoEnded once the window has closed.
func (p *Promo) End(now time.Time) error {
	if p.life.Ended {
		return nil
	}
	if p.life.Cancelled || now.Before(p.spec.EndsAt) {
		return ErrPromoNotActive
	}
	p.record(PromoEnded{PromoID: p.id})
	return nil
}

// Cancel withdraws a promo that has not ended. Its holds can no longer be
// bought; app/ also releases its listing slot.
func (p *Promo) Cancel(now time.Time) error {
	if p.life.Cancelled {
		return nil
	}
	if p.life.Ended || !now.Before(p.spec.EndsAt) {
		return ErrPromoNotActive
	}
	p.record(PromoCancelled{PromoID: p.id})
	return nil
}

// Summary is what a notification says about the promo.
func (p *Promo) Summary() PromoSummary {
	s := p.spec
	return PromoSummary{ID: p.id, Store: s.Store, Product: s.Product,
		RegularPrice: s.RegularPrice, PromoPrice: s.PromoPrice, StartsAt: s.StartsAt, EndsAt: s.EndsAt}
}

func (p *Promo) record(e Event) {
	p.apply(e)
	p.changes = append(p.changes, e)
}

// apply is the only place that changes a promo's state.
func (p *Promo) apply(e Event) {
	switch e := e.(type) {
	case PromoCreated:
		p.id = e.PromoID
		p.spec = e.Spec()
		p.series = seriesOf{e.SeriesID, e.TimeZone}
	case PromoActivated:
		p.life.Activated = true
	case PromoEnded:
		p.life.Ended = true
	case PromoCancelled:
		p.life.Cancelled = true
	case ReservationPlaced:
		p.place(e)
	case ReservationReleased:
		p.close(e.ReservationID, ReservationStatusReleased)
	case ReservationExpired:
		p.close(e.ReservationID, ReservationStatusExpired)
	case PurchaseCompleted:
		p.close(e.ReservationID, ReservationStatusPurchased)
	}
}

// validate checks a spec field by field, in the order of the JSON body, so
// the first bad field is the one reported.
func (s PromoSpec) validate(now time.Time) error {
	checks := []func() error{
		s.validateStore, s.validateProduct, s.validatePrices, s.validateSegments,
		s.validateRadius, func() error { return s.validateWindow(now) }, s.validateStock,
	}
	for _, check := range checks {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (s PromoSpec) validateStore() error {
	if err := validateText("store.id", s.Store.ID); err != nil {
		return err
	}
	if err := validateText("store.name", s.Store.Name); err != nil {
		return err
	}
	return under("store.location", s.Store.Location.Validate())
}

func (s PromoSpec) validateProduct() error {
	if err := validateText("product.id", s.Product.ID); err != nil {
		return err
	}
	return validateText("product.name", s.Product.Name)
}

func (s PromoSpec) validatePrices() error {
	if err := under("regular_price", s.RegularPrice.validate()); err != nil {
		return err
	}
	if err := under("promo_price", s.PromoPrice.validate()); err != nil {
		return err
	}
	if s.PromoPrice.Currency != s.RegularPrice.Currency {
		return invalid("promo_price.currency", "must be the currency of regular_price")
	}
	if s.PromoPrice.Amount >= s.RegularPrice.Amount {
		return invalid("promo_price.amount", "must be below regular_price")
	}
	return nil
}

func (s PromoSpec) validateSegments() error {
	if len(s.Segments) == 0 {
		return invalid("segments", "must not be empty")
	}
	for i, seg := range s.Segments {
		if !seg.Known() {
			return invalid("segments", "unknown segment "+string(seg))
		}
		if slices.Contains(s.Segments[:i], seg) {
			return invalid("segments", "duplicate segment "+string(seg))
		}
	}
	return nil
}

func (s PromoSpec) validateRadius() error {
	// NaN fails both comparisons' complements, so test the good range.
	if !(s.RadiusM > 0 && s.RadiusM <= maxRadiusM) || math.IsInf(s.RadiusM, 0) {
		return invalid("radius_m", "must be in (0, 50000]")
	}
	return nil
}

// validateWindow lets starts_at be past (the promo is then active at once)
// but a window that has already closed is a mistake.
func (s PromoSpec) validateWindow(now time.Time) error {
	if s.StartsAt.IsZero() {
		return invalid("starts_at", "must be set")
	}
	if !s.EndsAt.After(s.StartsAt) {
		return invalid("ends_at", "must be after starts_at")
	}
	if !s.EndsAt.After(now) {
		return invalid("ends_at", "must be in the future")
	}
	return nil
}

func (s PromoSpec) validateStock() error {
	if s.Stock < 1 || s.Stock > maxStock {
		return invalid("stock", "must be in [1, 1000000]")
	}
	return nil
}
