package readmodel

import (
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// The users: a user changes (moves, buys), so the copy is of every user,
// with the purchases each had then. A user's cell is not written: a load
// files each user under cellAt of their location, as a move does.
func (m *Users) freeze() func(*snapWriter) {
	m.mu.RLock()
	users := make([]user, 0, m.n)
	for _, p := range m.pages {
		users = append(users, p...)
	}
	bought := append([][]time.Time(nil), m.bought...) // only appended to: the elements stay
	scheduled := m.cand.scheduled()
	m.mu.RUnlock()
	return func(w *snapWriter) {
		w.uvarint(uint64(len(users)))
		for i := range users {
			u := &users[i]
			w.string(m.ids.name(u.id))
			w.varint(u.registeredSec)
			w.varint(int64(u.registeredNsec))
			if !u.placed() {
				w.uvarint(0)
			} else {
				w.uvarint(1)
				w.float(u.loc.Lat)
				w.float(u.loc.Lng)
			}
			var times []time.Time
			if u.bought > 0 {
				times = bought[u.bought-1]
			}
			w.uvarint(uint64(len(times)))
			for _, t := range times {
				w.time(t)
			}
		}
		// The promos of the eligible-user sets: their sets are searched
		// again on load, from the users just read.
		w.uvarint(uint64(len(scheduled)))
		for _, s := range scheduled {
			w.string(s.promo)
			w.float(s.key.center.Lat)
			w.float(s.key.center.Lng)
			w.float(s.key.radiusM)
			w.uvarint(uint64(s.key.wanted))
			w.time(s.start)
			w.time(s.started)
		}
	}
}

func (m *Users) thaw(r *snapReader) {
	m.thawUsers(r)
	for range r.count() {
		promo := r.string()
		k := audienceKey{domain.Location{Lat: r.float(), Lng: r.float()}, r.float(), domain.SegmentSet(r.uvarint())}
		start, started := r.time(), r.time()
		if r.err != nil {
			return
		}
		m.schedule(promo, k, start)
		if !started.IsZero() {
			m.mu.Lock()
			m.cand.started[promo] = started
			m.mu.Unlock()
		}
	}
}

func (m *Users) thawUsers(r *snapReader) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := r.count()
	for range users {
		id := r.string()
		if r.err != nil {
			return
		}
		n := m.ids.intern(id)
		u := m.find(n)
		if u == nil {
			u = m.add(n)
		}
		i := uint32(m.of[n])
		u.registeredSec, u.registeredNsec = r.varint(), int32(r.varint())
		if r.uvarint() == 1 {
			m.move(i, domain.Location{Lat: r.float(), Lng: r.float()})
		}
		for range r.count() {
			m.buy(u, r.time())
		}
	}
}
