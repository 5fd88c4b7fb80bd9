package readmodel

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/domain"
)

// candidates are the eligible-user sets (ADR 0028): for every promo created
// more than a minute before its start, until a minute after it, the users
// it may reach, kept as users move and buy, so that an activation lists
// them at once instead of searching the geo index.
//
// A set is a superset: a user is in it when placed less than the radius
// from the store and in a wanted segment at some moment from the promo's
// start on (domain.SegmentRules.SetFrom), since time only takes users out of
// a segment. The fan-out still decides each member at send time.
//
// Promos of one audience (store, radius and segments: the occurrences of a
// series, a store's daily promo) share one set, decided from the earliest
// start among them, so a year of daily occurrences is one search, not 366.
//
// A promo stays in its audience until a minute after its activation, while
// its fan-out's shards list it: a set is kept up to date only while its
// promo waits to start and just after. The minute is counted by the log's
// time (the last event folded) and, on a quiet log, by the clock's, which
// the service's prune brings every minute.
type candidates struct {
	audiences map[audienceKey]*audience
	of        map[string]*audience // by promo id
	cells     map[s2.CellID][]*audience
	levels    uint32               // the levels of the cells in cells, a bit each
	started   map[string]time.Time // promos activated, and when by the log (zero: not stamped yet)
	now       time.Time            // the latest of the log's time and the clock's
}

// listedFor is how long, by the log's time, a promo keeps its set after
// its activation.
const listedFor = time.Minute

// audienceKey is what decides who a promo may reach, its window aside.
type audienceKey struct {
	center  domain.Location
	radiusM float64
	wanted  domain.SegmentSet
}

type audience struct {
	audienceKey
	promos  map[string]time.Time // the promos that share it, and their starts
	from    time.Time            // the earliest of those starts
	cover   s2.CellUnion         // coarse: a few dozen cells of any level
	members *roaring.Bitmap      // positions in Users.pages
}

func newCandidates() candidates {
	return candidates{audiences: map[audienceKey]*audience{}, of: map[string]*audience{},
		cells: map[s2.CellID][]*audience{}, started: map[string]time.Time{}}
}

// has tells whether the promo has a set.
func (c *candidates) has(promo string) bool { _, ok := c.of[promo]; return ok }

// members are the positions of the promo's set, in order; false if it has
// none that holds every user it may reach at now (a set is decided from
// its promos' earliest start on). The caller holds a lock of the users.
func (c *candidates) members(promo string, now time.Time) ([]uint32, bool) {
	a, ok := c.of[promo]
	if !ok || now.Before(a.from) {
		return nil, false
	}
	return a.members.ToArray(), true
}

// start notes the promo's activation. Its time is the log's once the page
// that holds it is folded (passed), not the last page's.
func (c *candidates) start(promo string) {
	if _, ok := c.of[promo]; ok {
		if _, again := c.started[promo]; !again {
			c.started[promo] = time.Time{}
		}
	}
}

// passed moves the time on (never back), and lists the promos activated
// more than listedFor ago, which leave their audiences.
func (c *candidates) passed(now time.Time) (done []string) {
	if now.After(c.now) {
		c.now = now
	}
	for promo, at := range c.started {
		switch {
		case at.IsZero():
			c.started[promo] = c.now
		case c.now.Sub(at) > listedFor:
			done = append(done, promo)
		}
	}
	return done
}

// join adds a promo to its audience's set. An audience new, or one the promo
// starts earlier than, must be (re)filled: fill is then the audience to fill.
func (c *candidates) join(promo string, k audienceKey, start time.Time) (fill *audience) {
	if _, ok := c.of[promo]; ok {
		return nil // a repeated event
	}
	a, ok := c.audiences[k]
	if !ok {
		a = &audience{audienceKey: k, promos: map[string]time.Time{}, from: start,
			cover: userCover(circle(k.center, k.radiusM)), members: roaring.New()}
		c.audiences[k] = a
		c.file(a)
		fill = a
	} else if start.Before(a.from) {
		a.from = start
		fill = a
	}
	a.promos[promo] = start
	c.of[promo] = a
	return fill
}

// leave takes an ended promo out of its audience; the last one out drops the
// set. narrow is the audience whose start moved on, whose members may be fewer.
func (c *candidates) leave(promo string) (narrow *audience) {
	delete(c.started, promo)
	a, ok := c.of[promo]
	if !ok {
		return nil
	}
	delete(c.of, promo)
	delete(a.promos, promo)
	if len(a.promos) == 0 {
		delete(c.audiences, a.audienceKey)
		c.unfile(a)
		return nil
	}
	from := a.from
	a.from = time.Time{}
	for _, s := range a.promos {
		if a.from.IsZero() || s.Before(a.from) {
			a.from = s
		}
	}
	if a.from.After(from) {
		return a
	}
	return nil
}

// scheduledPromo is a promo of a set, as a snapshot keeps it.
type scheduledPromo struct {
	promo   string
	key     audienceKey
	start   time.Time
	started time.Time // when activated, by the log; zero if not yet
}

// scheduled lists the promos of the sets by start, so that a load searches
// each audience once, from its earliest start.
func (c *candidates) scheduled() []scheduledPromo {
	out := make([]scheduledPromo, 0, len(c.of))
	for id, a := range c.of {
		started, ok := c.started[id]
		if ok && started.IsZero() {
			started = c.now
		}
		out = append(out, scheduledPromo{id, a.audienceKey, a.promos[id], started})
	}
	slices.SortFunc(out, func(a, b scheduledPromo) int {
		return cmp.Or(a.start.Compare(b.start), strings.Compare(a.promo, b.promo))
	})
	return out
}

func (c *candidates) file(a *audience) {
	for _, cell := range a.cover {
		c.cells[cell] = append(c.cells[cell], a)
		c.levels |= 1 << cell.Level()
	}
}

func (c *candidates) unfile(a *audience) {
	for _, cell := range a.cover {
		in := c.cells[cell]
		for i, o := range in {
			if o == a {
				in[i] = in[len(in)-1]
				in = in[:len(in)-1]
				break
			}
		}
		if len(in) == 0 {
			delete(c.cells, cell)
		} else {
			c.cells[cell] = in
		}
	}
}

// near calls f with each audience whose cover holds loc.
func (c *candidates) near(loc domain.Location, f func(*audience)) {
	if len(c.audiences) == 0 {
		return
	}
	leaf := cellAt(loc, userLevel)
	for level := 0; level <= userLevel; level++ {
		if c.levels&(1<<level) == 0 {
			continue
		}
		for _, a := range c.cells[leaf.Parent(level)] {
			f(a)
		}
	}
}

// decide puts user i in or out of the audience's set.
func (a *audience) decide(rules domain.SegmentRules, i uint32, u *user, p domain.Profile) {
	if !u.placed() {
		a.members.Remove(i)
		return
	}
	if _, ok := domain.Reaches(a.wanted, a.center, a.radiusM, rules.SetFrom(p, a.from), u.loc); ok {
		a.members.Add(i)
	} else {
		a.members.Remove(i)
	}
}
