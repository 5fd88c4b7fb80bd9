package domain_test

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

func reserve(resID, user string, eligible bool, now time.Time) domain.ReserveRequest {
	return domain.ReserveRequest{ReservationID: resID, UserID: user, Eligible: eligible, Now: now, TTL: ttl}
}

func TestReserve(t *testing.T) {
	soon := during.Add(ttl)
	cancelled := domain.PromoCancelled{PromoID: promoID}
	tests := []struct {
		name         string
		given        []domain.Event
		when         domain.ReserveRequest
		wantErr      error
		want         []domain.Event
		wantExisting string // id of the hold answered again
	}{
		{name: "holds a unit", given: given(1), when: reserve("r1", "ana", true, during),
			want: []domain.Event{placed("r1", "ana", soon)}},
		{name: "not active before start", given: given(1), when: reserve("r1", "ana", true, before),
			wantErr: domain.ErrPromoNotActive},
		{name: "not active at end", given: given(1), when: reserve("r1", "ana", true, endsAt),
			wantErr: domain.ErrPromoNotActive},
		{name: "not active when cancelled, even with a live hold",
			given: given(1, placed("r1", "ana", soon), cancelled), when: reserve("r2", "ana", true, during),
			wantErr: domain.ErrPromoNotActive},
		{name: "a live hold is answered again, no event",
			given: given(1, placed("r1", "ana", soon)), when: reserve("r2", "ana", true, during), wantExisting: "r1"},
		{name: "the live hold comes before eligibility and stock",
			given: given(1, placed("r1", "ana", soon)), when: reserve("r2", "ana", false, during), wantExisting: "r1"},
		{name: "one unit per user, before eligibility and stock",
			given: given(1, placed("r1", "ana", soon), purchased("r1", "ana")), when: reserve("r2", "ana", false, during),
			wantErr: domain.ErrAlreadyPurchased},
		{name: "not eligible before sold out",
			given: given(1, placed("r1", "bob", soon)), when: reserve("r2", "ana", false, during),
			wantErr: domain.ErrNotEligible},
		{name: "sold out while another user holds the last unit",
			given: given(1, placed("r1", "bob", soon)), when: reserve("r2", "ana", true, during),
			wantErr: domain.ErrSoldOut},
		{name: "sold out when sold",
			given: given(1, placed("r1", "bob", soon), purchased("r1", "bob")), when: reserve("r2", "ana", true, during),
			wantErr: domain.ErrSoldOut},
		{name: "a hold that ran out frees its unit at once, without any event",
			given: given(1, placed("r1", "bob", during)), when: reserve("r2", "ana", true, during),
			want: []domain.Event{placed("r2", "ana", soon)}},
		{name: "a released hold frees its unit",
			given: given(1, placed("r1", "bob", soon), released("r1", "bob")), when: reserve("r2", "ana", true, during),
			want: []domain.Event{placed("r2", "ana", soon)}},
		{name: "a user whose hold ran out may hold again",
			given: given(1, placed("r1", "ana", during)), when: reserve("r2", "ana", true, during),
			want: []domain.Event{placed("r2", "ana", soon)}},
		{name: "a used reservation id is refused",
			given: given(2, placed("r1", "bob", during)), when: reserve("r1", "ana", true, during),
			wantErr: domain.ErrInvalid},
		{name: "no user", given: given(1), when: reserve("r1", "", true, during), wantErr: domain.ErrInvalid},
		{name: "no reservation id", given: given(1), when: reserve("", "ana", true, during), wantErr: domain.ErrInvalid},
		{name: "no time", given: given(1), when: reserve("r1", "ana", true, time.Time{}), wantErr: domain.ErrInvalid},
		{name: "no ttl", given: given(1), when: domain.ReserveRequest{ReservationID: "r1", UserID: "ana", Eligible: true, Now: during},
			wantErr: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.LoadPromo(tt.given)
			res, existing, err := p.Reserve(tt.when)
			then(t, p, err, tt.wantErr, tt.want...)
			if existing != (tt.wantExisting != "") || (existing && res.ID != tt.wantExisting) {
				t.Fatalf("existing = %v (%s), want %q", existing, res.ID, tt.wantExisting)
			}
			if tt.wantErr == nil && res.Status != domain.ReservationStatusHeld {
				t.Fatalf("answered %#v, want a hold", res)
			}
		})
	}
}

