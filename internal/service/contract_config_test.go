package service

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// TestContractSegmentsMoveWithTime: segments are evaluated when read, by
// the configured rules, so a user leaves a segment as time passes.
func TestContractSegmentsMoveWithTime(t *testing.T) {
	const day = 24 * time.Hour
	for _, c := range []struct {
		name                 string
		rules                domain.SegmentRules
		newDays, win, minBuy int
	}{
		{"default rules", domain.DefaultSegmentRules(), 30, 30, 3},
		{"configured rules", domain.SegmentRules{NewUserDays: 7, FrequentMinPurchases: 2, FrequentWindowDays: 10}, 7, 10, 2},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := ctStart(t, func(cfg *Config) { cfg.Rules = c.rules })
			newDays := time.Duration(c.newDays) * day
			win := time.Duration(c.win) * day
			a.register("fresh", newDays-time.Minute, near)
			a.register("old", newDays, near) // exactly N days: not "less than"
			a.register("buyer", 100*day, near)
			for i := range c.minBuy { // the oldest leaves the window in a minute
				a.bought("buyer", fmt.Sprint("o", i), a.now().Add(-win+time.Minute+time.Duration(i)*time.Second))
			}
			a.register("new-buyer", day, near)
			a.bought("new-buyer", "first", a.now().Add(-time.Hour)) // a purchase: no longer new

			segs := func(u string) string { return fmt.Sprint(a.user(u)["segments"]) }
			for u, want := range map[string]string{"fresh": "[new_users]", "old": "[]", "buyer": "[frequent_buyers]", "new-buyer": "[]"} {
				if got := segs(u); got != want {
					t.Errorf("%s: segments %s, want %s", u, got, want)
				}
			}
			if got := ctInt(t, a.user("buyer")["recent_purchases"]); got != c.minBuy {
				t.Errorf("buyer: recent_purchases %d, want %d", got, c.minBuy)
			}
			a.advance(time.Minute)
			for u, want := range map[string]string{"fresh": "[]", "buyer": "[]"} {
				if got := segs(u); got != want {
					t.Errorf("a minute later %s: segments %s, want %s", u, got, want)
				}
			}
			if got := ctInt(t, a.user("buyer")["recent_purchases"]); got != c.minBuy-1 {
				t.Errorf("a minute later buyer: recent_purchases %d, want %d", got, c.minBuy-1)
			}
		})
	}
}

// TestContractRadius: a user sees a promo when less than radius_m away.
func TestContractRadius(t *testing.T) {
	a := ctStart(t)
	a.register("near", 72*time.Hour, near) // about 443 m from TechShop
	a.register("far", 72*time.Hour, far)   // about 11 km
	nearM := ctDistance(19.4326, -99.1332, 19.43, -99.13)
	for _, r := range []struct {
		id     string
		radius float64
	}{{"r-short", nearM - 2}, {"r-long", nearM + 2}, {"r-max", 50000}} {
		body := ctSet(promoBody(t0.Add(-time.Minute), t0.Add(time.Hour), 5), "radius_m", r.radius)
		a.createPromo(r.id, ctProduct(body, r.id))
	}
	for user, want := range map[string]string{"near": "[r-long r-max]", "far": "[r-max]"} {
		ps := a.visible(user, "")
		got := ctIDs(ps)
		if len(got) == 2 && got[0] > got[1] {
			got[0], got[1] = got[1], got[0]
		}
		if fmt.Sprint(got) != want {
			t.Errorf("%s sees %v, want %s", user, got, want)
		}
	}
	a.refuse(http.StatusForbidden, "not_eligible", "POST", "/v1/promos/r-short/reservations", map[string]any{"user_id": "near"}, ctAdmin)
	a.expect(http.StatusCreated, "POST", "/v1/promos/r-long/reservations", map[string]any{"user_id": "near"}, ctAdmin)
	a.expect(http.StatusCreated, "POST", "/v1/promos/r-max/reservations", map[string]any{"user_id": "far"}, ctAdmin)
}

// TestContractHoldTTLIsConfigured: expires_at = now + FLASHPROMO_HOLD_TTL,
// and the hold lasts exactly that long.
func TestContractHoldTTLIsConfigured(t *testing.T) {
	a := ctStart(t, func(c *Config) { c.HoldTTL = 5 * time.Minute })
	a.register("ana", 72*time.Hour, near)
	a.activePromo("p", "p", 1)
	r := a.expect(http.StatusCreated, "POST", "/v1/promos/p/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
	id := r.Body["id"].(string)
	if got, want := ctParseTime(t, r.Body["expires_at"]), a.now().Add(5*time.Minute); !got.Equal(want) {
		t.Errorf("expires_at = %v, want %v", got, want)
	}
	a.advance(5*time.Minute - time.Second)
	if got := a.reservation(id)["status"]; got != "held" {
		t.Errorf("a second before expires_at: %v, want held", got)
	}
	if s := a.stock("p"); s != [4]int{1, 1, 0, 0} {
		t.Errorf("stock %v, want [1 1 0 0]", s)
	}
	a.advance(time.Second)
	if got := a.reservation(id)["status"]; got != "expired" {
		t.Errorf("at expires_at: %v, want expired", got)
	}
	if s := a.stock("p"); s != [4]int{1, 0, 0, 1} {
		t.Errorf("stock %v, want [1 0 0 1]", s)
	}
}
