package readmodel

import (
	"runtime/debug"
	"strings"
	"time"
)

// Retention keeps the models' size flat in steady state: old notifications
// and long-ended promos leave memory (the log keeps them).
type Retention struct {
	// Notifications older than this leave the notifications model; 0 keeps
	// them all. Never less than MinNotificationsRetention: the fan-out asks
	// the model who had a notification today.
	Notifications time.Duration
	// EndedPromos: an ended or cancelled promo leaves the promos model this
	// long after its ends_at; 0 keeps them all.
	EndedPromos time.Duration
	Now         func() time.Time
}

// MinNotificationsRetention keeps at least the notifications of today and
// yesterday, whatever the zone: the once-a-day rule is the store's, but the
// fan-out spares the store the users the model knows were notified today.
const MinNotificationsRetention = 48 * time.Hour

// UseRetention makes the models drop what the retention says, as they fold
// the log (a start replays only what it keeps) and on each Prune. Call it
// before Run.
func (rm *ReadModel) UseRetention(r Retention) {
	if r.Notifications > 0 {
		r.Notifications = max(r.Notifications, MinNotificationsRetention)
	}
	rm.retention = r
	fresh := func() *Notifications {
		n := newNotifications(rm.ids)
		n.keepFrom = rm.notificationsFrom()
		return n
	}
	rm.notifications.fresh = fresh
	rm.notifications.model.Store(fresh())
	rm.promos.model.Store(rm.promos.fresh())
	rules := rm.users.current().rules
	users := func() *Users {
		u := newUsers(rules, rm.ids)
		// The clock's time from the start: a replay (a start without
		// snapshots, a rebuild) searches no set for the promos that
		// started before now, however far ahead the log created them.
		u.cand.now = r.Now()
		return u
	}
	rm.users.fresh = users
	rm.users.model.Store(users())
}

// notificationsFrom is the time before which notifications are dropped, in
// Unix nanoseconds (0: none are).
func (rm *ReadModel) notificationsFrom() int64 {
	if rm.retention.Notifications <= 0 {
		return 0
	}
	return rm.retention.Now().Add(-rm.retention.Notifications).UnixNano()
}

// retired tells whether a promo that ended at endsAt has been over long
// enough to leave memory.
func (rm *ReadModel) retired(endsAt time.Time) bool {
	return rm.retention.EndedPromos > 0 && rm.retention.Now().Sub(endsAt) > rm.retention.EndedPromos
}

// Prune drops what the retention no longer keeps and says how many
// notifications and promos left; the promos that started a minute ago
// leave their eligible-user sets too, however quiet the log.
func (rm *ReadModel) Prune() (notifications, promos int) {
	if rm.retention.Now == nil {
		return 0, 0
	}
	notifications, promos = rm.notifications.current().prune(rm.notificationsFrom()), rm.promos.current().evict()
	rm.users.current().logTime(rm.retention.Now()) // on a quiet log, the promos that started leave their sets
	if notifications > 0 {
		// The prune copied every notice it keeps, so for a moment the heap
		// held both, and the collector's goal follows twice that. Collect
		// and give the old pages back now rather than over minutes: resident
		// memory then stays flat from day to day (BENCHMARKS.md §5).
		debug.FreeOSMemory()
	}
	return notifications, promos
}

// pruneSlack is how far past the retention the oldest notice may be before
// a prune copies the rest: the service prunes every minute, and a steady
// trickle of notifications would otherwise have it copy them all, and
// collect, every minute instead of about once an hour.
const pruneSlack = time.Hour

// prune drops the notices sent before from (Unix nanoseconds). It copies
// the notices it keeps into new pages: those it finds are copied without
// the lock (a notice, once written, never changes), then those that came
// meanwhile under it, and the copy takes the place of the model.
func (m *Notifications) prune(from int64) int {
	if from <= 0 {
		return 0
	}
	m.pruning.Lock()
	defer m.pruning.Unlock()
	m.mu.Lock()
	m.keepFrom = max(m.keepFrom, from)
	found := m.len()
	if found == 0 || m.sentAtOf(m.at(0)) >= from-int64(pruneSlack) { // the oldest is kept: so are the rest, near enough
		m.mu.Unlock()
		return 0
	}
	old := m.frozen()
	m.mu.Unlock()

	kept := newNotifications(m.ids)
	kept.keepFrom = from
	kept.copyKept(old, 0, found, from)
	m.mu.Lock()
	defer m.mu.Unlock()
	kept.copyKept(m.frozen(), found, m.len(), from)
	dropped := m.len() - kept.len()
	m.last, m.words, m.msgs, m.sends, m.sendIndex, m.lastSend = kept.last, kept.words, kept.msgs, kept.sends, kept.sendIndex, kept.lastSend
	m.pages, m.odd = kept.pages, kept.odd
	return dropped // the promos' tallies stay: a promo's count is of every notification
}

// frozenNotices is a copy of a model's slice headers: what they hold up to
// their length never changes.
type frozenNotices struct {
	msgs  []message
	sends []send
	odd   []oddNotice
	pages [][]notice
}

func (m *Notifications) frozen() frozenNotices {
	return frozenNotices{m.msgs, m.sends, m.odd, append([][]notice(nil), m.pages...)}
}

// copyKept copies the notices lo to hi of old sent at from or after. Users
// keep their numbers: the idTable is shared.
func (m *Notifications) copyKept(old frozenNotices, lo, hi int, from int64) {
	for i := lo; i < hi; i++ {
		nt := old.pages[i>>noticePageBits][i&(noticePageSize-1)]
		if nt.isOdd() {
			o := old.odd[^nt.send]
			if o.sentAt.UnixNano() < from {
				continue
			}
			o.msg = m.intern(old.msgs[o.msg])
			nt.send = ^int32(len(m.odd))
			m.odd = append(m.odd, o)
		} else {
			s := old.sends[nt.send]
			if s.sentAt < from {
				continue
			}
			s.msg = m.intern(old.msgs[s.msg])
			nt.send = m.internSend(s)
		}
		m.put(nt)
	}
}

// countOld counts a notification the model does not keep; the caller
// holds the lock.
func (m *Notifications) countOld(promoID string, sentAt int64) {
	if _, ok := m.sent[promoID]; !ok {
		promoID = strings.Clone(promoID) // not the decoder's buffer
	}
	m.countSent(promoID, sentAt)
}

// evict drops the promos whose retirement has come, with their
// reservations.
func (m *Promos) evict() int {
	if m.retired == nil {
		return 0
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, p := range m.promos {
		if m.retires(p) {
			m.drop(p)
			n++
		}
	}
	return n
}

// retires tells whether a promo is over and has been long enough.
func (m *Promos) retires(p *promo) bool {
	return m.retired != nil && (p.life.Ended || p.life.Cancelled) && m.retired(p.spec.EndsAt)
}

// drop removes a promo; the caller holds the lock.
func (m *Promos) drop(p *promo) {
	for _, h := range p.holds {
		delete(m.reservations, h.id)
		delete(m.open, h.id)
	}
	m.unplace(p.id)
	delete(m.promos, p.id)
}