func TestReservePlacesAtPromoPriceWithTTL(t *testing.T) {
	p := domain.LoadPromo(given(3))
	res, _, err := p.Reserve(domain.ReserveRequest{ReservationID: "r1", UserID: "ana", Eligible: true,
		Now: during.In(time.FixedZone("", -6*3600)), TTL: 90 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	want := domain.Reservation{ID: "r1", PromoID: promoID, UserID: "ana", Price: price,
		ExpiresAt: during.Add(90 * time.Second), Status: domain.ReservationStatusHeld}
	if !reflect.DeepEqual(res, want) {
		t.Fatalf("reservation %#v, want %#v", res, want)
	}
}

func TestStock(t *testing.T) {
	h := given(5,
		placed("r1", "ana", during.Add(ttl)),
		placed("r2", "bob", during.Add(2*ttl)), purchased("r2", "bob"),
		placed("r3", "eve", during.Add(ttl)), released("r3", "eve"),
		placed("r4", "joe", during.Add(ttl)), expired("r4", "joe"),
		placed("r5", "kim", during.Add(3*ttl)),
	)
	tests := []struct {
		now  time.Time
		want domain.StockLevel
	}{
		{during, domain.StockLevel{Total: 5, Held: 2, Sold: 1, Available: 2}},
		{during.Add(ttl - time.Nanosecond), domain.StockLevel{Total: 5, Held: 2, Sold: 1, Available: 2}},
		{during.Add(ttl), domain.StockLevel{Total: 5, Held: 1, Sold: 1, Available: 3}}, // r1 ran out, nothing recorded
		{during.Add(3 * ttl), domain.StockLevel{Total: 5, Held: 0, Sold: 1, Available: 4}},
	}
	p := domain.LoadPromo(h)
	for _, tt := range tests {
		if got := p.Stock(tt.now); got != tt.want {
			t.Errorf("Stock(%v) = %+v, want %+v", tt.now, got, tt.want)
		}
	}
}

func TestNeverMoreSoldThanStock(t *testing.T) {
	p := domain.LoadPromo(given(1))
	holds := 0
	for i := range 100 {
		_, _, err := p.Reserve(reserve(fmt.Sprint("r", i), fmt.Sprint("user", i), true, during))
		if err == nil {
			holds++
		}
	}
	if holds != 1 {
		t.Fatalf("%d users hold the only unit", holds)
	}
	if _, err := p.Purchase("r0", "user0", during); err != nil {
		t.Fatal(err)
	}
	// After the hold became a sale no one else gets a unit, whatever the time.
	for i := 1; i < 100; i++ {
		_, _, err := p.Reserve(reserve(fmt.Sprint("s", i), fmt.Sprint("user", i), true, during.Add(time.Hour)))
		if err == nil {
			t.Fatal("a second unit was held after the only one was sold")
		}
	}
	if got := p.Stock(during); got.Sold != 1 || got.Available != 0 {
		t.Fatalf("stock %+v", got)
	}
}

// A purchase on an instance whose clock lags must not sell a unit that
// another hold has taken since: the stock count is the last word.
func TestPurchaseNeverOversellsUnderClockSkew(t *testing.T) {
	p := domain.LoadPromo(given(1, placed("r1", "ana", during), placed("r2", "bob", during.Add(ttl)), purchased("r2", "bob")))
	_, err := p.Purchase("r1", "ana", during.Add(-time.Second))
	then(t, p, err, domain.ErrSoldOut)
}

// TestHoldsKeepTheirInvariants plays random commands at moving times and
// checks, after each, that units are never oversold or double counted and
// that a rehydrated promo agrees with the live one.
func TestHoldsKeepTheirInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	p := domain.LoadPromo(given(5))
	history := given(5)
	now, soldOut := startsAt, 0
	for step := range 2000 {
		now = now.Add(time.Duration(rng.IntN(20)) * time.Second)
		if !now.Before(endsAt) {
			break
		}
		user, resID := fmt.Sprint("u", rng.IntN(30)), "none"
		if all := p.Reservations(); len(all) > 0 {
			r := all[rng.IntN(len(all))]
			resID = r.ID
			if rng.IntN(5) > 0 { // mostly the owner, sometimes someone else
				user = r.UserID
			}
		}
		switch rng.IntN(4) {
		case 0:
			if _, _, err := p.Reserve(reserve(fmt.Sprint("r", step), user, rng.IntN(5) > 0, now)); errors.Is(err, domain.ErrSoldOut) {
				soldOut++
			}
		case 1:
			p.Purchase(resID, user, now)
		case 2:
			p.Release(resID, user, now)
		case 3:
			p.Expire(resID, now)
		}
		history = append(history, p.Changes()...)
		p.Commit()
		checkHolds(t, p, now)
		if re := domain.LoadPromo(history); !reflect.DeepEqual(re.Reservations(), p.Reservations()) || re.Stock(now) != p.Stock(now) {
			t.Fatalf("step %d: rehydrated promo disagrees", step)
		}
	}
	seen := map[string]int{}
	for _, e := range history {
		seen[e.EventName()]++
	}
	for _, name := range []string{"ReservationPlaced", "PurchaseCompleted", "ReservationReleased", "ReservationExpired"} {
		if seen[name] == 0 {
			t.Errorf("the random walk never recorded %s: %v", name, seen)
		}
	}
	if soldOut == 0 {
		t.Error("the random walk never sold out")
	}
}

func checkHolds(t *testing.T, p *domain.Promo, now time.Time) {
	t.Helper()
	s := p.Stock(now)
	if s.Sold > s.Total || s.Held+s.Sold+s.Available != s.Total || s.Available < 0 {
		t.Fatalf("stock %+v", s)
	}
	live, bought := map[string]int{}, map[string]int{}
	for _, r := range p.Reservations() {
		switch r.StatusAt(now) {
		case domain.ReservationStatusHeld:
			live[r.UserID]++
		case domain.ReservationStatusPurchased:
			bought[r.UserID]++
		}
	}
	for u, n := range live {
		if n > 1 {
			t.Fatalf("%s has %d live holds", u, n)
		}
	}
	for u, n := range bought {
		if n > 1 {
			t.Fatalf("%s bought %d units", u, n)
		}
	}
}

func TestPurchase(t *testing.T) {
	soon := during.Add(ttl)
	tests := []struct {
		name    string
		given   []domain.Event
		res     string
		user    string
		now     time.Time
		wantErr error
		want    []domain.Event
		status  domain.ReservationStatus
	}{
		{"buys a held unit", given(1, placed("r1", "ana", soon)), "r1", "ana", during, nil,
			[]domain.Event{purchased("r1", "ana")}, domain.ReservationStatusPurchased},
		{"buys within the hold after the promo ended", given(1, placed("r1", "ana", endsAt.Add(ttl))), "r1", "ana", endsAt, nil,
			[]domain.Event{purchased("r1", "ana")}, domain.ReservationStatusPurchased},
		{"not found", given(1), "r1", "ana", during, domain.ErrReservationNotFound, nil, ""},
		{"not the owner", given(1, placed("r1", "ana", soon)), "r1", "bob", during, domain.ErrNotOwner, nil, ""},
		{"not the owner, before its status",
			given(1, placed("r1", "ana", soon), released("r1", "ana")), "r1", "bob", during, domain.ErrNotOwner, nil, ""},
		{"already purchased answers again, no event",
			given(1, placed("r1", "ana", soon), purchased("r1", "ana")), "r1", "ana", soon.Add(time.Hour), nil,
			nil, domain.ReservationStatusPurchased},
		{"released is closed, even after it would have run out",
			given(1, placed("r1", "ana", soon), released("r1", "ana")), "r1", "ana", soon, domain.ErrReservationClosed, nil, ""},
		{"promo cancelled is closed",
			given(1, placed("r1", "ana", soon), domain.PromoCancelled{PromoID: promoID}), "r1", "ana", during,
			domain.ErrReservationClosed, nil, ""},
		{"expired as recorded",
			given(1, placed("r1", "ana", soon), expired("r1", "ana")), "r1", "ana", during, domain.ErrReservationExpired, nil, ""},
		{"expired by time, nothing recorded",
			given(1, placed("r1", "ana", soon)), "r1", "ana", soon, domain.ErrReservationExpired, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.LoadPromo(tt.given)
			res, err := p.Purchase(tt.res, tt.user, tt.now)
			then(t, p, err, tt.wantErr, tt.want...)
			if res.Status != tt.status {
				t.Fatalf("status %q, want %q", res.Status, tt.status)
			}
		})
	}
}

