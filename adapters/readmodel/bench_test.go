package readmodel

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// The benchmarks share one read model of 1,000,000 users and 10,000 active
// promos of 2 km over the metro area, built once (some seconds) outside the
// timers. Run them with: go test -run '^$' -bench . -benchmem ./adapters/readmodel/
const (
	scaleUsers  = 1_000_000
	scalePromos = 10_000
)

var (
	scaleOnce  sync.Once
	scaleModel *ReadModel
)

func scaleReadModel(b *testing.B) *ReadModel {
	b.Helper()
	scaleOnce.Do(func() {
		rm := New(memory.New(), domain.DefaultSegmentRules(), slog.New(slog.NewTextHandler(io.Discard, nil)))
		loadScaleUsers(rm.users.current(), scaleUsers, 1)
		r := rand.New(rand.NewPCG(2, 2))
		for i := range scalePromos {
			e := scalePromo(fmt.Sprintf("promo-%05d", i), metroPoint(r), 2000, segmentSets[r.IntN(len(segmentSets))])
			rm.promos.current().Apply(e)
			rm.users.current().Apply(e) // its eligible-user set, as the log gives it
		}
		scaleModel = rm
	})
	return scaleModel
}

var segmentSets = [][]domain.Segment{
	{domain.SegmentNewUsers}, {domain.SegmentFrequentBuyers},
	{domain.SegmentNewUsers, domain.SegmentFrequentBuyers},
}

// scalePromo is active at scaleNow.
func scalePromo(id string, at domain.Location, radiusM float64, segments []domain.Segment) domain.PromoCreated {
	return domain.PromoCreated{
		PromoID: id, Store: domain.Store{ID: "store-" + id, Name: "Store " + id, Location: at},
		Product:      domain.Product{ID: "xyz", Name: "XYZ"},
		RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
		Segments: segments, RadiusM: radiusM,
		StartsAt: scaleNow.Add(-time.Hour), EndsAt: scaleNow.Add(2 * time.Hour), Stock: 100,
	}
}

// randomUsers are ids of users of the fixture, in random order.
func randomUsers(n int) []string {
	r := rand.New(rand.NewPCG(3, 3))
	ids := make([]string, n)
	for i := range ids {
		ids[i] = scaleUserID(r.IntN(scaleUsers))
	}
	return ids
}

// BenchmarkVisiblePromos is GET /v1/users/{id}/promos without HTTP: a random
// user of 1,000,000 among 10,000 active promos.
func BenchmarkVisiblePromos(b *testing.B) {
	rm := scaleReadModel(b)
	ids := randomUsers(1 << 14)
	b.Run("index", func(b *testing.B) {
		b.ReportAllocs()
		seen, i := 0, 0
		for b.Loop() {
			vs, ok := rm.VisiblePromos(ids[i%len(ids)], nil, scaleNow)
			if !ok {
				b.Fatal("no such user")
			}
			seen += len(vs)
			i++
		}
		b.ReportMetric(float64(seen)/float64(i), "promos/op")
	})
	b.Run("scan", func(b *testing.B) { // the scan the index replaced, for comparison
		b.ReportAllocs()
		seen, i := 0, 0
		for b.Loop() {
			u, _ := rm.User(ids[i%len(ids)], scaleNow)
			rm.promos.current().each(func(p *promo) {
				if p.Status(scaleNow) != domain.PromoStatusActive {
					return
				}
				if _, ok := app.Sees(u, p.Spec(), nil); ok {
					seen++
				}
			})
			i++
		}
		b.ReportMetric(float64(seen)/float64(i), "promos/op")
	})
}

// eligibleCases are a promo of 2 km in the middle of the metro area, and
// one whose segments and 50 km cover every user.
var eligibleCases = []struct {
	name     string
	radiusM  float64
	segments []domain.Segment
}{
	{"2km", 2000, []domain.Segment{domain.SegmentNewUsers}},
	{"everyone", 50000, []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers}},
}

// BenchmarkEligible is the fan-out's search among 1,000,000 users, of each
// of eligibleCases.
func BenchmarkEligible(b *testing.B) {
	rm := scaleReadModel(b)
	for _, c := range eligibleCases {
		b.Run(c.name, func(b *testing.B) {
			spec := domain.LoadPromo([]domain.Event{scalePromo("p", metroCenter, c.radiusM, c.segments)}).Spec()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = len(rm.Eligible("p", spec, scaleNow))
			}
			b.ReportMetric(float64(n), "users")
		})
	}
}

// BenchmarkEligibleUserSet is what an eligible-user set costs: searched when
// its promo is created (schedule), listed and decided again when it is
// activated (list, against the search of BenchmarkEligible), and its
// memory, among 1,000,000 users.
func BenchmarkEligibleUserSet(b *testing.B) {
	rm := scaleReadModel(b)
	users := rm.users.current()
	for _, c := range eligibleCases {
		e := scalePromo("set-"+c.name, metroCenter, c.radiusM, c.segments)
		spec := domain.LoadPromo([]domain.Event{e}).Spec()
		b.Run(c.name+"/schedule", func(b *testing.B) {
			for b.Loop() {
				users.Apply(e)
				users.Apply(domain.PromoCancelled{PromoID: e.PromoID})
			}
		})
		users.Apply(e)
		b.Run(c.name+"/list", func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = len(rm.Eligible(e.PromoID, spec, scaleNow))
			}
			b.ReportMetric(float64(n), "users")
			users.mu.RLock()
			members := users.cand.of[e.PromoID].members
			b.ReportMetric(float64(members.GetSizeInBytes())/float64(members.GetCardinality())*1e6/(1<<20), "MiB/1M-members")
			users.mu.RUnlock()
		})
		users.Apply(domain.PromoCancelled{PromoID: e.PromoID})
	}
}

// BenchmarkApplyUser is the users model following the log: a new user's
// registration and location, alone and among 10,000 live promos.
func BenchmarkApplyUser(b *testing.B) {
	for _, promos := range []int{0, scalePromos} {
		b.Run(fmt.Sprintf("promos=%d", promos), func(b *testing.B) {
			m := NewUsers(domain.DefaultSegmentRules())
			r := rand.New(rand.NewPCG(4, 4))
			for i := range promos { // live promos: a user's move decides the sets near it
				m.Apply(scalePromo(fmt.Sprintf("promo-%05d", i), metroPoint(r), 2000, segmentSets[r.IntN(len(segmentSets))]))
			}
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				id := scaleUserID(i)
				m.Apply(domain.UserRegistered{UserID: id, RegisteredAt: scaleNow})
				m.Apply(domain.UserLocationUpdated{UserID: id, Location: metroPoint(r)})
				i++
			}
		})
	}
}
