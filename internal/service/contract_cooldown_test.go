package service

import (
	"net/http"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// reserveAs is a reservation by an admin acting for user.
func (a *testServer) reserveAs(promo, user string) response {
	a.t.Helper()
	return a.send("POST", "/v1/promos/"+promo+"/reservations", map[string]any{"user_id": user}, ctAdmin)
}

// cooling requires 409 hold_cooldown with Retry-After retry seconds.
func (a *testServer) cooling(promo, user, retry string) {
	a.t.Helper()
	r := a.reserveAs(promo, user)
	if r.Status != http.StatusConflict || r.code() != "hold_cooldown" {
		a.t.Fatalf("%s reserves %s: %d %s, want 409 hold_cooldown", user, promo, r.Status, r.Raw)
	}
	if got := r.Header.Get("Retry-After"); got != retry {
		a.t.Errorf("%s reserves %s: Retry-After %q, want %q", user, promo, got, retry)
	}
}

// holds requires a new hold (201) and returns its id.
func (a *testServer) holds(promo, user string) string {
	a.t.Helper()
	r := a.reserveAs(promo, user)
	if r.Status != http.StatusCreated {
		a.t.Fatalf("%s reserves %s: %d %s, want 201", user, promo, r.Status, r.Raw)
	}
	return r.Body["id"].(string)
}

// TestContractReholdCooldown: a hold that ran out unused keeps its user
// from holding that promo again for the cooldown (default the hold TTL);
// others hold the unit at once, and a release or a purchase starts none.
func TestContractReholdCooldown(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0))
		for _, u := range []string{"ana", "bea"} {
			a.register(u, 72*time.Hour, near)
		}
		a.untilKnown("ana", "bea")
		a.activePromo("one", "audifonos-xyz", 1)

		ana := a.holds("one", "ana")
		a.advance(time.Minute)        // ana's hold runs out unused
		a.cooling("one", "ana", "60") // whether or not the sweeper has run
		a.untilEvent("ReservationExpired", "reservation_id", ana)
		a.unchanged("a refusal in the cooldown", func() { a.cooling("one", "ana", "60") })
		bea := a.holds("one", "bea") // the unit is free for the others at once
		a.expect(http.StatusOK, "DELETE", "/v1/reservations/"+bea+"?user_id=bea", nil, ctAdmin)
		bea = a.holds("one", "bea") // a release starts no cooldown
		a.expect(http.StatusOK, "POST", "/v1/reservations/"+bea+"/purchase", map[string]any{"user_id": "bea"}, ctAdmin)
		a.refuse(http.StatusConflict, "already_purchased", "POST", "/v1/promos/one/reservations", map[string]any{"user_id": "bea"}, ctAdmin)

		a.advance(59*time.Second + 500*time.Millisecond)
		a.cooling("one", "ana", "1") // half a second left: rounded up
		a.expect(http.StatusOK, "PUT", "/v1/users/ana/location", far, ctAdmin)
		a.cooling("one", "ana", "1") // before not_eligible
		a.expect(http.StatusOK, "PUT", "/v1/users/ana/location", near, ctAdmin)
		a.advance(500 * time.Millisecond)
		// The cooldown is over: ana meets the next rule, the one unit is sold.
		a.refuse(http.StatusConflict, "sold_out", "POST", "/v1/promos/one/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
	})
}

// TestContractReholdCooldownConfigured: FLASHPROMO_REHOLD_COOLDOWN sets the
// cooldown apart from the hold TTL; 0 turns it off.
func TestContractReholdCooldownConfigured(t *testing.T) {
	for _, c := range []struct {
		name     string
		cooldown time.Duration
	}{{"10s", 10 * time.Second}, {"off", 0}} {
		t.Run(c.name, func(t *testing.T) {
			a := ctStart(t, func(cfg *Config) { cfg.HoldTTL, cfg.ReholdCooldown = 30*time.Second, c.cooldown })
			a.register("ana", 72*time.Hour, near)
			a.untilKnown("ana")
			a.activePromo("p", "audifonos-xyz", 1)
			a.holds("p", "ana")
			a.advance(30 * time.Second)
			if c.cooldown > 0 {
				a.cooling("p", "ana", "10")
				a.advance(c.cooldown)
			}
			a.holds("p", "ana")
		})
	}
}

// TestContractReholdCooldownFromTheLog: the cooldown is decided from the
// promo's events, so it holds whether or not the sweeper recorded the
// expiry, on another instance, and after a restart.
func TestContractReholdCooldownFromTheLog(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	a := startServer(t, clock, onPostgres(url))
	b := startServer(t, clock, onPostgres(url))
	a.register("ana", 72*time.Hour, near)
	a.untilKnown("ana")
	a.activePromo("p", "audifonos-xyz", 1)
	res := a.holds("p", "ana")
	clock.Advance(time.Minute + 20*time.Second)
	a.untilEvent("ReservationExpired", "reservation_id", res)
	b.untilKnown("ana")
	b.cooling("p", "ana", "40")
	a.stop()
	b.stop()

	c := startServer(t, clock, onPostgres(url))
	c.unchanged("a refusal after the restart", func() { c.cooling("p", "ana", "40") })
	clock.Advance(40 * time.Second)
	c.holds("p", "ana")
}

// untilKnown waits until the read models know each user: the command's
// wait for them is bounded, and a loaded machine may take longer.
func (a *testServer) untilKnown(users ...string) {
	a.t.Helper()
	for _, u := range users {
		eventually(a.t, "the read models know "+u, func() bool {
			r, err := a.raw("GET", "/v1/users/"+u, nil, ctAdmin)
			return err == nil && r.Status == http.StatusOK && r.Body["location"] != nil
		})
	}
}
