package readmodel

import (
	"fmt"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// BenchmarkExpiredHolds is the sweeper's tick on a promo with 200,000 open
// holds placed over the last minute, 1,000 of them due: the heap against
// the scan of every open hold it replaced.
func BenchmarkExpiredHolds(b *testing.B) {
	const holds, dueHolds = 200_000, 1_000
	m := NewPromos()
	c := scalePromo("crowd", metroCenter, 2000, segmentSets[0])
	c.Stock = holds
	m.Apply(c)
	now := scaleNow
	for i := range holds {
		at := now.Add(time.Duration(i-dueHolds) * time.Minute / holds) // the first dueHolds are due
		m.Apply(domain.ReservationPlaced{ReservationID: fmt.Sprintf("crowd.r%d", i), PromoID: "crowd",
			UserID: fmt.Sprintf("u%d", i), Price: c.PromoPrice, ExpiresAt: at})
	}
	b.Run("heap", func(b *testing.B) {
		for b.Loop() {
			if n := len(m.expiredHolds(now)); n != dueHolds+1 {
				b.Fatalf("%d due, want %d", n, dueHolds+1)
			}
		}
	})
	b.Run("scan", func(b *testing.B) {
		for b.Loop() {
			m.mu.RLock()
			n := 0
			for _, at := range m.open {
				if !now.Before(at.p.holds[at.i].expiry()) {
					n++
				}
			}
			m.mu.RUnlock()
			if n != dueHolds+1 {
				b.Fatalf("%d due, want %d", n, dueHolds+1)
			}
		}
	})
}
