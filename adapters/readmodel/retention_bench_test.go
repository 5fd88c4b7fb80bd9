package readmodel

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/domain"
)

// BenchmarkRetentionHeap folds 60 simulated days of a daily promo to every
// user into the models with the default retention, pruning once a day as
// the service does, and reports the heap in use (and the resident memory)
// on day 2, on day 30 (when the retention starts to drop) and on day 60,
// each with the day's notices in and before its prune, and the peak so
// far: flat means the last two days are close. FLASHPROMO_RETENTION_USERS sets the
// population (default 100,000):
//
//	go test ./adapters/readmodel -run '^$' -bench RetentionHeap -benchtime 1x
//	FLASHPROMO_RETENTION_USERS=1000000 go test ./adapters/readmodel -run '^$' -bench RetentionHeap -benchtime 1x -timeout 60m
func BenchmarkRetentionHeap(b *testing.B) {
	const days = 60
	users := 100_000
	if s := os.Getenv("FLASHPROMO_RETENTION_USERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			b.Fatalf("FLASHPROMO_RETENTION_USERS=%q: want a whole number ≥ 1", s)
		}
		users = n
	}
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%07d", i)
	}
	for range b.N {
		clock := &stepClock{now: retentionDay0}
		rm := New(nil, domain.DefaultSegmentRules(), nil)
		rm.UseRetention(Retention{Notifications: 30 * 24 * time.Hour, EndedPromos: 24 * time.Hour, Now: clock.Now})
		notes, promos := rm.notifications.current(), rm.promos.current()
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
			if day := d + 1; day == 2 || day%10 == 0 { // the day's high: its notices in, the prune to come
				reportMemory(b, day, sizesOf(rm).notices, day == 2 || day == 30 || day == days)
			}
			rm.Prune()
		}
		runtime.KeepAlive(rm)
	}
}

// reportMemory logs the heap in use after a collection and the resident
// memory on the given day, with the notices kept, and reports them as
// metrics when asked.
func reportMemory(b *testing.B, day, notices int, metric bool) {
	heap := heapInuse()
	rss, peak, ok := residentMiB()
	if metric {
		b.ReportMetric(heap, fmt.Sprintf("MiB-heap-day%d", day))
		if ok {
			b.ReportMetric(rss, fmt.Sprintf("MiB-rss-day%d", day))
			b.ReportMetric(peak, fmt.Sprintf("MiB-rss-peak-day%d", day))
		}
	}
	b.Logf("day %d: %d notices kept, heap in use %.1f MiB, resident %.1f MiB (peak so far %.1f MiB)", day, notices, heap, rss, peak)
}
