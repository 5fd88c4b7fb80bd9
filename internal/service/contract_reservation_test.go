package service

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestContractReservations walks one promo of two units through holds,
// purchases, releases and an expiry, checking stock after each step.
func TestContractReservations(t *testing.T) {
	a := ctStart(t)
	for _, u := range []string{"ana", "bea", "cai", "dan"} {
		a.register(u, 72*time.Hour, near)
	}
	a.register("far-fabi", 72*time.Hour, far)
	a.activePromo("two-units", "audifonos-xyz", 2)
	const promo = "/v1/promos/two-units"

	stockIs := func(t *testing.T, want [4]int) {
		t.Helper()
		if got := a.with(t).stock("two-units"); got != want {
			t.Errorf("stock total/held/sold/available = %v, want %v", got, want)
		}
	}
	owner := func(user string) map[string]any { return map[string]any{"user_id": user} }

	var anaRes string
	t.Run("a hold is 201 held, at the promo price, for the hold TTL", func(t *testing.T) {
		a := a.with(t)
		r := a.expect(http.StatusCreated, "POST", promo+"/reservations", owner("ana"), ctAdmin)
		ctHasKeys(t, "reservation", r.Body, "id", "promo_id", "user_id", "status", "price", "expires_at")
		anaRes, _ = r.Body["id"].(string)
		if anaRes == "" || r.Body["promo_id"] != "two-units" || r.Body["user_id"] != "ana" || r.Body["status"] != "held" {
			t.Errorf("reservation = %s", r.Raw)
		}
		if ctAt(r.Body, "price.amount") != 49900.0 || ctAt(r.Body, "price.currency") != "MXN" {
			t.Errorf("price = %v, want 49900 MXN", r.Body["price"])
		}
		if got, want := ctParseTime(t, r.Body["expires_at"]), a.now().Add(time.Minute); !got.Equal(want) {
			t.Errorf("expires_at = %v, want now + 60s = %v", got, want)
		}
		stockIs(t, [4]int{2, 1, 0, 1})
	})
	if anaRes == "" {
		t.FailNow()
	}
	anaPath := "/v1/reservations/" + anaRes

	t.Run("the same user again gets 200 and the same hold", func(t *testing.T) {
		a := a.with(t)
		r := a.expect(http.StatusOK, "POST", promo+"/reservations", owner("ana"), ctAdmin)
		if r.Body["id"] != anaRes || r.Body["status"] != "held" {
			t.Errorf("second reserve = %s, want the hold %s", r.Raw, anaRes)
		}
		stockIs(t, [4]int{2, 1, 0, 1})
	})

	t.Run("only the owner buys; buying twice is 200", func(t *testing.T) {
		a := a.with(t)
		a.refuse(http.StatusForbidden, "not_owner", "POST", anaPath+"/purchase", owner("bea"), ctAdmin)
		stockIs(t, [4]int{2, 1, 0, 1})
		for range 2 {
			r := a.expect(http.StatusOK, "POST", anaPath+"/purchase", owner("ana"), ctAdmin)
			if r.Body["status"] != "purchased" || r.Body["id"] != anaRes {
				t.Errorf("purchase = %s", r.Raw)
			}
		}
		if got := a.reservation(anaRes)["status"]; got != "purchased" {
			t.Errorf("GET status = %v, want purchased", got)
		}
		stockIs(t, [4]int{2, 0, 1, 1})
		a.refuse(http.StatusForbidden, "not_owner", "POST", anaPath+"/purchase", owner("bea"), ctAdmin)
		a.refuse(http.StatusConflict, "already_purchased", "POST", promo+"/reservations", owner("ana"), ctAdmin)
		stockIs(t, [4]int{2, 0, 1, 1})
		// Only the marketplace's /purchases change segments.
		u := a.user("ana")
		if ctInt(t, u["recent_purchases"]) != 0 || fmt.Sprint(u["segments"]) != "[new_users]" {
			t.Errorf("after a Flash Promo purchase ana is %v, want still new_users with 0 recent purchases", u)
		}
	})

	var bea string
	t.Run("a released hold cannot be bought and frees its unit", func(t *testing.T) {
		a := a.with(t)
		r := a.expect(http.StatusCreated, "POST", promo+"/reservations", owner("bea"), ctAdmin)
		bea = "/v1/reservations/" + r.Body["id"].(string)
		stockIs(t, [4]int{2, 1, 1, 0})
		a.refuse(http.StatusBadRequest, "invalid_request", "DELETE", bea, nil, ctAdmin)
		a.refuse(http.StatusForbidden, "not_owner", "DELETE", bea+"?user_id=ana", nil, ctAdmin)
		stockIs(t, [4]int{2, 1, 1, 0})
		if r := a.expect(http.StatusOK, "DELETE", bea+"?user_id=bea", nil, ctAdmin); r.Body["status"] != "released" {
			t.Errorf("release = %s", r.Raw)
		}
		stockIs(t, [4]int{2, 0, 1, 1})
		a.refuse(http.StatusConflict, "reservation_closed", "POST", bea+"/purchase", owner("bea"), ctAdmin)
		a.refuse(http.StatusForbidden, "not_owner", "POST", bea+"/purchase", owner("ana"), ctAdmin) // the owner check comes first
		if got := a.reservation(r.Body["id"].(string))["status"]; got != "released" {
			t.Errorf("GET status = %v, want released", got)
		}
		stockIs(t, [4]int{2, 0, 1, 1})
	})

	var caiRes string
	t.Run("sold out while every unit is held or sold; eligibility comes first", func(t *testing.T) {
		a := a.with(t)
		r := a.expect(http.StatusCreated, "POST", promo+"/reservations", owner("cai"), ctAdmin)
		caiRes = r.Body["id"].(string)
		stockIs(t, [4]int{2, 1, 1, 0})
		a.refuse(http.StatusConflict, "sold_out", "POST", promo+"/reservations", owner("dan"), ctAdmin)
		a.refuse(http.StatusForbidden, "not_eligible", "POST", promo+"/reservations", owner("far-fabi"), ctAdmin)
		a.refuse(http.StatusForbidden, "not_eligible", "POST", promo+"/reservations", owner("nobody-known"), ctAdmin)
		a.refuse(http.StatusConflict, "already_purchased", "POST", promo+"/reservations", owner("ana"), ctAdmin)
	})
	if caiRes == "" {
		t.FailNow()
	}

	t.Run("an expired hold frees its unit at once and cannot be bought", func(t *testing.T) {
		a := a.with(t)
		a.advance(time.Minute) // exactly expires_at: the hold has run out
		if got := a.reservation(caiRes)["status"]; got != "expired" {
			t.Errorf("GET status = %v, want expired", got)
		}
		stockIs(t, [4]int{2, 0, 1, 1})
		a.refuse(http.StatusGone, "reservation_expired", "POST", "/v1/reservations/"+caiRes+"/purchase", owner("cai"), ctAdmin)
		a.refuse(http.StatusForbidden, "not_owner", "POST", "/v1/reservations/"+caiRes+"/purchase", owner("dan"), ctAdmin)
		r := a.expect(http.StatusCreated, "POST", promo+"/reservations", owner("dan"), ctAdmin)
		if r.Body["id"] == caiRes {
			t.Errorf("dan got cai's reservation")
		}
		stockIs(t, [4]int{2, 1, 1, 0})
		e := a.untilEvent("ReservationExpired", "reservation_id", caiRes)
		if d := ctObject(t, e["data"]); d["promo_id"] != "two-units" || d["user_id"] != "cai" {
			t.Errorf("ReservationExpired data = %v", d)
		}
		// Past their expires_at, closed holds answer as they were closed:
		// released stays reservation_closed, purchased stays purchased.
		a.refuse(http.StatusConflict, "reservation_closed", "POST", bea+"/purchase", owner("bea"), ctAdmin)
		if r := a.expect(http.StatusOK, "POST", anaPath+"/purchase", owner("ana"), ctAdmin); r.Body["status"] != "purchased" {
			t.Errorf("ana's purchase again after expires_at = %s", r.Raw)
		}
		if got := a.reservation(anaRes)["status"]; got != "purchased" {
			t.Errorf("ana's reservation after expires_at: %v, want purchased", got)
		}
		// Recorded or not, the answers stay the same.
		if got := a.reservation(caiRes)["status"]; got != "expired" {
			t.Errorf("GET status after the sweep = %v, want expired", got)
		}
		a.refuse(http.StatusGone, "reservation_expired", "POST", "/v1/reservations/"+caiRes+"/purchase", owner("cai"), ctAdmin)
		stockIs(t, [4]int{2, 1, 1, 0})
	})

	t.Run("a user whose hold expired may hold again after the cooldown", func(t *testing.T) {
		a := a.with(t)
		a.expect(http.StatusOK, "DELETE", "/v1/reservations/"+ctLastHold(a, "dan")+"?user_id=dan", nil, ctAdmin)
		r := a.refuse(http.StatusConflict, "hold_cooldown", "POST", promo+"/reservations", owner("cai"), ctAdmin)
		if got := r.Header.Get("Retry-After"); got != "60" {
			t.Errorf("Retry-After %q, want 60 (the cooldown is the hold TTL)", got)
		}
		a.advance(time.Minute)
		r = a.expect(http.StatusCreated, "POST", promo+"/reservations", owner("cai"), ctAdmin)
		if r.Body["id"] == caiRes || r.Body["status"] != "held" {
			t.Errorf("cai's new hold = %s", r.Raw)
		}
	})

	t.Run("unknown promo and reservation are 404", func(t *testing.T) {
		a := a.with(t)
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/promos/no-such-promo", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "POST", "/v1/promos/no-such-promo/reservations", owner("ana"), ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/reservations/no-such-hold", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "POST", "/v1/reservations/no-such-hold/purchase", owner("ana"), ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "DELETE", "/v1/reservations/no-such-hold?user_id=ana", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "POST", "/v1/promos/no-such-promo/cancel", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/users/no-such-user", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/users/no-such-user/promos", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/users/no-such-user/notifications", nil, ctAdmin)
	})
}

