package readmodel

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// The scale fixtures: a metro area of about 50×50 km around Mexico City,
// users spread uniformly over it, promos of 2 km scattered over it.
var (
	scaleNow    = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)
	metroCenter = domain.Location{Lat: 19.4326, Lng: -99.1332}
)

const (
	metroHalfLat = 0.2248 // 25 km of latitude
	metroHalfLng = 0.2383 // 25 km of longitude at 19.4° N
)

func metroPoint(r *rand.Rand) domain.Location {
	return domain.Location{
		Lat: metroCenter.Lat + (2*r.Float64()-1)*metroHalfLat,
		Lng: metroCenter.Lng + (2*r.Float64()-1)*metroHalfLng,
	}
}

func scaleUserID(i int) string { return fmt.Sprintf("user-%07d", i) }

// loadScaleUsers registers n users at a point of the metro area, as the log
// would. Every user is in a segment: most registered less than 30 days ago
// and bought nothing (new users), one in fifty bought 3 to 5 times in the
// last 20 days (frequent buyers).
func loadScaleUsers(m interface{ Apply(domain.Event) }, n int, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range n {
		id := scaleUserID(i)
		m.Apply(domain.UserRegistered{UserID: id, RegisteredAt: scaleNow.Add(-time.Duration(1+r.IntN(29*24)) * time.Hour)})
		m.Apply(domain.UserLocationUpdated{UserID: id, Location: metroPoint(r)})
		if r.IntN(50) == 0 {
			for j := range 3 + r.IntN(3) {
				m.Apply(domain.UserPurchaseRecorded{UserID: id, PurchaseID: fmt.Sprintf("%s-b%d", id, j),
					PurchasedAt: scaleNow.Add(-time.Duration(1+r.IntN(20*24)) * time.Hour)})
			}
		}
	}
}

// heapInuse is the heap in use after a full collection, in MiB.
func heapInuse() float64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse) / (1 << 20)
}

// BenchmarkUsersMemory loads 1,000,000 users into the users model and
// reports the heap they hold (MiB-heap) after a collection.
func BenchmarkUsersMemory(b *testing.B) {
	for b.Loop() {
		before := heapInuse()
		m := NewUsers(domain.DefaultSegmentRules())
		loadScaleUsers(m, 1_000_000, 1)
		after := heapInuse()
		b.ReportMetric(after-before, "MiB-heap")
		b.ReportMetric(after, "MiB-heap-total")
		runtime.KeepAlive(m)
	}
}
