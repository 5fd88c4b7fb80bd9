package readmodel

import (
	"math/bits"
	"strings"
	"sync"
	"time"

	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// Users keeps every user in a compact form — registration, last location,
// purchase times — and files them under the S2 cell of their location, so
// that the fan-out's search visits only the users near a promo. Segments
// are never stored: domain.SegmentRules evaluates them when read.
type Users struct {
	rules domain.SegmentRules
	mu    sync.RWMutex
	index map[string]uint32 // user id -> position in pages
	pages [][]user          // every user, in order of registration
	cells map[s2.CellID][]uint32
}

// user is one user in 64 bytes, a fraction of a *domain.User with its maps
// and bookkeeping (BENCHMARKS.md, section 6).
type user struct {
	id   string
	loc  domain.Location
	cell s2.CellID // of loc at userLevel; 0 until the user is located
	// registered is when the user registered, in Unix seconds and
	// nanoseconds (times in events are UTC).
	registeredSec  int64
	registeredNsec int32
	slot           uint32 // position in cells[cell]
	// purchases are the purchase times in recorded order, nil for a user who
	// bought nothing. Each purchase is in the log once (the aggregate refuses
	// a repeated purchase id), so their ids are not kept.
	purchases *[]time.Time
}

func (u *user) register(at time.Time) {
	u.registeredSec, u.registeredNsec = at.Unix(), int32(at.Nanosecond())
}

func (u *user) registeredAt() time.Time {
	return time.Unix(u.registeredSec, int64(u.registeredNsec)).UTC()
}

func (u *user) bought(at time.Time) {
	if u.purchases == nil {
		u.purchases = &[]time.Time{}
	}
	*u.purchases = append(*u.purchases, at)
}

// Pages of users are allocated whole, so growing never copies every user.
const (
	pageBits = 12
	pageSize = 1 << pageBits
)

func NewUsers(rules domain.SegmentRules) *Users {
	return &Users{rules: rules, index: map[string]uint32{}, cells: map[s2.CellID][]uint32{}}
}

// Apply folds a user event in, as domain.User does.
func (m *Users) Apply(e domain.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e := e.(type) {
	case domain.UserRegistered:
		u := m.find(e.UserID)
		if u == nil {
			u = m.add(strings.Clone(e.UserID))
		}
		u.register(e.RegisteredAt)
	case domain.UserLocationUpdated:
		if i, ok := m.index[e.UserID]; ok {
			m.move(i, e.Location)
		}
	case domain.UserPurchaseRecorded:
		if u := m.find(e.UserID); u != nil {
			u.bought(e.PurchasedAt)
		}
	}
}

func (m *Users) at(i uint32) *user { return &m.pages[i>>pageBits][i&(pageSize-1)] }

func (m *Users) find(id string) *user {
	if i, ok := m.index[id]; ok {
		return m.at(i)
	}
	return nil
}

func (m *Users) add(id string) *user {
	n := len(m.index)
	if n>>pageBits == len(m.pages) {
		m.pages = append(m.pages, make([]user, 0, pageSize))
	}
	p := &m.pages[n>>pageBits]
	*p = append(*p, user{id: id})
	m.index[id] = uint32(n)
	return &(*p)[len(*p)-1]
}

// move puts user i at loc, and in the cell of loc.
func (m *Users) move(i uint32, loc domain.Location) {
	u := m.at(i)
	u.loc = loc
	c := cellAt(loc, userLevel)
	if c == u.cell {
		return
	}
	if u.cell != 0 { // out of the old cell: the last user there takes the slot
		in := m.cells[u.cell]
		last := in[len(in)-1]
		in[u.slot] = last
		m.at(last).slot = u.slot
		if in = in[:len(in)-1]; len(in) == 0 {
			delete(m.cells, u.cell)
		} else {
			m.cells[u.cell] = in
		}
	}
	u.cell, u.slot = c, uint32(len(m.cells[c]))
	m.cells[c] = append(m.cells[c], i)
}

func (m *Users) profile(u *user) domain.Profile {
	p := domain.Profile{RegisteredAt: u.registeredAt()}
	if u.purchases != nil {
		p.Purchases = *u.purchases
	}
	return p
}

// view is app.NewUserView of the user: the same fields, by the same rules.
func (m *Users) view(u *user, now time.Time) app.UserView {
	p := m.profile(u)
	v := app.UserView{
		ID:              u.id,
		RegisteredAt:    p.RegisteredAt,
		RecentPurchases: m.rules.RecentPurchases(p, now),
		Segments:        m.rules.Segments(p, now),
	}
	if u.cell != 0 {
		loc := u.loc
		v.Location = &loc
	}
	return v
}

func (m *Users) user(id string, now time.Time) (app.UserView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u := m.find(id)
	if u == nil {
		return app.UserView{}, false
	}
	return m.view(u, now), true
}

func (m *Users) has(id string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.index[id]
	return ok
}

// eligible lists, in order of registration, the users who may see the
// promo at now from their last known location. It visits only the users
// filed under cells its circle touches, and decides for each by
// domain.Reaches, with the segments evaluated at now.
//
// It reads the users a page at a time under the read lock, so that the
// projector, and the readers queued behind it, never wait for the whole
// search. Each user is decided once, where they are when read; users who
// register meanwhile are not in the list.
func (m *Users) eligible(spec domain.PromoSpec, now time.Time) []string {
	m.mu.RLock()
	total := len(m.index)
	var near []uint32 // nil for every user, in order
	if cells, n := m.near(circle(spec.Store.Location, spec.RadiusM)); n < total/2 {
		near = make([]uint32, 0, n)
		for _, in := range cells {
			near = append(near, in...)
		}
	} // else most users: reading them all in order beats jumping between them
	m.mu.RUnlock()

	found := make([]uint64, (total+63)/64) // a bit for each user
	n := 0
	wanted := domain.SetOf(spec.Segments)
	check := func(i uint32) {
		u := m.at(i)
		if u.cell == 0 {
			return
		}
		if _, ok := domain.Reaches(wanted, spec.Store.Location, spec.RadiusM, m.rules.Set(m.profile(u), now), u.loc); ok {
			found[i/64] |= 1 << (i % 64)
			n++
		}
	}
	if near != nil {
		for from := 0; from < len(near); from += pageSize {
			m.mu.RLock()
			for _, i := range near[from:min(from+pageSize, len(near))] {
				check(i)
			}
			m.mu.RUnlock()
		}
	} else {
		for from := 0; from < total; from += pageSize {
			m.mu.RLock()
			for i := from; i < min(from+pageSize, total); i++ {
				check(uint32(i))
			}
			m.mu.RUnlock()
		}
	}

	ids := make([]string, 0, n)
	for from := 0; from < len(found); from += pageSize / 64 {
		m.mu.RLock()
		for w := from; w < min(from+pageSize/64, len(found)); w++ {
			for word := found[w]; word != 0; word &= word - 1 {
				ids = append(ids, m.at(uint32(w*64+bits.TrailingZeros64(word))).id)
			}
		}
		m.mu.RUnlock()
	}
	return ids
}

// near gathers the users of every userLevel cell the circle touches, each
// cell once, and counts them. The caller holds the lock.
func (m *Users) near(circle s2.Cap) (cells [][]uint32, n int) {
	keep := func(in []uint32) {
		cells = append(cells, in)
		n += len(in)
	}
	cover := userCover(circle)
	leaves := 0
	for _, c := range cover {
		leaves += descendants(c)
	}
	if leaves > len(m.cells) { // fewer cells hold users than the cover has
		for c, in := range m.cells {
			if cover.ContainsCellID(c) && circle.IntersectsCell(s2.CellFromCellID(c)) {
				keep(in)
			}
		}
		return cells, n
	}
	for _, parent := range cover {
		inside := circle.ContainsCell(s2.CellFromCellID(parent))
		end := parent.ChildEndAtLevel(userLevel)
		for c := parent.ChildBeginAtLevel(userLevel); c != end; c = c.Next() {
			// The cover is coarse: a cell of it on the edge of the circle
			// has descendants out of it.
			if in, ok := m.cells[c]; ok && (inside || circle.IntersectsCell(s2.CellFromCellID(c))) {
				keep(in)
			}
		}
	}
	return cells, n
}
