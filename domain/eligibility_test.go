package domain_test

import (
	"math"
	"slices"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

var (
	store = domain.Location{Lat: 19.4326, Lng: -99.1332}
	near  = domain.Location{Lat: 19.4426, Lng: -99.1332} // about 1.1 km north
	both  = []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers}
)

func TestReachesNeedsASharedSegment(t *testing.T) {
	tests := []struct {
		promo, user []domain.Segment
		want        bool
	}{
		{both, []domain.Segment{domain.SegmentFrequentBuyers}, true},
		{[]domain.Segment{domain.SegmentNewUsers}, []domain.Segment{domain.SegmentFrequentBuyers}, false},
		{both, nil, false},
		{nil, both, false},
	}
	for _, tt := range tests {
		if _, got := domain.Reaches(domain.SetOf(tt.promo), store, 2000, domain.SetOf(tt.user), near); got != tt.want {
			t.Errorf("Reaches(%v, %v) = %v", tt.promo, tt.user, got)
		}
	}
}

// Sets decide as comparing the lists would, for every pair of them.
func TestReachesDecidesAsTheSegmentLists(t *testing.T) {
	lists := [][]domain.Segment{nil, {domain.SegmentNewUsers}, {domain.SegmentFrequentBuyers},
		{domain.SegmentNewUsers, domain.SegmentFrequentBuyers}, {"unknown"}}
	for _, p := range lists {
		for _, u := range lists[:4] { // users only ever have known segments
			want := slices.ContainsFunc(p, func(s domain.Segment) bool { return slices.Contains(u, s) })
			if _, got := domain.Reaches(domain.SetOf(p), store, 2000, domain.SetOf(u), near); got != want {
				t.Errorf("promo %v, user %v: Reaches %v, the lists share a segment: %v", p, u, got, want)
			}
		}
	}
}

func TestReachesIsLessThanTheRadius(t *testing.T) {
	all := domain.SetOf(both)
	d := domain.Distance(store, near)
	if got, ok := domain.Reaches(all, store, 2000, all, near); !ok || got != d {
		t.Fatalf("1.1 km within 2 km: %f %v", got, ok)
	}
	if _, ok := domain.Reaches(all, store, d, all, near); ok {
		t.Fatal("exactly at the radius counts as within")
	}
	if _, ok := domain.Reaches(all, store, math.Nextafter(d, math.Inf(1)), all, near); !ok {
		t.Fatal("just inside the radius is not within")
	}
}

// The fan-out evaluates every candidate user's segments into a set: the
// same segments as the list the API shows.
func TestSegmentSetIsTheSegments(t *testing.T) {
	rules := domain.DefaultSegmentRules()
	for _, p := range []domain.Profile{
		{},
		{RegisteredAt: userNow.Add(-24 * time.Hour)},
		{RegisteredAt: userNow.Add(-24 * time.Hour), Purchases: []time.Time{userNow, userNow, userNow}},
		{RegisteredAt: userNow.Add(-40 * 24 * time.Hour), Purchases: []time.Time{userNow}},
	} {
		if got, want := rules.Set(p, userNow), domain.SetOf(rules.Segments(p, userNow)); got != want {
			t.Errorf("%+v: Set %b, Segments %v", p, got, rules.Segments(p, userNow))
		}
	}
}
