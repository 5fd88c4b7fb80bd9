package readmodel

import (
	"sort"
	"sync"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// Promos keeps every promo, rehydrated, with its reservations and holds:
// stock and status are computed by the domain at the time of reading, so a
// hold whose time passed is free here at once.
type Promos struct {
	mu           sync.RWMutex
	promos       map[string]*domain.Promo
	reservations map[string]string    // reservation id -> promo id
	held         map[string]app.Hold  // open holds, by reservation id
	expiresAt    map[string]time.Time // of open holds
}

func NewPromos() *Promos {
	return &Promos{
		promos:       map[string]*domain.Promo{},
		reservations: map[string]string{},
		held:         map[string]app.Hold{},
		expiresAt:    map[string]time.Time{},
	}
}

func (m *Promos) Apply(e domain.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e := e.(type) {
	case domain.PromoCreated:
		m.promos[e.PromoID] = domain.LoadPromo([]domain.Event{e})
		return
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
	if p, ok := m.promos[promoOf(e)]; ok {
		p.Replay(e)
	}
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
