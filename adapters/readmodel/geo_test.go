package readmodel

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

func TestPromoCellsAreAtTheirLevel(t *testing.T) {
	for _, r := range []float64{1, 2000, 50000} {
		cells := promoCells(metroCenter, r)
		if len(cells) == 0 {
			t.Fatalf("radius %v: no cells", r)
		}
		for _, c := range cells {
			if c.Level() != promoLevel {
				t.Fatalf("radius %v: a cell at level %d", r, c.Level())
			}
		}
		t.Logf("radius %6.0f m: %4d cells", r, len(cells))
	}
}

// The domain refuses such radii, but the index must answer as the scan
// whatever the log holds.
func TestOddRadiiAreAnsweredAsTheScan(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 9))
	users := NewUsers(domain.DefaultSegmentRules())
	loadScaleUsers(users, 2000, 9)
	promos := NewPromos()
	for i, radius := range []float64{math.NaN(), -5, 0, 1e-3, 60_000, 3e6, 2.5e7, math.Inf(1)} {
		e := scalePromo(scaleUserID(i), metroPoint(r), radius, []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers})
		promos.Apply(e)
		spec := domain.LoadPromo([]domain.Event{e}).Spec()
		var want []string
		for i := range 2000 {
			u, _ := users.user(scaleUserID(i), scaleNow)
			if _, ok := app.Sees(u, spec, nil); ok {
				want = append(want, u.ID)
			}
			vs := promos.visible(u, *u.Location, scaleNow)
			if seen := slices.ContainsFunc(vs, func(v app.VisiblePromo) bool { return v.ID == e.PromoID }); seen != slices.Contains(want, u.ID) {
				t.Fatalf("radius %v: %s sees it: %v, the scan says %v", radius, u.ID, seen, !seen)
			}
		}
		if got := users.eligible("", spec, scaleNow); !slices.Equal(got, want) {
			t.Fatalf("radius %v: %d eligible, the scan says %d", radius, len(got), len(want))
		}
		t.Logf("radius %v: %d eligible", radius, len(want))
	}
}

// The search reads users a page at a time while the projector moves them:
// each user is listed at most once, and only users who exist.
func TestEligibleWhileUsersMove(t *testing.T) {
	users := NewUsers(domain.DefaultSegmentRules())
	n := 3 * pageSize
	loadScaleUsers(users, n, 5)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r := rand.New(rand.NewPCG(5, 6))
		for i := range 20_000 {
			users.Apply(domain.UserLocationUpdated{UserID: scaleUserID(r.IntN(n)), Location: metroPoint(r)})
			if i%10 == 0 {
				id := scaleUserID(n + i)
				users.Apply(domain.UserRegistered{UserID: id, RegisteredAt: scaleNow.Add(-time.Hour)})
				users.Apply(domain.UserLocationUpdated{UserID: id, Location: metroPoint(r)})
			}
		}
	}()
	segments := []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers}
	for k := 0; ; k++ {
		for _, radius := range []float64{2000, 50000} { // some users, and all of them
			spec := domain.LoadPromo([]domain.Event{scalePromo("p", metroCenter, radius, segments)}).Spec()
			ids := users.eligible("", spec, scaleNow)
			seen := map[string]bool{}
			for _, id := range ids {
				if seen[id] || !users.has(id) {
					t.Fatalf("%s listed twice or unknown", id)
				}
				seen[id] = true
			}
		}
		select {
		case <-done:
			if k == 0 {
				t.Log("the moves ended before a search")
			}
			return
		default:
		}
	}
}

// A read tells a promo's status from the window its reach keeps, to the
// nanosecond and at the far ends of time, as domain.PromoLife.Status does
// from the record.
func TestVisibleWindowsAsTheRecordSays(t *testing.T) {
	users := NewUsers(domain.DefaultSegmentRules())
	loadScaleUsers(users, 1, 4)
	u, _ := users.user(scaleUserID(0), scaleNow)
	promos := NewPromos()
	everyone := []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers}
	far := time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
	long := time.Date(1000, 1, 1, 0, 0, 0, 0, time.UTC)
	windows := [][2]time.Time{
		{scaleNow, scaleNow.Add(time.Hour)},                      // opens at now
		{scaleNow.Add(-time.Hour), scaleNow},                     // closes at now
		{scaleNow.Add(time.Nanosecond), scaleNow.Add(time.Hour)}, // a nanosecond ahead
		{scaleNow.Add(-time.Hour), scaleNow.Add(time.Nanosecond)},
		{scaleNow, far}, {long, far}, {far, far.Add(time.Hour)}, {long, long.Add(time.Hour)},
	}
	for i, w := range windows {
		e := scalePromo(scaleUserID(i), *u.Location, 1000, everyone)
		e.StartsAt, e.EndsAt = w[0], w[1]
		promos.Apply(e)
	}
	promos.Apply(domain.PromoActivated{PromoID: scaleUserID(5)})
	promos.Apply(domain.PromoCancelled{PromoID: scaleUserID(5)}) // cancelled: filed no more
	var want []string
	for i := range windows {
		id := scaleUserID(i)
		promos.view(id, func(p *promo) {
			if p.Status(scaleNow) == domain.PromoStatusActive {
				want = append(want, id)
			}
		})
	}
	var got []string
	for _, v := range promos.visible(u, *u.Location, scaleNow) {
		got = append(got, v.ID)
	}
	slices.Sort(got)
	if !slices.Equal(got, want) || len(want) != 3 {
		t.Fatalf("visible %v, the records say %v active (want three)", got, want)
	}
}
