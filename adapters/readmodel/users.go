package readmodel

import (
	"math/bits"
	"slices"
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
//
// A user is a record of numbers the garbage collector need not scan: the id
// is a number of the idTable the model shares with the notifications, and
// the purchases of those who bought are kept aside.
type Users struct {
	rules domain.SegmentRules
	ids   *idTable
	mu    sync.RWMutex
	of    []int32  // by id number: the user's position in pages, or -1
	pages [][]user // every user, in order of registration
	n     int      // users in pages
	// bought holds the purchase times, in recorded order, of each user
	// who bought: user.bought-1 is their place. Each purchase is in the
	// log once (the aggregate refuses a repeated purchase id), so their
	// ids are not kept.
	bought [][]time.Time
	cells  map[s2.CellID][]uint32
}

// user is one user in 40 bytes, a fraction of a *domain.User with its maps
// and bookkeeping (BENCHMARKS.md, section 6). Its cell is not kept: it is
// cellAt(loc, userLevel), computed again when the user moves.
type user struct {
	loc domain.Location // where the user was last, if placed
	// registered is when the user registered, in Unix seconds and
	// nanoseconds (times in events are UTC).
	registeredSec  int64
	registeredNsec int32
	slot           uint32 // position in the list of the user's cell, or unplaced
	id             int32  // number in the idTable
	bought         int32  // place in Users.bought + 1; 0: bought nothing
}

// unplaced is the slot of a user whose location is unknown.
const unplaced = ^uint32(0)

func (u *user) placed() bool { return u.slot != unplaced }

func (u *user) register(at time.Time) {
	u.registeredSec, u.registeredNsec = at.Unix(), int32(at.Nanosecond())
}

func (u *user) registeredAt() time.Time {
	return time.Unix(u.registeredSec, int64(u.registeredNsec)).UTC()
}

// Pages of users are allocated whole, so growing never copies every user.
const (
	pageBits = 12
	pageSize = 1 << pageBits
)

// NewUsers makes an empty model with an idTable of its own.
func NewUsers(rules domain.SegmentRules) *Users { return newUsers(rules, newIDTable()) }

// newUsers makes an empty model whose ids are numbered in ids.
func newUsers(rules domain.SegmentRules, ids *idTable) *Users {
	return &Users{rules: rules, ids: ids, cells: map[s2.CellID][]uint32{}}
}

// Apply folds a user event in, as domain.User does.
func (m *Users) Apply(e domain.Event) {
	switch e := e.(type) {
	case domain.UserRegistered:
		id := m.ids.intern(e.UserID)
		m.mu.Lock()
		defer m.mu.Unlock()
		u := m.find(id)
		if u == nil {
			u = m.add(id)
		}
		u.register(e.RegisteredAt)
	case domain.UserLocationUpdated:
		id, ok := m.ids.number(e.UserID)
		m.mu.Lock()
		defer m.mu.Unlock()
		if i, known := m.position(id); ok && known {
			m.move(i, e.Location)
		}
	case domain.UserPurchaseRecorded:
		id, ok := m.ids.number(e.UserID)
		m.mu.Lock()
		defer m.mu.Unlock()
		if u := m.find(id); ok && u != nil {
			m.buy(u, e.PurchasedAt)
		}
	}
}

func (m *Users) at(i uint32) *user { return &m.pages[i>>pageBits][i&(pageSize-1)] }

// position is the place of the user whose id is numbered id; the caller
// holds the lock.
func (m *Users) position(id int32) (uint32, bool) {
	if id < 0 || int(id) >= len(m.of) || m.of[id] < 0 {
		return 0, false
	}
	return uint32(m.of[id]), true
}

func (m *Users) find(id int32) *user {
	if i, ok := m.position(id); ok {
		return m.at(i)
	}
	return nil
}

func (m *Users) add(id int32) *user {
	n := m.n
	if n>>pageBits == len(m.pages) {
		m.pages = append(m.pages, make([]user, 0, pageSize))
	}
	p := &m.pages[n>>pageBits]
	*p = append(*p, user{id: id, slot: unplaced})
	m.of = grown(m.of, int(id)+1)
	m.of[id] = int32(n)
	m.n++
	return &(*p)[len(*p)-1]
}

// grown is s with at least n elements, the new ones -1.
func grown(s []int32, n int) []int32 {
	if n <= len(s) {
		return s
	}
	old := len(s)
	s = slices.Grow(s, n-old)[:n]
	for i := old; i < n; i++ {
		s[i] = -1
	}
	return s
}

func (m *Users) buy(u *user, at time.Time) {
	if u.bought == 0 {
		m.bought = append(m.bought, nil)
		u.bought = int32(len(m.bought))
	}
	m.bought[u.bought-1] = append(m.bought[u.bought-1], at)
}

// move puts user i at loc, and in the cell of loc.
func (m *Users) move(i uint32, loc domain.Location) {
	u := m.at(i)
	c := cellAt(loc, userLevel)
	if u.placed() {
		old := cellAt(u.loc, userLevel)
		if old == c {
			u.loc = loc
			return
		}
		// out of the old cell: the last user there takes the slot
		in := m.cells[old]
		last := in[len(in)-1]
		in[u.slot] = last
		m.at(last).slot = u.slot
		if in = in[:len(in)-1]; len(in) == 0 {
			delete(m.cells, old)
		} else {
			m.cells[old] = in
		}
	}
	u.loc = loc
	u.slot = uint32(len(m.cells[c]))
	m.cells[c] = append(m.cells[c], i)
}

func (m *Users) profile(u *user) domain.Profile {
	p := domain.Profile{RegisteredAt: u.registeredAt()}
	if u.bought > 0 {
		p.Purchases = m.bought[u.bought-1]
	}
	return p
}

// view is app.NewUserView of the user: the same fields, by the same rules.
func (m *Users) view(u *user, id string, now time.Time) app.UserView {
	p := m.profile(u)
	v := app.UserView{
		ID:              id,
		RegisteredAt:    p.RegisteredAt,
		RecentPurchases: m.rules.RecentPurchases(p, now),
		Segments:        m.rules.Segments(p, now),
	}
	if u.placed() {
		loc := u.loc
		v.Location = &loc
	}
	return v
}

func (m *Users) user(id string, now time.Time) (app.UserView, bool) {
	n, ok := m.ids.number(id)
	m.mu.RLock()
	defer m.mu.RUnlock()
	u := m.find(n)
	if !ok || u == nil {
		return app.UserView{}, false
	}
	return m.view(u, m.ids.name(n), now), true
}

func (m *Users) has(id string) bool {
	n, ok := m.ids.number(id)
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, known := m.position(n)
	return ok && known
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
	total := m.n
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
		if !u.placed() {
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

	ids := make([]int32, 0, n)
	for from := 0; from < len(found); from += pageSize / 64 {
		m.mu.RLock()
		for w := from; w < min(from+pageSize/64, len(found)); w++ {
			for word := found[w]; word != 0; word &= word - 1 {
				ids = append(ids, m.at(uint32(w*64+bits.TrailingZeros64(word))).id)
			}
		}
		m.mu.RUnlock()
	}
	return m.ids.names(ids)
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
