package domain

import (
	"testing"
	"time"
)

// A zero aggregate (not made by Load or a constructor) must still take
// events, for code that folds the log into one step by step.
func TestZeroAggregatesApplyEvents(t *testing.T) {
	at := time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	var p Promo
	p.apply(PromoCreated{PromoID: "p1", Stock: 1, StartsAt: at, EndsAt: at.Add(time.Hour)})
	p.apply(ReservationPlaced{ReservationID: "r1", PromoID: "p1", UserID: "ana", ExpiresAt: at.Add(time.Minute)})
	if s := p.Stock(at); s.Held != 1 {
		t.Fatalf("stock %+v", s)
	}
	var u User
	u.apply(UserPurchaseRecorded{UserID: "ana", PurchaseID: "o1", PurchasedAt: at})
	if len(u.Profile().Purchases) != 1 {
		t.Fatal("purchase not folded")
	}
	var l Listing
	l.apply(PromoSlotClaimed{StoreID: "s", ProductID: "x", PromoID: "p1", StartsAt: at, EndsAt: at.Add(time.Hour)})
	if !l.Claimed("p1") {
		t.Fatal("claim not folded")
	}
}
