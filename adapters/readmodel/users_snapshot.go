package readmodel

import (
	"fmt"
	"time"

	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/domain"
)

// The users: a user changes (moves, buys), so the copy is of every user,
// with the purchases each had then.
func (m *Users) freeze() func(*snapWriter) {
	m.mu.RLock()
	users := make([]user, 0, len(m.index))
	purchases := map[int][]time.Time{}
	for _, p := range m.pages {
		for i := range p {
			if p[i].purchases != nil {
				purchases[len(users)] = *p[i].purchases // only appended to: the elements stay
			}
			users = append(users, p[i])
		}
	}
	m.mu.RUnlock()
	return func(w *snapWriter) {
		w.uvarint(uint64(len(users)))
		for i := range users {
			u := &users[i]
			w.string(u.id)
			w.varint(u.registeredSec)
			w.varint(int64(u.registeredNsec))
			w.uvarint(uint64(u.cell)) // 0: not located; else its cell, so a load computes none
			if u.cell != 0 {
				w.float(u.loc.Lat)
				w.float(u.loc.Lng)
			}
			bought := purchases[i]
			w.uvarint(uint64(len(bought)))
			for _, t := range bought {
				w.time(t)
			}
		}
	}
}

func (m *Users) thaw(r *snapReader) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := r.count()
	if len(m.index) == 0 {
		m.index = make(map[string]uint32, min(users, 1<<24))
	}
	for range users {
		id := r.string()
		if r.err != nil {
			return
		}
		u := m.find(id)
		if u == nil {
			u = m.add(id)
		}
		u.registeredSec, u.registeredNsec = r.varint(), int32(r.varint())
		if c := s2.CellID(r.uvarint()); c != 0 {
			if u.cell != 0 || !c.IsValid() || c.Level() != userLevel {
				r.fail(fmt.Errorf("%w: user %s in cell %v", errCorrupt, id, c))
				return
			}
			u.loc = domain.Location{Lat: r.float(), Lng: r.float()}
			u.cell, u.slot = c, uint32(len(m.cells[c]))
			m.cells[c] = append(m.cells[c], m.index[id])
		}
		for range r.count() {
			u.bought(r.time())
		}
	}
}
