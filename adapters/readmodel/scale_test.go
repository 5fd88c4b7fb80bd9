package readmodel

import (
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/metrics"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

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

// residentMiB is the process's resident memory now and at its peak (Linux).
func residentMiB() (rss, peak float64, ok bool) {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, 0, false
	}
	for line := range strings.Lines(string(status)) {
		var kb float64
		if _, err := fmt.Sscanf(line, "VmRSS: %f kB", &kb); err == nil {
			rss = kb / 1024
		}
		if _, err := fmt.Sscanf(line, "VmHWM: %f kB", &kb); err == nil {
			peak = kb / 1024
		}
	}
	return rss, peak, rss > 0
}

// BenchmarkUsersMemory loads 1,000,000 users into the users model and
// reports the heap they hold (MiB-heap) after a collection, and the
// process's resident memory (run it alone for MiB-rss-peak to mean the load).
func BenchmarkUsersMemory(b *testing.B) {
	for b.Loop() {
		before := heapInuse()
		m := NewUsers(domain.DefaultSegmentRules())
		loadScaleUsers(m, 1_000_000, 1)
		after := heapInuse()
		b.ReportMetric(after-before, "MiB-heap")
		b.ReportMetric(after, "MiB-heap-total")
		if rss, peak, ok := residentMiB(); ok {
			b.ReportMetric(rss, "MiB-rss")
			b.ReportMetric(peak, "MiB-rss-peak")
		}
		runtime.KeepAlive(m)
	}
}

// BenchmarkNotificationsMemory records the notifications of a fan-out to
// 1,000,000 users, as the log holds them (every string its own copy), and
// reports the heap they hold (MiB-heap) after a collection.
func BenchmarkNotificationsMemory(b *testing.B) {
	for b.Loop() {
		before := heapInuse()
		m := NewNotifications()
		loadScaleNotifications(m, 1_000_000)
		after := heapInuse()
		b.ReportMetric(after-before, "MiB-heap")
		runtime.KeepAlive(m)
	}
}

// loadScaleNotifications sends one notification to each of n users.
func loadScaleNotifications(m interface{ Apply(domain.Event) }, n int) {
	summary := domain.PromoSummary{ID: "promo-00001",
		Store:        domain.Store{ID: "store-1", Name: "TechShop Polanco"},
		Product:      domain.Product{ID: "xyz", Name: "Audífonos XYZ"},
		RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
		EndsAt: scaleNow.Add(2 * time.Hour)}
	for i := range n {
		e := domain.NewNotification(uuid.NewString(), scaleUserID(i), summary, scaleNow, nil)
		e.PromoID, e.Day = strings.Clone(e.PromoID), strings.Clone(e.Day) // as decoded
		e.Title, e.Body = strings.Clone(e.Title), strings.Clone(e.Body)
		m.Apply(e)
	}
}

// BenchmarkApplyNotification is the notifications model following the log
// of a fan-out: one notification to each of 1,000,000 users a day. It
// reports the garbage collector's share of the CPU (gc-cpu-%) while folding.
func BenchmarkApplyNotification(b *testing.B) {
	summary := domain.PromoSummary{ID: "promo-00001", Store: domain.Store{ID: "store-1", Name: "TechShop"},
		Product:      domain.Product{ID: "xyz", Name: "XYZ"},
		RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
		EndsAt: scaleNow.Add(2 * time.Hour)}
	const users = 1_000_000
	ids := make([]string, users)
	for i := range ids {
		ids[i] = scaleUserID(i)
	}
	m := NewNotifications()
	gcBefore := gcCPUSeconds()
	start := time.Now()
	i := 0
	for b.Loop() {
		now := scaleNow.Add(time.Duration(i/users) * 24 * time.Hour)
		m.Apply(domain.NewNotification(uuid.NewString(), ids[i%users], summary, now, nil))
		i++
	}
	if elapsed := time.Since(start).Seconds(); elapsed > 0 {
		b.ReportMetric(100*(gcCPUSeconds()-gcBefore)/(elapsed*float64(runtime.GOMAXPROCS(0))), "gc-cpu-%")
	}
	runtime.KeepAlive(m)
}

// gcCPUSeconds is the CPU time the garbage collector has taken so far.
func gcCPUSeconds() float64 {
	s := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}}
	metrics.Read(s)
	return s[0].Value.Float64()
}

// BenchmarkReadModelMemory folds the full state of issue 10 into the read
// models — 1,000,000 users, 10,000 active promos, one notification to each
// user — and reports the live heap after a collection (MiB-heap), the
// process's resident memory before that collection (MiB-rss) and at its
// peak, and the garbage collector's share of the CPU while 200,000 reads of
// GET /v1/users/{id}/promos run on the loaded models (gc-cpu-%). Run each
// alone, once, so that the process holds nothing else:
//
//	go test ./adapters/readmodel/ -run '^$' -bench ReadModelMemory/active -benchtime 1x
//	go test ./adapters/readmodel/ -run '^$' -bench ReadModelMemory/scheduled -benchtime 1x
func BenchmarkReadModelMemory(b *testing.B) {
	// active: the promos have started a while ago, and hold no eligible-user
	// set; scheduled: they wait to start, each with its set.
	for _, state := range []string{"active", "scheduled"} {
		b.Run(state, func(b *testing.B) { readModelMemory(b, state == "scheduled") })
	}
}

func readModelMemory(b *testing.B, scheduled bool) {
	for b.Loop() {
		rm := New(nil, domain.DefaultSegmentRules(), nil)
		loadScaleUsers(rm.users.current(), scaleUsers, 1)
		r := rand.New(rand.NewPCG(2, 2))
		for i := range scalePromos {
			e := scalePromo(fmt.Sprintf("promo-%05d", i), metroPoint(r), 2000, segmentSets[r.IntN(len(segmentSets))])
			rm.promos.current().Apply(e)
			if scheduled {
				rm.users.current().Apply(e)
			}
		}
		loadScaleNotifications(rm.notifications.current(), scaleUsers)
		if rss, peak, ok := residentMiB(); ok {
			b.ReportMetric(rss, "MiB-rss")
			b.ReportMetric(peak, "MiB-rss-peak")
		}
		b.ReportMetric(heapInuse(), "MiB-heap")

		ids := randomUsers(1 << 14)
		gcBefore, start := gcCPUSeconds(), time.Now()
		for i := range 200_000 {
			if _, ok := rm.VisiblePromos(ids[i%len(ids)], nil, scaleNow); !ok {
				b.Fatal("no such user")
			}
		}
		if elapsed := time.Since(start).Seconds(); elapsed > 0 {
			b.ReportMetric(100*(gcCPUSeconds()-gcBefore)/(elapsed*float64(runtime.GOMAXPROCS(0))), "gc-cpu-%")
		}
		runtime.KeepAlive(rm)
	}
}
