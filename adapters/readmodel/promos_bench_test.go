package readmodel

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// The promos model under a flash crowd: promos of many reservations, each
// event as the decoder gives it (every string its own copy).
//
//	go test ./adapters/readmodel -run '^$' -bench 'Promo' -benchmem
const (
	crowdPromos       = 200
	crowdReservations = 1_000 // per promo
)

// crowdEvents is the stream of promo pid after its creation: n reservations,
// most bought, some released, some left to run out, a few recorded expired.
func crowdEvents(pid string, n int, emit func(domain.Event)) {
	for k := range n {
		rid, user := fmt.Sprintf("%s.%08x-7d1c-4f0e-9a3b-%012x", pid, k, k), scaleUserID(k)
		emit(domain.ReservationPlaced{ReservationID: rid, PromoID: strings.Clone(pid), UserID: user,
			ExpiresAt: scaleNow.Add(time.Duration(k%120) * time.Second),
			Price:     domain.Money{Amount: 49900, Currency: strings.Clone("MXN")}})
		switch k % 10 {
		case 0, 1:
			emit(domain.ReservationReleased{ReservationID: strings.Clone(rid), PromoID: strings.Clone(pid), UserID: strings.Clone(user)})
		case 2:
			emit(domain.ReservationExpired{ReservationID: strings.Clone(rid), PromoID: strings.Clone(pid), UserID: strings.Clone(user)})
		case 3:
		default:
			emit(domain.PurchaseCompleted{ReservationID: strings.Clone(rid), PromoID: strings.Clone(pid), UserID: strings.Clone(user)})
		}
	}
}

func crowdPromo(i int) domain.PromoCreated {
	c := scalePromo(fmt.Sprintf("promo-%05d", i), metroCenter, 2000, segmentSets[0])
	c.Stock = crowdReservations
	return c
}

// BenchmarkPromosMemory folds 200 promos of 1,000 reservations each and
// reports the heap the model holds per promo after a collection.
func BenchmarkPromosMemory(b *testing.B) {
	for b.Loop() {
		before := heapInuse()
		m := NewPromos()
		for i := range crowdPromos {
			c := crowdPromo(i)
			m.Apply(c)
			m.Apply(domain.PromoActivated{PromoID: c.PromoID})
			crowdEvents(c.PromoID, crowdReservations, m.Apply)
		}
		after := heapInuse()
		b.ReportMetric(after-before, "MiB-heap")
		b.ReportMetric((after-before)*(1<<20)/crowdPromos, "B/promo")
		runtime.KeepAlive(m)
	}
}

// BenchmarkApplyPromo is the promos model following the log of a flash
// crowd: one op is one event of a promo's stream.
func BenchmarkApplyPromo(b *testing.B) {
	var events []domain.Event
	for i := range 100 {
		c := crowdPromo(i)
		events = append(events, c, domain.PromoActivated{PromoID: c.PromoID})
		crowdEvents(c.PromoID, crowdReservations, func(e domain.Event) { events = append(events, e) })
	}
	b.ReportAllocs()
	m, i := NewPromos(), 0
	for b.Loop() {
		if i == len(events) {
			b.StopTimer()
			m, i = NewPromos(), 0
			b.StartTimer()
		}
		m.Apply(events[i])
		i++
	}
}

// BenchmarkPromoQueries reads a promo (GET /v1/promos/{id}) and one of its
// reservations (GET /v1/reservations/{id}) from the model of 100 promos of
// 1,000 reservations.
func BenchmarkPromoQueries(b *testing.B) {
	rm := New(nil, domain.DefaultSegmentRules(), nil)
	m := rm.promos.current()
	var pids, rids []string
	for i := range 100 {
		c := crowdPromo(i)
		pids = append(pids, c.PromoID)
		m.Apply(c)
		crowdEvents(c.PromoID, crowdReservations, func(e domain.Event) {
			if p, ok := e.(domain.ReservationPlaced); ok {
				rids = append(rids, p.ReservationID)
			}
			m.Apply(e)
		})
	}
	b.Run("promo", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := rm.Promo(pids[i%len(pids)], scaleNow); !ok {
				b.Fatal("no promo")
			}
			i++
		}
	})
	b.Run("reservation", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, ok := rm.Reservation(rids[i%len(rids)], scaleNow); !ok {
				b.Fatal("no reservation")
			}
			i++
		}
	})
}