func TestRelease(t *testing.T) {
	soon := during.Add(ttl)
	tests := []struct {
		name    string
		given   []domain.Event
		res     string
		user    string
		now     time.Time
		wantErr error
		want    []domain.Event
	}{
		{"releases a held unit", given(1, placed("r1", "ana", soon)), "r1", "ana", during, nil,
			[]domain.Event{released("r1", "ana")}},
		{"not found", given(1), "r1", "ana", during, domain.ErrReservationNotFound, nil},
		{"not the owner", given(1, placed("r1", "ana", soon)), "r1", "bob", during, domain.ErrNotOwner, nil},
		{"released again answers again, no event",
			given(1, placed("r1", "ana", soon), released("r1", "ana")), "r1", "ana", soon, nil, nil},
		{"purchased is closed",
			given(1, placed("r1", "ana", soon), purchased("r1", "ana")), "r1", "ana", during, domain.ErrReservationClosed, nil},
		{"expired as recorded",
			given(1, placed("r1", "ana", soon), expired("r1", "ana")), "r1", "ana", during, domain.ErrReservationExpired, nil},
		{"expired by time", given(1, placed("r1", "ana", soon)), "r1", "ana", soon, domain.ErrReservationExpired, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.LoadPromo(tt.given)
			res, err := p.Release(tt.res, tt.user, tt.now)
			then(t, p, err, tt.wantErr, tt.want...)
			if tt.wantErr == nil && res.Status != domain.ReservationStatusReleased {
				t.Fatalf("status %q, want released", res.Status)
			}
		})
	}
}