// ctLastHold is the id of the user's latest ReservationPlaced.
func ctLastHold(a *testServer, user string) string {
	a.t.Helper()
	id := ""
	for _, e := range a.allEvents("type=ReservationPlaced") {
		if d := ctObject(a.t, e["data"]); d["user_id"] == user {
			id, _ = d["reservation_id"].(string)
		}
	}
	if id == "" {
		a.t.Fatalf("%s has no reservation in the log", user)
	}
	return id
}

// TestContractReservationChecksInOrder checks that where several rules
// refuse a reservation, the first in API.md's order decides.
func TestContractReservationChecksInOrder(t *testing.T) {
	a := ctStart(t)
	a.register("near-new", 72*time.Hour, near)
	a.register("far-new", 72*time.Hour, far)
	a.createPromo("later", ctProduct(promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 1), "later"))
	a.activePromo("one", "one", 1)
	a.expect(http.StatusCreated, "POST", "/v1/promos/one/reservations", map[string]any{"user_id": "near-new"}, ctAdmin)
	// Cancelled before it starts, so the scheduler never activates it.
	a.createPromo("gone", ctProduct(promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 1), "gone"))
	a.expect(http.StatusOK, "POST", "/v1/promos/gone/cancel", nil, ctAdmin)
	// The fan-out of "one" is the last background write; the refusals below
	// must leave the log as they find it.
	a.untilSent("one", 1)

	for _, c := range []struct {
		name, promo, user string
		status            int
		code              string
	}{
		{"not active beats not eligible", "later", "far-new", http.StatusConflict, "promo_not_active"},
		{"not active beats unknown user", "later", "who", http.StatusConflict, "promo_not_active"},
		{"cancelled beats not eligible", "gone", "far-new", http.StatusConflict, "promo_not_active"},
		{"unknown promo beats everything", "none", "who", http.StatusNotFound, "not_found"},
		{"not eligible beats sold out", "one", "far-new", http.StatusForbidden, "not_eligible"},
		{"unknown user beats sold out", "one", "who", http.StatusForbidden, "not_eligible"},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := a.with(t)
			a.unchanged(c.name, func() {
				a.refuse(c.status, c.code, "POST", "/v1/promos/"+c.promo+"/reservations", map[string]any{"user_id": c.user}, ctAdmin)
			})
		})
	}
	t.Run("the holder's retry beats sold out", func(t *testing.T) {
		a := a.with(t)
		a.expect(http.StatusOK, "POST", "/v1/promos/one/reservations", map[string]any{"user_id": "near-new"}, ctAdmin)
	})
}
