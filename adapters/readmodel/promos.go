package readmodel

import (
	"cmp"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// Promos keeps every promo as a record of its own, folded from the promo
// streams: the spec as created, what was recorded of its life, its units
// and its reservations, never the events themselves. Status and stock are
// read from the record by the domain's rules at the time of reading, so a
// hold whose time passed is free here at once. Promos that may still be
// active are filed under the S2 cells their circle touches, so a user's
// promos are found among the few filed under the user's cell.
type Promos struct {
	mu           sync.RWMutex
	promos       map[string]*promo
	reservations map[string]holdAt // every reservation of the promos kept
	open         map[string]holdAt // those recorded as held
	dues         dues              // the open ones by expiry
	placed       map[string]*promo // promos not cancelled nor ended, by id
	cells        map[s2.CellID][]reach
	wide         []reach // promos of a radius beyond maxCoveredM, checked on every read

	retired func(endsAt time.Time) bool // whether a promo over since endsAt leaves memory (nil: none does)
	fixed   FixedEncoder                // nil: readers encode a promo's fixed part themselves
}

// FixedEncoder encodes what a promo shows every user, which never changes
// (app.VisiblePromo.Fixed); the model keeps its bytes with the promo.
type FixedEncoder func(id string, spec *domain.PromoSpec) []byte

// maxCoveredM is the largest radius filed under cells: the domain's largest.
// A wider promo in the log is not refused but checked on every read.
const maxCoveredM = 50_000

// promo is the read side's record of a promo. It is an app.PromoState:
// status and stock come from domain.PromoLife and domain.Units, the rules
// the aggregate reads them by.
type promo struct {
	// units and id come first: of the record, a user's read touches only
	// them (the rest it needs is in the geo index).
	units   domain.Units
	id      string
	spec    domain.PromoSpec // as created: it never changes
	series  string           // the series it is an occurrence of, "" for none
	zone    string           // the time zone of the series' local window
	life    domain.PromoLife
	version int64  // the events of its stream folded
	fixed   []byte // app.VisiblePromo.Fixed, shared with its reaches
	// holds are its reservations in placement order, only ever appended
	// to; their statuses, which change, are apart, so a snapshot copies
	// a byte per reservation.
	holds    []hold
	statuses []holdStatus
	cells    []s2.CellID // at promoLevel; nil for a wide promo
}

// hold is a reservation as the record keeps it.
type hold struct {
	id, user  string
	price     domain.Money
	expiresAt int64 // in Unix nanoseconds (times in events are UTC)
}

// holdStatus is a reservation's status as recorded, in a byte.
type holdStatus uint8

const (
	held holdStatus = iota
	purchased
	released
	expired
)

var holdStatuses = [...]domain.ReservationStatus{
	held: domain.ReservationStatusHeld, purchased: domain.ReservationStatusPurchased,
	released: domain.ReservationStatusReleased, expired: domain.ReservationStatusExpired,
}

// holdAt finds a reservation: the i-th hold of its promo.
type holdAt struct {
	p *promo
	i int
}

// reach is a promo as filed under a cell, with what decides whether a user
// sees it and what the reply shows of it: the lists are scanned on every
// read, and with 10,000 promos each pointer followed to a promo's record
// is a miss of the processor's caches, dearer than the checks.
type reach struct {
	circle     s2.Cap // a little wider than the promo's radius
	start, end int64  // its window, in Unix nanoseconds
	center     domain.Location
	radiusM    float64
	segments   domain.SegmentSet
	stock      int
	fixed      []byte
	at         *promo
}

func NewPromos() *Promos {
	return &Promos{
		promos:       map[string]*promo{},
		reservations: map[string]holdAt{},
		open:         map[string]holdAt{},
		placed:       map[string]*promo{},
		cells:        map[s2.CellID][]reach{},
	}
}

func (m *Promos) Apply(e domain.Event) {
	if e, ok := e.(domain.PromoCreated); ok {
		p := m.newPromo(e.PromoID, e.Spec(), e.SeriesID, e.TimeZone) // before the lock: covering 50 km takes some milliseconds
		m.mu.Lock()
		defer m.mu.Unlock()
		m.promos[p.id] = p
		m.place(p)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.promos[promoOf(e)]
	if !ok { // retired (or never created): nothing left to change
		return
	}
	p.version++
	switch e := e.(type) {
	case domain.PromoActivated:
		p.life.Activated = true
	case domain.PromoEnded: // its status is final: no one sees it any more
		p.life.Ended = true
		m.unplace(p.id)
	case domain.PromoCancelled:
		p.life.Cancelled = true
		m.unplace(p.id)
	case domain.ReservationPlaced:
		m.hold(p, e)
	case domain.ReservationReleased:
		m.close(p, e.ReservationID, released)
	case domain.ReservationExpired:
		m.close(p, e.ReservationID, expired)
	case domain.PurchaseCompleted:
		m.close(p, e.ReservationID, purchased)
	}
	if m.retires(p) { // a start replaying promos long over
		m.drop(p)
	}
}

// newPromo is the record of a promo just created.
func (m *Promos) newPromo(id string, spec domain.PromoSpec, series, zone string) *promo {
	p := &promo{id: id, spec: spec, series: series, zone: zone, version: 1}
	if spec.RadiusM <= maxCoveredM {
		p.cells = promoCells(spec.Store.Location, spec.RadiusM)
	}
	if m.fixed != nil {
		p.fixed = m.fixed(id, &p.spec)
	}
	return p
}

// What app.NewPromoView reads.
func (p *promo) ID() string       { return p.id }
func (p *promo) Version() int64   { return p.version }
func (p *promo) SeriesID() string { return p.series }
func (p *promo) TimeZone() string { return p.zone }

func (p *promo) Spec() domain.PromoSpec {
	s := p.spec
	s.Segments = slices.Clone(s.Segments)
	return s
}

func (p *promo) Status(now time.Time) domain.PromoStatus {
	return p.life.Status(p.spec.StartsAt, p.spec.EndsAt, now)
}

func (p *promo) Stock(now time.Time) domain.StockLevel { return p.units.At(p.spec.Stock, now) }

// reservation is the i-th reservation as recorded.
func (p *promo) reservation(i int) domain.Reservation {
	h := &p.holds[i]
	return domain.Reservation{ID: h.id, PromoID: p.id, UserID: h.user, Price: h.price,
		ExpiresAt: h.expiry(), Status: holdStatuses[p.statuses[i]]}
}

func (h *hold) expiry() time.Time { return nanoTime(h.expiresAt) }

// nanoTime is the UTC time of n Unix nanoseconds.
func nanoTime(n int64) time.Time { return time.Unix(0, n).UTC() }

// hold records a reservation placed; the caller holds the lock.
func (m *Promos) hold(p *promo, e domain.ReservationPlaced) {
	price := e.Price
	if price.Currency == p.spec.PromoPrice.Currency {
		price.Currency = p.spec.PromoPrice.Currency // one copy for every hold
	}
	at := holdAt{p, len(p.holds)}
	p.holds = append(p.holds, hold{id: e.ReservationID, user: e.UserID, price: price, expiresAt: e.ExpiresAt.UnixNano()})
	p.statuses = append(p.statuses, held)
	p.units.Hold(e.ExpiresAt)
	m.reservations[e.ReservationID] = at
	m.open[e.ReservationID] = at
	m.noteDue(e.ReservationID, e.ExpiresAt.UnixNano())
}

// close ends a hold of p as recorded; only a held reservation can close.
// The caller holds the lock.
func (m *Promos) close(p *promo, id string, to holdStatus) {
	at, ok := m.reservations[id]
	if !ok || at.p != p || p.statuses[at.i] != held {
		return
	}
	p.statuses[at.i] = to
	p.units.Close(p.holds[at.i].expiry(), to == purchased)
	delete(m.open, id)
	m.dropClosedDues()
}

// place files a promo under the cells its circle touches, or with the
// wide ones.
func (m *Promos) place(p *promo) {
	m.unplace(p.id)
	m.placed[p.id] = p
	spec := &p.spec
	r := reach{circle: circle(spec.Store.Location, spec.RadiusM),
		start: nanos(spec.StartsAt), end: nanos(spec.EndsAt),
		center: spec.Store.Location, radiusM: spec.RadiusM, segments: domain.SetOf(spec.Segments),
		stock: spec.Stock, fixed: p.fixed, at: p}
	if p.cells == nil {
		m.wide = append(m.wide, r)
	}
	for _, c := range p.cells {
		m.cells[c] = append(m.cells[c], r)
	}
}

// nanos is t in Unix nanoseconds, held to int64's range: a window that
// reaches past 2262 stays open until then.
func nanos(t time.Time) int64 {
	switch {
	case t.After(lastNano):
		return math.MaxInt64
	case t.Before(firstNano):
		return math.MinInt64
	}
	return t.UnixNano()
}

var firstNano, lastNano = time.Unix(0, math.MinInt64), time.Unix(0, math.MaxInt64)

func (m *Promos) unplace(id string) {
	p, ok := m.placed[id]
	if !ok {
		return
	}
	delete(m.placed, id)
	m.wide = slices.DeleteFunc(m.wide, func(r reach) bool { return r.at == p })
	for _, c := range p.cells {
		in := slices.DeleteFunc(m.cells[c], func(r reach) bool { return r.at == p })
		if len(in) == 0 {
			delete(m.cells, c)
		} else {
			m.cells[c] = in
		}
	}
}

// visible lists the active promos u sees from at, nearest first. Only the
// promos filed under the cell of at can reach it. Of those, the window and
// the circle (a dot product) pass over most; domain.Reaches decides the
// rest. A promo filed is neither ended nor cancelled (both unplace it under
// the write lock), so by domain.PromoLife.Status it is active within its
// window: of a promo's record, the read looks only at its head (units, id).
func (m *Promos) visible(u app.UserView, at domain.Location, now time.Time) []app.VisiblePromo {
	type seen struct {
		d float64
		r *reach
	}
	var buf [64]seen
	found := buf[:0]
	ll := s2.LatLngFromDegrees(at.Lat, at.Lng)
	pt := s2.PointFromLatLng(ll)
	nano, wants := now.UnixNano(), domain.SetOf(u.Segments)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, list := range [2][]reach{m.cells[s2.CellIDFromLatLng(ll).Parent(promoLevel)], m.wide} {
		for i := range list {
			r := &list[i]
			if nano < r.start || nano >= r.end || !r.circle.ContainsPoint(pt) {
				continue // not active now, or surely out of reach
			}
			if d, ok := domain.Reaches(r.segments, r.center, r.radiusM, wants, at); ok {
				found = append(found, seen{d, r})
			}
		}
	}
	slices.SortFunc(found, func(a, b seen) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.r.at.id, b.r.at.id)
	})
	vs := make([]app.VisiblePromo, len(found))
	for i, f := range found {
		p := f.r.at
		vs[i] = app.VisiblePromo{ID: p.id, Spec: &p.spec, Available: p.units.At(f.r.stock, now).Available, DistanceM: f.d, Fixed: f.r.fixed}
	}
	return vs
}