func TestExpire(t *testing.T) {
	soon := during.Add(ttl)
	tests := []struct {
		name    string
		given   []domain.Event
		now     time.Time
		wantOK  bool
		wantErr error
		want    []domain.Event
	}{
		{"records a hold that ran out", given(1, placed("r1", "ana", soon)), soon, true, nil,
			[]domain.Event{expired("r1", "ana")}},
		{"a live hold stays", given(1, placed("r1", "ana", soon)), soon.Add(-time.Nanosecond), false, nil, nil},
		{"already expired", given(1, placed("r1", "ana", soon), expired("r1", "ana")), soon, false, nil, nil},
		{"purchased", given(1, placed("r1", "ana", soon), purchased("r1", "ana")), soon, false, nil, nil},
		{"released", given(1, placed("r1", "ana", soon), released("r1", "ana")), soon, false, nil, nil},
		{"not found", given(1), soon, false, domain.ErrReservationNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.LoadPromo(tt.given)
			ok, err := p.Expire("r1", tt.now)
			then(t, p, err, tt.wantErr, tt.want...)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v", ok, tt.wantOK)
			}
		})
	}
}

func TestReservationStatusAt(t *testing.T) {
	exp := during.Add(ttl)
	tests := []struct {
		recorded domain.ReservationStatus
		now      time.Time
		want     domain.ReservationStatus
	}{
		{domain.ReservationStatusHeld, exp.Add(-time.Nanosecond), domain.ReservationStatusHeld},
		{domain.ReservationStatusHeld, exp, domain.ReservationStatusExpired},
		{domain.ReservationStatusPurchased, exp.Add(time.Hour), domain.ReservationStatusPurchased},
		{domain.ReservationStatusReleased, exp.Add(time.Hour), domain.ReservationStatusReleased},
		{domain.ReservationStatusExpired, during, domain.ReservationStatusExpired},
	}
	for _, tt := range tests {
		r := domain.Reservation{ID: "r1", ExpiresAt: exp, Status: tt.recorded}
		if got := r.StatusAt(tt.now); got != tt.want {
			t.Errorf("%s at %v: %s, want %s", tt.recorded, tt.now, got, tt.want)
		}
	}
}

