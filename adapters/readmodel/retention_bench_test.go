package readmodel

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/domain"
)

// BenchmarkRetentionHeap folds 60 simulated days of a daily promo to 100k
// users into the models with the default retention, pruning once a day as
// the service does, and reports the heap in use at the end and on day 30
// (when the retention starts to drop): flat means the two are close.
//
//	go test ./adapters/readmodel -run '^$' -bench RetentionHeap -benchtime 1x
func BenchmarkRetentionHeap(b *testing.B) {
	const users, days = 100_000, 60
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%06d", i)
	}
	for range b.N {
		clock := &stepClock{now: retentionDay0}
		rm := New(nil, domain.DefaultSegmentRules(), nil)
		rm.UseRetention(Retention{Notifications: 30 * 24 * time.Hour, EndedPromos: 24 * time.Hour, Now: clock.Now})
		notes, promos := rm.notifications.current(), rm.promos.current()
		var day30 uint64
		for d := range days {
			at := retentionDay0.AddDate(0, 0, d)
			clock.set(at)
			pid := fmt.Sprintf("p%d", d)
			created := scalePromo(pid, domain.Location{Lat: 19.43, Lng: -99.13}, 2000, segmentSets[0])
			created.StartsAt, created.EndsAt = at, at.Add(2*time.Hour)
			promos.Apply(created)
			promos.Apply(domain.PromoActivated{PromoID: pid})
			for _, u := range ids {
				notes.Apply(domain.NotificationSent{NotificationID: uuid.NewString(), UserID: u, PromoID: pid,
					Day: at.Format(time.DateOnly), Title: "Flash Promo " + pid, Body: "499.00 MXN", SentAt: at})
			}
			clock.set(at.Add(3 * time.Hour))
			promos.Apply(domain.PromoEnded{PromoID: pid})
			rm.Prune()
			if d == 30 {
				day30 = heapInUse()
			}
		}
		b.ReportMetric(float64(day30)/(1<<20), "MiB-heap-day30")
		b.ReportMetric(float64(heapInUse())/(1<<20), "MiB-heap-day60")
		b.ReportMetric(float64(sizesOf(rm).notices), "notices-kept")
		runtime.KeepAlive(rm)
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