// promoOf names the promo a promo-stream event belongs to.
func promoOf(e domain.Event) string {
	switch e := e.(type) {
	case domain.PromoActivated:
		return e.PromoID
	case domain.PromoEnded:
		return e.PromoID
	case domain.PromoCancelled:
		return e.PromoID
	case domain.ReservationPlaced:
		return e.PromoID
	case domain.ReservationReleased:
		return e.PromoID
	case domain.ReservationExpired:
		return e.PromoID
	case domain.PurchaseCompleted:
		return e.PromoID
	}
	return ""
}

// view calls f with the promo under the read lock.
func (m *Promos) view(id string, f func(*promo)) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.promos[id]
	if ok {
		f(p)
	}
	return ok
}

// each calls f for every promo under the read lock, in no order.
func (m *Promos) each(f func(*promo)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, p := range m.promos {
		f(p)
	}
}

func (m *Promos) reservation(id string, now time.Time) (app.ReservationView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	at, ok := m.reservations[id]
	if !ok {
		return app.ReservationView{}, false
	}
	return app.NewReservationView(at.p.reservation(at.i), now), true
}

func (m *Promos) due(now time.Time) (activate, end []string) {
	m.each(func(p *promo) {
		switch {
		case p.life.Cancelled || p.life.Ended:
		case p.Status(now) == domain.PromoStatusEnded:
			end = append(end, p.id)
		case p.Status(now) == domain.PromoStatusActive && !p.life.Activated:
			activate = append(activate, p.id)
		}
	})
	return activate, end
}