func TestReservationsInPlacementOrder(t *testing.T) {
	soon := during.Add(ttl)
	p := domain.LoadPromo(given(5, placed("b", "u1", soon), placed("a", "u2", soon), purchased("a", "u2"), placed("c", "u3", soon)))
	var ids []string
	for _, r := range p.Reservations() {
		ids = append(ids, r.ID+":"+string(r.Status))
	}
	if fmt.Sprint(ids) != "[b:held a:purchased c:held]" {
		t.Fatalf("reservations %v", ids)
	}
	if r, ok := p.Reservation("a"); !ok || r.UserID != "u2" {
		t.Fatalf("Reservation(a) = %#v, %v", r, ok)
	}
	if _, ok := p.Reservation("zz"); ok {
		t.Fatal("found an unknown reservation")
	}
}

// A history that closes a hold twice (say, a sweeper racing a purchase on a
// store without version checks) keeps the first outcome.
func TestOnlyAHeldReservationCloses(t *testing.T) {
	soon := during.Add(ttl)
	p := domain.LoadPromo(given(1, placed("r1", "ana", soon), purchased("r1", "ana"), expired("r1", "ana"), released("nope", "ana")))
	if r, _ := p.Reservation("r1"); r.Status != domain.ReservationStatusPurchased || p.Stock(during).Sold != 1 {
		t.Fatalf("reservation %+v stock %+v", r, p.Stock(during))
	}
}

func TestReservationIDsNameTheirPromo(t *testing.T) {
	const unique = "019ad1c2-7a3b-7c4d-8e5f-0123456789ab"
	for _, promo := range []string{"p1", "promo.v2:7", strings.Repeat("x", 128)} {
		id := domain.NewReservationID(promo, unique)
		if got, ok := domain.PromoOfReservation(id); !ok || got != promo {
			t.Errorf("%s names %q (%v), want %q", id, got, ok, promo)
		}
		// The longest promo id still makes a valid id for its own promo.
		p, err := domain.CreatePromo(promo, validSpec(), before)
		must(t, err)
		_, _, err = p.Reserve(reserve(id, "ana", true, during))
		must(t, err)
	}
	for _, id := range []string{unique, "r1", ".x", "x.", ""} { // older ids, and ids of nothing
		if got, ok := domain.PromoOfReservation(id); ok {
			t.Errorf("%q names promo %q", id, got)
		}
	}
	// Another promo's long name does not borrow the promo's allowance.
	p, err := domain.CreatePromo("p1", validSpec(), before)
	must(t, err)
	_, _, err = p.Reserve(reserve(domain.NewReservationID(strings.Repeat("x", 128), unique), "ana", true, during))
	if !errors.Is(err, domain.ErrInvalid) {
		t.Errorf("an over-long id naming another promo: %v, want invalid", err)
	}
}
