package readmodel

import (
	"cmp"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// Promos keeps every promo, rehydrated, with its reservations and holds:
// stock and status are computed by the domain at the time of reading, so a
// hold whose time passed is free here at once. Promos that may still be
// active are filed under the S2 cells their circle touches, so a user's
// promos are found among the few filed under the user's cell.
type Promos struct {
	mu           sync.RWMutex
	promos       map[string]*domain.Promo
	reservations map[string]string    // reservation id -> promo id
	held         map[string]app.Hold  // open holds, by reservation id
	expiresAt    map[string]time.Time // of open holds
	placed       map[string]*placed   // promos not cancelled nor ended, by id
	cells        map[s2.CellID][]reach
	wide         []reach        // promos of a radius beyond maxCoveredM, checked on every read
	events       []domain.Event // every event folded, in order: the snapshot

	retired func(endsAt time.Time) bool // whether a promo over since endsAt leaves memory (nil: none does)
}

// maxCoveredM is the largest radius filed under cells: the domain's largest.
// A wider promo in the log is not refused but checked on every read.
const maxCoveredM = 50_000

// placed is a promo filed in the geo index.
type placed struct {
	id    string
	promo *domain.Promo
	spec  domain.PromoSpec // as created: it never changes
	cells []s2.CellID      // at promoLevel
}

// reach is a promo as filed under a cell, with what decides whether a user
// sees it: the lists are scanned on every read, and a pointer followed to
// each promo would cost more than the checks.
type reach struct {
	circle           s2.Cap // a little wider than the promo's radius
	startSec, endSec int64  // its window, in Unix seconds
	center           domain.Location
	radiusM          float64
	segments         domain.SegmentSet
	at               *placed
}

func NewPromos() *Promos {
	return &Promos{
		promos:       map[string]*domain.Promo{},
		reservations: map[string]string{},
		held:         map[string]app.Hold{},
		expiresAt:    map[string]time.Time{},
		placed:       map[string]*placed{},
		cells:        map[s2.CellID][]reach{},
	}
}

func (m *Promos) Apply(e domain.Event) {
	if e, ok := e.(domain.PromoCreated); ok {
		p := domain.LoadPromo([]domain.Event{e})
		at := newPlaced(p) // before the lock: covering 50 km takes some milliseconds
		m.mu.Lock()
		defer m.mu.Unlock()
		m.events = append(m.events, e)
		m.promos[e.PromoID] = p
		m.place(at)
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.promos[promoOf(e)]
	if !ok { // retired (or never created): nothing left to change
		return
	}
	m.events = append(m.events, e)
	switch e := e.(type) {
	case domain.PromoEnded: // its status is final: no one sees it any more
		m.unplace(e.PromoID)
	case domain.PromoCancelled:
		m.unplace(e.PromoID)
	case domain.ReservationPlaced:
		m.reservations[e.ReservationID] = e.PromoID
		m.held[e.ReservationID] = app.Hold{PromoID: e.PromoID, ReservationID: e.ReservationID}
		m.expiresAt[e.ReservationID] = e.ExpiresAt
	case domain.ReservationReleased:
		m.closeHold(e.ReservationID)
	case domain.ReservationExpired:
		m.closeHold(e.ReservationID)
	case domain.PurchaseCompleted:
		m.closeHold(e.ReservationID)
	}
	p.Replay(e)
	if m.retires(p) { // a start replaying promos long over
		m.drop(map[string]bool{p.ID(): true})
	}
}

func newPlaced(p *domain.Promo) *placed {
	spec := p.Spec()
	at := &placed{id: p.ID(), promo: p, spec: spec}
	if spec.RadiusM <= maxCoveredM {
		at.cells = promoCells(spec.Store.Location, spec.RadiusM)
	}
	return at
}

// place files a promo under the cells its circle touches, or with the
// wide ones.
func (m *Promos) place(at *placed) {
	m.unplace(at.id)
	m.placed[at.id] = at
	spec := &at.spec
	r := reach{circle: circle(spec.Store.Location, spec.RadiusM),
		startSec: spec.StartsAt.Unix(), endSec: spec.EndsAt.Unix(),
		center: spec.Store.Location, radiusM: spec.RadiusM, segments: domain.SetOf(spec.Segments), at: at}
	if at.cells == nil {
		m.wide = append(m.wide, r)
	}
	for _, c := range at.cells {
		m.cells[c] = append(m.cells[c], r)
	}
}

func (m *Promos) unplace(id string) {
	at, ok := m.placed[id]
	if !ok {
		return
	}
	delete(m.placed, id)
	m.wide = slices.DeleteFunc(m.wide, func(r reach) bool { return r.at == at })
	for _, c := range at.cells {
		in := slices.DeleteFunc(m.cells[c], func(r reach) bool { return r.at == at })
		if len(in) == 0 {
			delete(m.cells, c)
		} else {
			m.cells[c] = in
		}
	}
}

// visible lists the active promos u sees from at, nearest first. Only the
// promos filed under the cell of at can reach it. Of those, the window and
// the circle (a dot product) pass over most; the rest are decided by
// domain.Reaches and by the promo's status.
func (m *Promos) visible(u app.UserView, at domain.Location, now time.Time) []app.VisiblePromo {
	type seen struct {
		d  float64
		at *placed
	}
	var buf [64]seen
	found := buf[:0]
	ll := s2.LatLngFromDegrees(at.Lat, at.Lng)
	pt := s2.PointFromLatLng(ll)
	sec, wants := now.Unix(), domain.SetOf(u.Segments)
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, list := range [2][]reach{m.cells[s2.CellIDFromLatLng(ll).Parent(promoLevel)], m.wide} {
		for _, r := range list {
			if sec < r.startSec || sec > r.endSec || !r.circle.ContainsPoint(pt) {
				continue // surely not active now, or surely out of reach
			}
			if d, ok := domain.Reaches(r.segments, r.center, r.radiusM, wants, at); ok && r.at.promo.Status(now) == domain.PromoStatusActive {
				found = append(found, seen{d, r.at})
			}
		}
	}
	slices.SortFunc(found, func(a, b seen) int {
		if c := cmp.Compare(a.d, b.d); c != 0 {
			return c
		}
		return cmp.Compare(a.at.id, b.at.id)
	})
	vs := make([]app.VisiblePromo, len(found))
	for i, f := range found {
		vs[i] = app.VisiblePromo{ID: f.at.id, Spec: &f.at.spec, Available: f.at.promo.Stock(now).Available, DistanceM: f.d}
	}
	return vs
}

func (m *Promos) closeHold(id string) {
	delete(m.held, id)
	delete(m.expiresAt, id)
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
func (m *Promos) view(id string, f func(*domain.Promo)) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.promos[id]
	if ok {
		f(p)
	}
	return ok
}

// each calls f for every promo under the read lock, in no order.
func (m *Promos) each(f func(*domain.Promo)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, p := range m.promos {
		f(p)
	}
}

func (m *Promos) reservation(id string, now time.Time) (app.ReservationView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	p, ok := m.promos[m.reservations[id]]
	if !ok {
		return app.ReservationView{}, false
	}
	r, ok := p.Reservation(id)
	return app.NewReservationView(r, now), ok
}

func (m *Promos) due(now time.Time) (activate, end []string) {
	m.each(func(p *domain.Promo) {
		switch {
		case p.Cancelled() || p.Ended():
		case p.Status(now) == domain.PromoStatusEnded:
			end = append(end, p.ID())
		case p.Status(now) == domain.PromoStatusActive && !p.Activated():
			activate = append(activate, p.ID())
		}
	})
	return activate, end
}

func (m *Promos) expiredHolds(now time.Time) []app.Hold {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var hs []app.Hold
	for id, at := range m.expiresAt {
		if !now.Before(at) {
			hs = append(hs, m.held[id])
		}
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i].ReservationID < hs[j].ReservationID })
	return hs
}
