package service

import (
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"
)

// TestContractStory is the seed's example as a client lives it: TechShop
// sells Audífonos XYZ at $499 instead of $999 to new users and frequent
// buyers within 2 km, from one hour from now for two hours.
func TestContractStory(t *testing.T) {
	a := ctStart(t)
	const day = 24 * time.Hour
	starts, ends := t0.Add(time.Hour), t0.Add(3*time.Hour)

	view := a.createPromo("audifonos-buen-fin", promoBody(starts, ends, 50))
	t.Run("the created promo echoes its body", func(t *testing.T) {
		ctHasKeys(t, "promo view", view, "id", "store", "product", "regular_price", "promo_price", "segments",
			"radius_m", "starts_at", "ends_at", "status", "stock", "notifications", "version")
		for path, want := range map[string]any{
			"id": "audifonos-buen-fin", "store.id": "techshop", "store.name": "TechShop",
			"store.location.lat": 19.4326, "store.location.lng": -99.1332,
			"product.id": "audifonos-xyz", "product.name": "Audífonos XYZ",
			"regular_price.amount": 99900.0, "regular_price.currency": "MXN",
			"promo_price.amount": 49900.0, "promo_price.currency": "MXN",
			"radius_m": 2000.0, "status": "scheduled",
			"stock.total": 50.0, "stock.held": 0.0, "stock.sold": 0.0, "stock.available": 50.0,
			"notifications.sent": 0.0,
		} {
			if got := ctAt(view, path); got != want {
				t.Errorf("%s = %v, want %v", path, got, want)
			}
		}
		if segs, _ := view["segments"].([]any); len(segs) != 2 || segs[0] != "new_users" || segs[1] != "frequent_buyers" {
			t.Errorf("segments = %v, want [new_users frequent_buyers]", view["segments"])
		}
		if got := ctParseTime(t, view["starts_at"]); !got.Equal(starts) {
			t.Errorf("starts_at = %v, want %v", got, starts)
		}
		if got := ctParseTime(t, view["ends_at"]); !got.Equal(ends) {
			t.Errorf("ends_at = %v, want %v", got, ends)
		}
	})

	// The users and the behaviour their segments come from.
	a.register("ana", 3*day, near)   // new, near
	a.register("beto", 3*day, far)   // new, far
	a.register("caro", 60*day, near) // frequent buyer, near
	a.register("dani", 60*day, near) // neither, near
	a.register("eli", 3*day, nil)    // new, no location
	a.register("fede", 60*day, near) // registered long ago, never bought: not new
	for i, ago := range []time.Duration{day, 2 * day, 3 * day} {
		a.bought("caro", "order-c"+string(rune('1'+i)), a.now().Add(-ago))
	}
	// Reported twice, it counts once; the reply is the user view.
	if u := a.bought("caro", "order-c1", a.now().Add(-day)); u["recent_purchases"] != 3.0 || fmt.Sprint(u["segments"]) != "[frequent_buyers]" {
		t.Errorf("purchase reply = %v, want caro with 3 recent purchases, a frequent buyer", u)
	}
	a.bought("dani", "order-d1", a.now().Add(-5*day))
	a.bought("dani", "order-d0", a.now().Add(-40*day)) // out of the 30-day window

	t.Run("user views show segments and recent purchases", func(t *testing.T) {
		a := a.with(t)
		for _, c := range []struct {
			user     string
			segments []string
			recent   int
			located  bool
		}{
			{"ana", []string{"new_users"}, 0, true},
			{"beto", []string{"new_users"}, 0, true},
			{"caro", []string{"frequent_buyers"}, 3, true},
			{"dani", []string{}, 1, true},
			{"eli", []string{"new_users"}, 0, false},
			{"fede", []string{}, 0, true},
		} {
			u := a.user(c.user)
			ctHasKeys(t, c.user, u, "user_id", "registered_at", "location", "recent_purchases", "segments")
			if u["user_id"] != c.user {
				t.Errorf("%s: user_id = %v", c.user, u["user_id"])
			}
			segs, ok := u["segments"].([]any)
			if !ok || len(segs) != len(c.segments) {
				t.Errorf("%s: segments = %v, want %v", c.user, u["segments"], c.segments)
			} else {
				for i := range segs {
					if segs[i] != c.segments[i] {
						t.Errorf("%s: segments = %v, want %v", c.user, segs, c.segments)
					}
				}
			}
			if got := ctInt(t, u["recent_purchases"]); got != c.recent {
				t.Errorf("%s: recent_purchases = %d, want %d", c.user, got, c.recent)
			}
			if loc, _ := u["location"].(map[string]any); (loc != nil) != c.located {
				t.Errorf("%s: location = %v, want located %v", c.user, u["location"], c.located)
			}
		}
		if got := ctAt(a.user("ana"), "location.lat"); got != 19.43 {
			t.Errorf("ana's location.lat = %v, want 19.43", got)
		}
	})

	everyone := []string{"ana", "beto", "caro", "dani", "eli", "fede"}
	t.Run("before the start nobody sees it and nobody can reserve", func(t *testing.T) {
		a := a.with(t)
		if got := a.promo("audifonos-buen-fin")["status"]; got != "scheduled" {
			t.Errorf("status = %v, want scheduled", got)
		}
		for _, u := range everyone {
			if ps := a.visible(u, ctQuery(near)); len(ps) != 0 {
				t.Errorf("%s sees %v before the start", u, ctIDs(ps))
			}
		}
		a.refuse(http.StatusConflict, "promo_not_active", "POST", "/v1/promos/audifonos-buen-fin/reservations",
			map[string]any{"user_id": "ana"}, ctAdmin)
	})

	a.advance(time.Hour + time.Second)
	activatedAt := a.now()
	a.untilStatus("audifonos-buen-fin", "active")
	a.untilSent("audifonos-buen-fin", 2)
	a.fanoutDone()

	t.Run("the fan-out notifies eligible users only, once each", func(t *testing.T) {
		a := a.with(t)
		want := map[string]int{"ana": 1, "caro": 1}
		for _, u := range everyone {
			ns := a.notes(u)
			if len(ns) != want[u] {
				t.Errorf("%s has %d notifications, want %d", u, len(ns), want[u])
				continue
			}
			for _, n := range ns {
				ctHasKeys(t, u+"'s notification", n, "id", "promo_id", "sent_at", "title", "body")
				if n["promo_id"] != "audifonos-buen-fin" {
					t.Errorf("%s: promo_id = %v", u, n["promo_id"])
				}
				if id, _ := n["id"].(string); id == "" {
					t.Errorf("%s: notification without an id: %v", u, n)
				}
				if at := ctParseTime(t, n["sent_at"]); !at.Equal(activatedAt) {
					t.Errorf("%s: sent_at = %v, want the fan-out's time %v", u, at, activatedAt)
				}
				for _, f := range []string{"title", "body"} {
					if s, _ := n[f].(string); s == "" {
						t.Errorf("%s: empty %s", u, f)
					}
				}
			}
		}
		if got := ctAt(a.promo("audifonos-buen-fin"), "notifications.sent"); got != 2.0 {
			t.Errorf("notifications.sent = %v, want 2", got)
		}
	})

	t.Run("eligible users see it, with their distance and what is left", func(t *testing.T) {
		a := a.with(t)
		nearM := ctDistance(19.4326, -99.1332, 19.43, -99.13)
		for _, c := range []struct {
			user, query string
			sees        bool
		}{
			{"ana", "", true},
			{"caro", "", true},
			{"beto", "", false},
			{"beto", ctQuery(near), true}, // lat,lng overrides the last known location
			{"ana", ctQuery(far), false},
			{"eli", "", false}, // no location and none given
			{"eli", ctQuery(near), true},
			{"dani", "", false}, // in no segment
			{"dani", ctQuery(near), false},
			{"fede", "", false},
		} {
			ps := a.visible(c.user, c.query)
			if !c.sees {
				if len(ps) != 0 {
					t.Errorf("%s%s sees %v, want none", c.user, c.query, ctIDs(ps))
				}
				continue
			}
			if len(ps) != 1 {
				t.Errorf("%s%s sees %v, want the promo", c.user, c.query, ctIDs(ps))
				continue
			}
			p := ps[0]
			ctHasKeys(t, "visible promo", p, "id", "store", "product", "regular_price", "promo_price", "ends_at", "available", "distance_m")
			if p["id"] != "audifonos-buen-fin" || ctAt(p, "store.id") != "techshop" || ctAt(p, "product.id") != "audifonos-xyz" ||
				ctAt(p, "promo_price.amount") != 49900.0 || ctAt(p, "regular_price.amount") != 99900.0 {
				t.Errorf("%s sees %v", c.user, p)
			}
			if got := ctInt(t, p["available"]); got != 50 {
				t.Errorf("%s: available = %d, want 50", c.user, got)
			}
			if got := ctNum(t, p["distance_m"]); math.Abs(got-nearM) > nearM*0.01 {
				t.Errorf("%s: distance_m = %v, want about %.0f", c.user, got, nearM)
			}
			if got := ctParseTime(t, p["ends_at"]); !got.Equal(ends) {
				t.Errorf("%s: ends_at = %v, want %v", c.user, got, ends)
			}
		}
	})

	t.Run("a reservation lowers what users see available", func(t *testing.T) {
		a := a.with(t)
		if r := a.reserve("audifonos-buen-fin", "ana"); r.Status != http.StatusCreated {
			t.Fatalf("ana reserves: %d %s", r.Status, r.Raw)
		}
		if ps := a.visible("caro", ""); len(ps) != 1 || ctInt(t, ps[0]["available"]) != 49 {
			t.Errorf("caro sees %v, want available 49", ps)
		}
	})

	a.advance(2 * time.Hour)
	a.untilStatus("audifonos-buen-fin", "ended")
	t.Run("after the end nobody sees it and nobody can reserve", func(t *testing.T) {
		a := a.with(t)
		for _, u := range everyone {
			if ps := a.visible(u, ctQuery(near)); len(ps) != 0 {
				t.Errorf("%s sees %v after the end", u, ctIDs(ps))
			}
		}
		a.refuse(http.StatusConflict, "promo_not_active", "POST", "/v1/promos/audifonos-buen-fin/reservations",
			map[string]any{"user_id": "caro"}, ctAdmin)
		a.untilEvent("PromoEnded", "promo_id", "audifonos-buen-fin")
		ended := ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos?status=ended", nil, ctAdmin).Body["promos"])
		if !ctContains(ended, "audifonos-buen-fin") {
			t.Errorf("?status=ended lists %v", ctIDs(ended))
		}
		active := ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos?status=active", nil, ctAdmin).Body["promos"])
		if len(active) != 0 {
			t.Errorf("?status=active lists %v after the end", ctIDs(active))
		}
		// Still exactly one notification each: the end sends nothing.
		for u, n := range map[string]int{"ana": 1, "caro": 1, "beto": 0} {
			if got := len(a.notes(u)); got != n {
				t.Errorf("%s has %d notifications, want %d", u, got, n)
			}
		}
	})
}
