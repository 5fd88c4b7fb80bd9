package service

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestContractOneNotificationADay activates promos of different products
// one after another and counts each user's notifications: at most one per
// calendar day of FLASHPROMO_TIMEZONE. t0 is 22:00 UTC, 16:00 in Mexico
// City (UTC-6): UTC's midnight is 18:00 there, Mexico City's is 06:00 UTC.
func TestContractOneNotificationADay(t *testing.T) {
	type step struct {
		starts time.Duration // after t0
		want   int           // notifications each regular user has after it
	}
	for _, c := range []struct {
		name, zone string
		steps      []step
	}{
		{"two promos the same day, a third the next day", "UTC",
			[]step{{time.Minute, 1}, {2 * time.Minute, 1}, {24*time.Hour + 3*time.Minute, 2}}},
		{"two promos the same day, a third the next day, in Mexico City", "America/Mexico_City",
			[]step{{time.Minute, 1}, {2 * time.Minute, 1}, {24*time.Hour + 3*time.Minute, 2}}},
		{"in UTC the day turns at UTC midnight", "UTC",
			[]step{{time.Minute, 1}, {2*time.Hour + 30*time.Minute, 2}, {8*time.Hour + 30*time.Minute, 2}}},
		{"in Mexico City the day turns at Mexico City's midnight", "America/Mexico_City",
			[]step{{time.Minute, 1}, {2*time.Hour + 30*time.Minute, 1}, {8*time.Hour + 30*time.Minute, 2}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := ctStart(t, func(cfg *Config) { cfg.Timezone = c.zone })
			zone, err := time.LoadLocation(c.zone)
			if err != nil {
				t.Fatal(err)
			}
			regulars := []string{"ana", "caro"}
			a.register("ana", 72*time.Hour, near)
			a.register("caro", 60*24*time.Hour, near)
			for i, ago := range []time.Duration{1, 2, 3} {
				a.bought("caro", fmt.Sprint("o", i), t0.Add(-ago*time.Hour))
			}
			for i, s := range c.steps {
				p := fmt.Sprintf("promo-%d", i)
				body := promoBody(t0.Add(s.starts), t0.Add(s.starts+time.Hour), 10)
				a.createPromo(p, ctProduct(body, p))
			}
			for i, s := range c.steps {
				p := fmt.Sprintf("promo-%d", i)
				// A user new to the service, never notified: the fan-out
				// of this promo is over once they have its notification.
				sentinel := fmt.Sprintf("sentinel-%d", i)
				a.register(sentinel, 72*time.Hour, near)
				a.advance(t0.Add(s.starts).Sub(a.now()) + time.Second)
				eventually(t, sentinel+" is notified of "+p, func() bool {
					ns := a.notes(sentinel)
					return len(ns) == 1 && ns[0]["promo_id"] == p
				})
				a.fanoutDone()
				for _, u := range regulars {
					if got := len(a.notes(u)); got != s.want {
						t.Errorf("after %s at %s: %s has %d notifications, want %d",
							p, a.now().In(zone).Format(time.DateTime), u, got, s.want)
					}
				}
			}
			// Every NotificationSent is of its zone's day, and no user has
			// two on one day.
			seen := map[string]bool{}
			for _, e := range a.allEvents("type=NotificationSent") {
				d := ctObject(t, e["data"])
				user, day := d["user_id"].(string), d["day"].(string)
				if want := ctParseTime(t, e["occurred_at"]).In(zone).Format(time.DateOnly); day != want {
					t.Errorf("NotificationSent of %s at %s has day %s, want %s", user, e["occurred_at"], day, want)
				}
				if seen[user+" "+day] {
					t.Errorf("%s has two notifications on %s", user, day)
				}
				seen[user+" "+day] = true
			}
		})
	}
}

// TestContractNotificationFollowsLocationAtActivation notifies by the last
// known location at activation: a user who moved near before the start is
// notified, one who moved away is not.
func TestContractNotificationFollowsLocationAtActivation(t *testing.T) {
	a := ctStart(t)
	a.register("moves-in", 72*time.Hour, far)
	a.register("moves-out", 72*time.Hour, near)
	a.register("stays", 72*time.Hour, near)
	a.createPromo("p", promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 5))
	u := a.expect(http.StatusOK, "PUT", "/v1/users/moves-in/location", near, ctAdmin).Body
	if ctAt(u, "location.lat") != near["lat"] || ctAt(u, "location.lng") != near["lng"] {
		t.Errorf("PUT location answered %v", u)
	}
	a.expect(http.StatusOK, "PUT", "/v1/users/moves-out/location", far, ctAdmin)
	a.advance(time.Minute)
	a.untilSent("p", 2)
	for user, want := range map[string]int{"moves-in": 1, "moves-out": 0, "stays": 1} {
		if got := len(a.notes(user)); got != want {
			t.Errorf("%s has %d notifications, want %d", user, got, want)
		}
	}
}

// TestContractTwoPromosAtOnce: two promos activating at the same moment
// notify each eligible user once in all.
func TestContractTwoPromosAtOnce(t *testing.T) {
	const crowd = 30
	a := ctStart(t)
	users := make([]map[string]any, crowd)
	for i := range users {
		users[i] = map[string]any{"user_id": fmt.Sprintf("u%02d", i), "registered_at": ctTime(t0.Add(-time.Hour)), "location": near}
	}
	a.expect(http.StatusOK, "POST", "/v1/users/batch", map[string]any{"users": users}, ctAdmin)
	for _, p := range []string{"twin-a", "twin-b"} {
		a.createPromo(p, ctProduct(promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 5), p))
	}
	a.advance(time.Minute)
	sent := func() int {
		return ctInt(t, ctAt(a.promo("twin-a"), "notifications.sent")) + ctInt(t, ctAt(a.promo("twin-b"), "notifications.sent"))
	}
	eventually(t, "every user is notified", func() bool { return sent() >= crowd })
	a.untilEvent("PromoActivated", "promo_id", "twin-a")
	a.untilEvent("PromoActivated", "promo_id", "twin-b")
	a.fanoutDone()
	if got := sent(); got != crowd {
		t.Errorf("the two promos sent %d notifications, want %d", got, crowd)
	}
	for i := range crowd {
		if n := len(a.notes(fmt.Sprintf("u%02d", i))); n != 1 {
			t.Errorf("u%02d has %d notifications, want 1", i, n)
		}
	}
	if n := len(a.allEvents("type=NotificationSent")); n != crowd {
		t.Errorf("the log holds %d NotificationSent, want %d", n, crowd)
	}
}
