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
			rm.promos.current().Apply(scalePromo(fmt.Sprintf("promo-%05d", i), metroPoint(r), 2000,
				segmentSets[r.IntN(len(segmentSets))]))
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

// BenchmarkEligible is the fan-out's search among 1,000,000 users: a promo
// of 2 km in the middle of the metro area, and one whose segments and 50 km
// cover every user.
func BenchmarkEligible(b *testing.B) {
	rm := scaleReadModel(b)
	for _, c := range []struct {
		name     string
		radiusM  float64
		segments []domain.Segment
	}{
		{"2km", 2000, []domain.Segment{domain.SegmentNewUsers}},
		{"everyone", 50000, []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers}},
	} {
		b.Run(c.name, func(b *testing.B) {
			spec := domain.LoadPromo([]domain.Event{scalePromo("p", metroCenter, c.radiusM, c.segments)}).Spec()
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = len(rm.Eligible(spec, scaleNow))
			}
			b.ReportMetric(float64(n), "users")
		})
	}
}

// BenchmarkApplyUser is the users model following the log: a new user's
// registration and location.
func BenchmarkApplyUser(b *testing.B) {
	m := NewUsers(domain.DefaultSegmentRules())
	r := rand.New(rand.NewPCG(4, 4))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		id := scaleUserID(i)
		m.Apply(domain.UserRegistered{UserID: id, RegisteredAt: scaleNow})
		m.Apply(domain.UserLocationUpdated{UserID: id, Location: metroPoint(r)})
		i++
	}
}
