package readmodel

import (
	"container/heap"
	"slices"
	"strings"
	"time"

	"github.com/flashpromo/flashpromo/app"
)

// dues are the open holds by expiry, a min-heap, so that the sweeper, every
// tick, visits the holds due rather than every open one (a crowd leaves
// hundreds of thousands open for their minute). A hold that closes keeps its
// entry until the entry comes to the top (closes and holds drop such
// entries from there): so the heap holds at most the open holds and those
// closed since the earliest open one was placed.
type dues []due

type due struct {
	at int64 // the hold's expiry, Unix nanoseconds
	id string
}

func (d dues) Len() int           { return len(d) }
func (d dues) Less(i, j int) bool { return d[i].at < d[j].at }
func (d dues) Swap(i, j int)      { d[i], d[j] = d[j], d[i] }
func (d *dues) Push(x any)        { *d = append(*d, x.(due)) }
func (d *dues) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// noteDue notes an open hold; the caller holds the lock.
func (m *Promos) noteDue(id string, at int64) {
	heap.Push(&m.dues, due{at, id})
	m.dropClosedDues()
}

// dropClosedDues pops the entries of closed holds off the top; the caller
// holds the lock.
func (m *Promos) dropClosedDues() {
	for len(m.dues) > 0 {
		if _, open := m.open[m.dues[0].id]; open {
			return
		}
		heap.Pop(&m.dues)
	}
}

// eachDue calls f with every open hold that expires at or before until, in
// no order, walking only the part of the heap at or before it; the caller
// holds the lock.
func (m *Promos) eachDue(until int64, f func(id string, at holdAt)) {
	var walk func(i int)
	walk = func(i int) {
		if i >= len(m.dues) || m.dues[i].at > until {
			return // nor any below it
		}
		if at, open := m.open[m.dues[i].id]; open {
			f(m.dues[i].id, at)
		}
		walk(2*i + 1)
		walk(2*i + 2)
	}
	walk(0)
}

func (m *Promos) expiredHolds(now time.Time) []app.Hold {
	m.mu.RLock()
	defer m.mu.RUnlock()
	var hs []app.Hold
	m.eachDue(now.UnixNano(), func(id string, at holdAt) {
		hs = append(hs, app.Hold{PromoID: at.p.id, ReservationID: id})
	})
	slices.SortFunc(hs, func(a, b app.Hold) int { return strings.Compare(a.ReservationID, b.ReservationID) })
	return hs
}

// expiring counts the open holds that run out after from and at or before to.
func (m *Promos) expiring(from, to time.Time) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	n, after := 0, from.UnixNano()
	m.eachDue(to.UnixNano(), func(_ string, at holdAt) {
		if at.p.holds[at.i].expiresAt > after {
			n++
		}
	})
	return n
}
