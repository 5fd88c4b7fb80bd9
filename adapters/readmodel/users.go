package readmodel

import (
	"math/bits"
	"slices"
	"sync"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
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
	cand   candidates // the eligible-user set of each promo yet to start or just started
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
	return &Users{rules: rules, ids: ids, cells: map[s2.CellID][]uint32{}, cand: newCandidates()}
}

// Apply folds a user event in, as domain.User does, and a promo's creation,
// start and end into the eligible-user sets.
func (m *Users) Apply(e domain.Event) {
	switch e := e.(type) {
	case domain.UserRegistered:
		id := m.ids.intern(e.UserID)
		m.mu.Lock()
		defer m.mu.Unlock()
		i, ok := m.position(id)
		if !ok {
			m.add(id).register(e.RegisteredAt)
			return // not placed yet: in no set
		}
		m.at(i).register(e.RegisteredAt)
		m.redecide(i, nil)
	case domain.UserLocationUpdated:
		id, ok := m.ids.number(e.UserID)
		m.mu.Lock()
		defer m.mu.Unlock()
		if i, known := m.position(id); ok && known {
			was, placed := m.at(i).loc, m.at(i).placed()
			m.move(i, e.Location)
			if placed {
				m.redecide(i, &was)
			} else {
				m.redecide(i, nil)
			}
		}
	case domain.UserPurchaseRecorded:
		id, ok := m.ids.number(e.UserID)
		m.mu.Lock()
		defer m.mu.Unlock()
		if i, known := m.position(id); ok && known {
			m.buy(m.at(i), e.PurchasedAt)
			m.redecide(i, nil)
		}
	case domain.PromoCreated:
		if m.ahead(e.StartsAt) {
			m.schedule(e.PromoID, audienceKey{e.Store.Location, e.RadiusM, domain.SetOf(e.Segments)}, e.StartsAt)
		}
	case domain.PromoActivated:
		m.mu.Lock()
		defer m.mu.Unlock()
		m.cand.start(e.PromoID)
	case domain.PromoEnded:
		m.unschedule(e.PromoID)
	case domain.PromoCancelled:
		m.unschedule(e.PromoID)
	}
}

// logTime tells the model the time: when the last event it folded happened,
// or the clock's on a quiet log. The promos activated a while before leave
// their sets.
func (m *Users) logTime(t time.Time) {
	m.mu.Lock()
	done := m.cand.passed(t)
	m.mu.Unlock()
	for _, promo := range done {
		m.unschedule(promo)
	}
}

// redecide puts user i in or out of the sets of the promos near where they
// are, and near where they were, if they moved. The caller holds the lock.
func (m *Users) redecide(i uint32, was *domain.Location) {
	u := m.at(i)
	p := m.profile(u)
	decide := func(a *audience) { a.decide(m.rules, i, u, p) }
	if was != nil {
		m.cand.near(*was, decide)
	}
	if u.placed() {
		m.cand.near(u.loc, decide)
	}
}

// schedule gives the promo its audience's set, searching the geo index when
// the audience is new or starts earlier than before. The search reads the
// users a page at a time, as eligible does; the set is put in place whole,
// so a fan-out never lists a set half made. Only Apply changes the users,
// so none change meanwhile; but a promo may leave its audience meanwhile
// (logTime, from the prune), so the need is checked again under the lock.
func (m *Users) schedule(promo string, k audienceKey, start time.Time) {
	for {
		m.mu.RLock()
		search := m.needsSearch(promo, k, start)
		total := m.n
		m.mu.RUnlock()
		var members *roaring.Bitmap
		if search {
			near := m.nearCircle(k.center, k.radiusM)
			found, _ := m.scan(total, near, func(u *user) bool {
				_, ok := domain.Reaches(k.wanted, k.center, k.radiusM, m.rules.SetFrom(m.profile(u), start), u.loc)
				return ok
			})
			members = roaring.FromDense(found, false)
		}
		m.mu.Lock()
		if m.needsSearch(promo, k, start) && members == nil {
			m.mu.Unlock()
			continue // its audience went meanwhile: search
		}
		if a := m.cand.join(promo, k, start); a != nil {
			a.members = members
		}
		m.mu.Unlock()
		return
	}
}

