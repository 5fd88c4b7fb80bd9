package readmodel

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// The read side's record of a promo reads as the aggregate rehydrated from
// the same stream: the promo's view (status, stock, version), every
// reservation and the holds run out, at times
// around each hold's expiry; and so does the record restored from a
// snapshot. The streams are the aggregate's own decisions at random.
func TestPromoRecordReadsAsTheAggregate(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	m := NewPromos()
	streams := map[string][]domain.Event{}
	ttl := time.Minute
	now := scaleNow.Add(-30 * time.Minute)
	var pids []string
	for i := range 6 {
		c := scalePromo(fmt.Sprintf("p%d", i), metroPoint(r), 2000, segmentSets[i%len(segmentSets)])
		c.Stock = 1 + r.IntN(8)
		c.StartsAt, c.EndsAt = now.Add(time.Duration(r.IntN(20)-5)*time.Minute), now.Add(time.Duration(30+r.IntN(40))*time.Minute)
		pids = append(pids, c.PromoID)
		streams[c.PromoID] = []domain.Event{c}
		m.Apply(c)
	}
	decide := func(id string, f func(p *domain.Promo)) {
		p := domain.LoadPromo(streams[id])
		f(p)
		for _, e := range p.Changes() {
			streams[id] = append(streams[id], e)
			m.Apply(e)
		}
	}
	checked := 0
	for step := range 3000 {
		now = now.Add(time.Duration(r.IntN(5)) * time.Second)
		id := pids[r.IntN(len(pids))]
		user := fmt.Sprintf("u%d", r.IntN(12))
		decide(id, func(p *domain.Promo) {
			switch k := r.IntN(40); {
			case k < 20:
				_, _, _ = p.Reserve(domain.ReserveRequest{ReservationID: fmt.Sprintf("%s.r%d", id, step), UserID: user,
					Eligible: true, Now: now, TTL: ttl, Cooldown: 10 * time.Second})
			case k < 37:
				if rs := p.Reservations(); len(rs) > 0 {
					res := rs[r.IntN(len(rs))]
					switch k % 3 {
					case 0:
						_, _ = p.Purchase(res.ID, res.UserID, now)
					case 1:
						_, _ = p.Release(res.ID, res.UserID, now)
					default:
						_, _ = p.Expire(res.ID, now)
					}
				}
			case k == 37:
				_ = p.Activate(now)
			case k == 38:
				_ = p.End(now)
			default:
				if r.IntN(4) == 0 {
					_ = p.Cancel(now)
				}
			}
		})
		if step%50 == 0 {
			checked += checkRecords(t, m, streams, now, ttl)
			restored := NewPromos()
			if err := decode(restored, encode(t, m)); err != nil {
				t.Fatal(err)
			}
			checkRecords(t, restored, streams, now, ttl)
		}
	}
	t.Logf("%d reservations checked", checked)
	if checked < 1000 {
		t.Fatalf("only %d reservations checked: the case proves little", checked)
	}
}

// checkRecords compares m with the aggregates of streams at instants
// around now and each hold's expiry, and says how many reservations it
// compared.
func checkRecords(t *testing.T, m *Promos, streams map[string][]domain.Event, now time.Time, ttl time.Duration) int {
	t.Helper()
	var wantHolds []app.Hold
	n, wantExpiring := 0, 0
	for id, events := range streams {
		p := domain.LoadPromo(events)
		at := []time.Time{now, now.Add(ttl / 2), p.Spec().StartsAt, p.Spec().EndsAt}
		for _, res := range p.Reservations() {
			at = append(at, res.ExpiresAt, res.ExpiresAt.Add(-time.Nanosecond))
			got, ok := m.reservation(res.ID, now)
			if want := app.NewReservationView(res, now); !ok || !reflect.DeepEqual(got, want) {
				t.Fatalf("reservation %s: %+v %v, want %+v", res.ID, got, ok, want)
			}
			if res.Status == domain.ReservationStatusHeld && !now.Before(res.ExpiresAt) {
				wantHolds = append(wantHolds, app.Hold{PromoID: id, ReservationID: res.ID})
			}
			if res.Status == domain.ReservationStatusHeld && res.ExpiresAt.After(now) && !res.ExpiresAt.After(now.Add(ttl/2)) {
				wantExpiring++
			}
			if res.Status == domain.ReservationStatusHeld { // due at its expiry, not a nanosecond before
				hold := app.Hold{PromoID: id, ReservationID: res.ID}
				if !slices.Contains(m.expiredHolds(res.ExpiresAt), hold) || slices.Contains(m.expiredHolds(res.ExpiresAt.Add(-time.Nanosecond)), hold) {
					t.Fatalf("hold %s is not due exactly at its expiry %v", res.ID, res.ExpiresAt)
				}
			}
			n++
		}
		for _, when := range at {
			var got app.PromoView
			if !m.view(id, func(r *promo) { got = app.NewPromoView(r, when, 0) }) {
				t.Fatalf("promo %s is missing", id)
			}
			if want := app.NewPromoView(p, when, 0); !reflect.DeepEqual(got, want) {
				t.Fatalf("promo %s at %v:\n got %+v\nwant %+v", id, when, got, want)
			}
		}
	}
	slices.SortFunc(wantHolds, func(a, b app.Hold) int { return strings.Compare(a.ReservationID, b.ReservationID) })
	if got := m.expiredHolds(now); !reflect.DeepEqual(got, wantHolds) {
		t.Fatalf("expired holds at %v:\n got %v\nwant %v", now, got, wantHolds)
	}
	if got := m.expiring(now, now.Add(ttl/2)); got != wantExpiring {
		t.Fatalf("holds expiring within %v of %v: %d, want %d", ttl/2, now, got, wantExpiring)
	}
	return n
}
