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
	}
}

func (m *Users) thaw(r *snapReader) {
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
