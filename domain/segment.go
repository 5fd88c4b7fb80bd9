package domain

import "time"

// Segment is a behaviour group a promo targets.
type Segment string

const (
	SegmentNewUsers       Segment = "new_users"
	SegmentFrequentBuyers Segment = "frequent_buyers"
)

// Known reports whether s is a segment the service can evaluate.
func (s Segment) Known() bool {
	return s == SegmentNewUsers || s == SegmentFrequentBuyers
}

// SegmentSet holds known segments as bits, so that a hot loop can test a
// user against many promos without comparing strings.
type SegmentSet uint8

const (
	setNewUsers SegmentSet = 1 << iota
	setFrequentBuyers
)

// SetOf is the set of the known segments of ss.
func SetOf(ss []Segment) SegmentSet {
	var set SegmentSet
	for _, s := range ss {
		switch s {
		case SegmentNewUsers:
			set |= setNewUsers
		case SegmentFrequentBuyers:
			set |= setFrequentBuyers
		}
	}
	return set
}

// Meets tells whether the sets share a segment.
func (s SegmentSet) Meets(o SegmentSet) bool { return s&o != 0 }

// SegmentRules are the thresholds of the segments (configurable, see API.md).
type SegmentRules struct {
	NewUserDays          int
	FrequentMinPurchases int
	FrequentWindowDays   int
}

// DefaultSegmentRules are the contract's defaults: 30 days, 3 purchases in 30 days.
func DefaultSegmentRules() SegmentRules {
	return SegmentRules{NewUserDays: 30, FrequentMinPurchases: 3, FrequentWindowDays: 30}
}

// Profile is what segments are computed from, compact enough to keep for
// every user in a read model.
type Profile struct {
	RegisteredAt time.Time
	Purchases    []time.Time
}

// Segments evaluates a profile at now. Segments are never stored: they move
// with time, so they are computed when needed. The result is sorted,
// new_users first, and never nil (it renders as [] in JSON).
func (r SegmentRules) Segments(p Profile, now time.Time) []Segment {
	set := r.Set(p, now)
	out := []Segment{}
	if set.Meets(setNewUsers) {
		out = append(out, SegmentNewUsers)
	}
	if set.Meets(setFrequentBuyers) {
		out = append(out, SegmentFrequentBuyers)
	}
	return out
}

// Set evaluates a profile at now as Segments does, into a set: no
// allocation, for the fan-out's search over every user.
func (r SegmentRules) Set(p Profile, now time.Time) SegmentSet {
	var set SegmentSet
	if r.isNew(p, now) {
		set |= setNewUsers
	}
	if r.RecentPurchases(p, now) >= r.FrequentMinPurchases {
		set |= setFrequentBuyers
	}
	return set
}

// SetFrom is a superset of the segments p is in at any moment from from on,
// for deciding ahead who a promo starting then may reach: new_users only
// ends with time, so it is taken at from; frequent_buyers counts every
// purchase after from's window began, as many as any later moment counts
// or more. It shrinks as from moves on, and grows only with events.
func (r SegmentRules) SetFrom(p Profile, from time.Time) SegmentSet {
	var set SegmentSet
	if r.isNew(p, from) {
		set |= setNewUsers
	}
	if countAfter(p.Purchases, from.Add(-days(r.FrequentWindowDays))) >= r.FrequentMinPurchases {
		set |= setFrequentBuyers
	}
	return set
}

// isNew: registered less than NewUserDays ago and never bought anything.
func (r SegmentRules) isNew(p Profile, now time.Time) bool {
	if p.RegisteredAt.IsZero() || len(p.Purchases) > 0 {
		return false
	}
	return now.Sub(p.RegisteredAt) < days(r.NewUserDays)
}

// RecentPurchases counts purchases in (now - FrequentWindowDays, now].
func (r SegmentRules) RecentPurchases(p Profile, now time.Time) int {
	return countIn(p.Purchases, now.Add(-days(r.FrequentWindowDays)), now)
}

// countAfter counts the times after from.
func countAfter(times []time.Time, from time.Time) int {
	n := 0
	for _, t := range times {
		if t.After(from) {
			n++
		}
	}
	return n
}

// countIn counts the times of (from, to].
func countIn(times []time.Time, from, to time.Time) int {
	n := 0
	for _, t := range times {
		if t.After(from) && !t.After(to) {
			n++
		}
	}
	return n
}

// days are 24-hour periods, not calendar days: "registered less than 30 days
// ago" then means the same at any hour and in any zone.
func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }
