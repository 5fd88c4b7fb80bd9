package domain_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

func TestSegments(t *testing.T) {
	now := userNow
	day := 24 * time.Hour
	window := now.Add(-30 * day) // the start of the frequent window, excluded
	rules := domain.DefaultSegmentRules()
	tests := []struct {
		name      string
		reg       time.Time
		purchases []time.Time
		want      string
		recent    int
	}{
		{"registered today", now.Add(-time.Hour), nil, "[new_users]", 0},
		{"registered just under 30 days ago", now.Add(-30*day + time.Nanosecond), nil, "[new_users]", 0},
		{"registered exactly 30 days ago", now.Add(-30 * day), nil, "[]", 0},
		{"new but bought once", now.Add(-time.Hour), []time.Time{now.Add(-time.Minute)}, "[]", 1},
		{"an old purchase also ends new_users", now.Add(-time.Hour), []time.Time{now.Add(-400 * day)}, "[]", 0},
		{"registered in the future (clock skew)", now.Add(time.Minute), nil, "[new_users]", 0},
		{"never registered", time.Time{}, nil, "[]", 0},
		{"three in the window", now.Add(-400 * day), []time.Time{now, now.Add(-day), window.Add(time.Nanosecond)}, "[frequent_buyers]", 3},
		{"one at the window's start does not count", now.Add(-400 * day), []time.Time{now, now.Add(-day), window}, "[]", 2},
		{"a purchase after now does not count", now.Add(-400 * day), []time.Time{now, now.Add(-day), now.Add(time.Nanosecond)}, "[]", 2},
		{"many, old and new", now.Add(-400 * day), []time.Time{now.Add(-99 * day), now, now, now.Add(-29 * day)}, "[frequent_buyers]", 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.Profile{RegisteredAt: tt.reg, Purchases: tt.purchases}
			got := rules.Segments(p, now)
			if got == nil || fmt.Sprint(got) != tt.want {
				t.Fatalf("Segments = %#v, want %s", got, tt.want)
			}
			if n := rules.RecentPurchases(p, now); n != tt.recent {
				t.Fatalf("RecentPurchases = %d, want %d", n, tt.recent)
			}
		})
	}
}

func TestSegmentsSortedNewUsersFirst(t *testing.T) {
	rules := domain.SegmentRules{NewUserDays: 30, FrequentMinPurchases: 0, FrequentWindowDays: 30}
	got := rules.Segments(domain.Profile{RegisteredAt: userNow}, userNow)
	if fmt.Sprint(got) != "[new_users frequent_buyers]" {
		t.Fatalf("Segments = %v", got)
	}
}

func TestSegmentRulesAreConfigurable(t *testing.T) {
	rules := domain.SegmentRules{NewUserDays: 7, FrequentMinPurchases: 1, FrequentWindowDays: 1}
	p := domain.Profile{RegisteredAt: userNow.Add(-8 * 24 * time.Hour), Purchases: []time.Time{userNow.Add(-time.Hour)}}
	if got := fmt.Sprint(rules.Segments(p, userNow)); got != "[frequent_buyers]" {
		t.Fatalf("Segments = %s", got)
	}
	if d := domain.DefaultSegmentRules(); d != (domain.SegmentRules{NewUserDays: 30, FrequentMinPurchases: 3, FrequentWindowDays: 30}) {
		t.Fatalf("defaults %+v", d)
	}
}

func TestSegmentKnown(t *testing.T) {
	if !domain.SegmentNewUsers.Known() || !domain.SegmentFrequentBuyers.Known() || domain.Segment("vip").Known() {
		t.Fatal("Known is wrong")
	}
}

// SetFrom holds every segment Set gives at any moment from then on: a
// promo's users decided ahead are never fewer than those it may reach.
func TestSetFromHoldsEveryLaterMoment(t *testing.T) {
	rules := domain.DefaultSegmentRules()
	day := 24 * time.Hour
	from := userNow
	rnd := rand.New(rand.NewPCG(1, 2))
	at := func() time.Time { return from.Add(time.Duration(rnd.Int64N(int64(80*day))) - 40*day) }
	wider := 0
	for range 20000 {
		p := domain.Profile{RegisteredAt: at()}
		for range rnd.IntN(6) {
			p.Purchases = append(p.Purchases, at())
		}
		ahead := rules.SetFrom(p, from)
		for _, now := range []time.Time{from, from.Add(time.Duration(rnd.Int64N(int64(3 * day)))), at()} {
			if s := rules.Set(p, now); now.Before(from) {
				continue
			} else if s&^ahead != 0 {
				t.Fatalf("%+v at %v is in %v, SetFrom(%v) gives %v", p, now, s, from, ahead)
			}
		}
		if ahead != rules.Set(p, from) {
			wider++
		}
	}
	if wider == 0 { // a check that never meets a later segment tests nothing
		t.Fatal("no profile had a segment later that it had not at from")
	}
	t.Logf("%d of 20000 profiles: more from then on than at that moment", wider)
}