// ahead tells whether a promo starting at start is created far enough ahead
// for a set to pay: one that starts within a minute of the log's time is
// listed by its fan-out at once, and searching now or then costs the same.
func (m *Users) ahead(start time.Time) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return start.Sub(m.cand.now) > listedFor
}

// needsSearch tells whether the promo's joining its audience needs a
// search: a new audience, or one the promo starts earlier than. The caller
// holds a lock.
func (m *Users) needsSearch(promo string, k audienceKey, start time.Time) bool {
	a, shared := m.cand.audiences[k]
	return !m.cand.has(promo) && (!shared || start.Before(a.from))
}

// unschedule takes a promo out of its audience; when the audience's
// earliest start moves on, its members are decided again from the new one.
func (m *Users) unschedule(promo string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.cand.leave(promo)
	if a == nil {
		return
	}
	for _, i := range a.members.ToArray() {
		u := m.at(i)
		a.decide(m.rules, i, u, m.profile(u))
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
// promo at now from their last known location: the members of the promo's
// eligible-user set still in its segments at now, or, for a promo without
// one (not yet folded here), the users filed under the cells its circle
// touches that domain.Reaches keeps, with the segments evaluated at now.
//
// It reads the users a page at a time under the read lock, so that the
// projector, and the readers queued behind it, never wait for the whole
// search. Each user is decided once, where they are when read; users who
// register meanwhile are not in the list.
func (m *Users) eligible(promo string, spec domain.PromoSpec, now time.Time) []string {
	m.mu.RLock()
	total := m.n
	near, fromSet := m.cand.members(promo, now)
	m.mu.RUnlock()
	wanted := domain.SetOf(spec.Segments)
	keep := func(u *user) bool {
		_, ok := domain.Reaches(wanted, spec.Store.Location, spec.RadiusM, m.rules.Set(m.profile(u), now), u.loc)
		return ok
	}
	if fromSet {
		// A member is less than the radius away: the set is decided again
		// on every move, under the lock this reads it with. Its segments
		// may have ended since; that, and only that, is decided again.
		keep = func(u *user) bool { return m.rules.Set(m.profile(u), now).Meets(wanted) }
	} else {
		near = m.nearCircle(spec.Store.Location, spec.RadiusM)
	}
	found, n := m.scan(total, near, keep)
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

// nearCircle lists the users filed under the cells the circle touches; nil
// when they are most users: reading them all in order beats jumping
// between them.
func (m *Users) nearCircle(center domain.Location, radiusM float64) []uint32 {
	m.mu.RLock()
	defer m.mu.RUnlock()
	cells, n := m.near(circle(center, radiusM))
	if n >= m.n/2 {
		return nil
	}
	near := make([]uint32, 0, n)
	for _, in := range cells {
		near = append(near, in...)
	}
	return near
}

// scan keeps the placed users of positions (of the first total users when
// nil) that keep says to, a page at a time under the read lock, and returns
// them as a bit for each position, and how many.
func (m *Users) scan(total int, positions []uint32, keep func(*user) bool) (found []uint64, n int) {
	found = make([]uint64, (total+63)/64)
	check := func(i uint32) {
		if u := m.at(i); int(i) < total && u.placed() && keep(u) {
			found[i/64] |= 1 << (i % 64)
			n++
		}
	}
	if positions != nil {
		for from := 0; from < len(positions); from += pageSize {
			m.mu.RLock()
			for _, i := range positions[from:min(from+pageSize, len(positions))] {
				check(i)
			}
			m.mu.RUnlock()
		}
		return found, n
	}
	for from := 0; from < total; from += pageSize {
		m.mu.RLock()
		for i := from; i < min(from+pageSize, total); i++ {
			check(uint32(i))
		}
		m.mu.RUnlock()
	}
	return found, n
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
