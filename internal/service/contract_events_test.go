package service

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"testing"
	"time"
)

// ctEventData lists, for every event type of API.md, the data fields it
// names ("at least").
var ctEventData = map[string][]string{
	"PromoCreated":         {"store", "product", "regular_price", "promo_price", "segments", "radius_m", "starts_at", "ends_at", "stock"},
	"PromoActivated":       {"promo_id"},
	"PromoEnded":           {"promo_id"},
	"PromoCancelled":       {"promo_id"},
	"ReservationPlaced":    {"reservation_id", "promo_id", "user_id", "expires_at"},
	"ReservationReleased":  {"reservation_id", "promo_id", "user_id"},
	"ReservationExpired":   {"reservation_id", "promo_id", "user_id"},
	"PurchaseCompleted":    {"reservation_id", "promo_id", "user_id"},
	"UserRegistered":       {"user_id", "registered_at"},
	"UserLocationUpdated":  {"user_id", "location"},
	"UserPurchaseRecorded": {"user_id", "purchase_id", "purchased_at"},
	"NotificationSent":     {"user_id", "promo_id", "day"},
}

// ctEventfulServer produces every event type of API.md.
func ctEventfulServer(t *testing.T) *testServer {
	a := ctStart(t)
	a.register("ana", 72*time.Hour, near)
	a.register("bea", 72*time.Hour, nil)
	a.expect(http.StatusOK, "PUT", "/v1/users/bea/location", near, ctAdmin)
	a.register("cai", 72*time.Hour, near)
	a.register("old", 60*24*time.Hour, far)
	a.bought("old", "order-1", t0.Add(-time.Hour))
	a.createPromo("ev", promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 5))
	a.createPromo("ev-cancelled", ctProduct(promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 5), "other"))
	a.expect(http.StatusOK, "POST", "/v1/promos/ev-cancelled/cancel", nil, ctAdmin)
	a.advance(time.Minute)
	a.untilSent("ev", 3)
	hold := func(user string) string {
		return a.expect(http.StatusCreated, "POST", "/v1/promos/ev/reservations", map[string]any{"user_id": user}, ctAdmin).Body["id"].(string)
	}
	a.expect(http.StatusOK, "POST", "/v1/reservations/"+hold("ana")+"/purchase", map[string]any{"user_id": "ana"}, ctAdmin)
	a.expect(http.StatusOK, "DELETE", "/v1/reservations/"+hold("bea")+"?user_id=bea", nil, ctAdmin)
	expiring := hold("cai")
	a.advance(2 * time.Minute)
	a.untilEvent("ReservationExpired", "reservation_id", expiring)
	a.advance(time.Hour)
	a.untilEvent("PromoEnded", "promo_id", "ev")
	return a
}

func TestContractEventLog(t *testing.T) {
	a := ctEventfulServer(t)
	all := a.allEvents("")

	t.Run("paging with after=next_after gives every event once, in order", func(t *testing.T) {
		a := a.with(t)
		for _, limit := range []int{1, 3, 7, 1000} {
			var paged []map[string]any
			after := int64(0)
			for pages := 0; ; pages++ {
				if pages > len(all)+1 {
					t.Fatalf("limit %d: paging does not end", limit)
				}
				r := a.expect(http.StatusOK, "GET", fmt.Sprintf("/v1/events?after=%d&limit=%d", after, limit), nil, ctAdmin)
				page := ctObjects(t, r.Body["events"])
				next := int64(ctInt(t, r.Body["next_after"]))
				if len(page) > limit {
					t.Fatalf("limit %d: a page of %d", limit, len(page))
				}
				if len(page) == 0 {
					if next != after {
						t.Errorf("empty page after %d: next_after = %d, want %d", after, next, after)
					}
					break
				}
				if last := int64(ctInt(t, page[len(page)-1]["position"])); next != last {
					t.Errorf("next_after = %d, want the last position returned %d", next, last)
				}
				paged = append(paged, page...)
				after = next
			}
			if ctJSON(map[string]any{"e": paged}, "") != ctJSON(map[string]any{"e": all}, "") {
				t.Errorf("limit %d: paging gave %d events, one read %d, or they differ", limit, len(paged), len(all))
			}
		}
		r := a.expect(http.StatusOK, "GET", "/v1/events", nil, ctAdmin) // default limit 1000
		if got := len(ctObjects(t, r.Body["events"])); got != len(all) {
			t.Errorf("default page holds %d events, want all %d", got, len(all))
		}
	})

	t.Run("envelopes", func(t *testing.T) {
		ids := map[string]bool{}
		versions := map[string]int{}
		types := map[string]int{}
		var lastPos float64
		for i, e := range all {
			if got := ctKeys(e); !slices.Equal(got, []string{"data", "id", "metadata", "occurred_at", "position", "stream_id", "type", "version"}) {
				t.Errorf("event %d has keys %v", i, got)
			}
			// v1.1: who asked. The operator made every request of this log;
			// the service's own work (activation, fan-out) is "system".
			meta := ctObject(t, e["metadata"])
			requestID, _ := meta["request_id"].(string)
			switch actor := meta["actor"]; {
			case actor == "admin-token" && meta["role"] == "admin" && requestID != "":
			case actor == "system" && meta["role"] == "system":
			default:
				t.Errorf("event %d (%v) has metadata %v", i, e["type"], meta)
			}
			id, _ := e["id"].(string)
			stream, _ := e["stream_id"].(string)
			typ, _ := e["type"].(string)
			if id == "" || stream == "" || typ == "" || ids[id] {
				t.Errorf("event %d: id %q (seen %v), stream %q, type %q", i, id, ids[id], stream, typ)
			}
			ids[id] = true
			if pos := ctNum(t, e["position"]); pos <= lastPos {
				t.Errorf("event %d: position %v after %v", i, pos, lastPos)
			} else {
				lastPos = pos
			}
			versions[stream]++
			if v := ctInt(t, e["version"]); v != versions[stream] {
				t.Errorf("event %d of %s: version %d, want %d", i, stream, v, versions[stream])
			}
			ctParseTime(t, e["occurred_at"])
			types[typ]++
			data := ctObject(t, e["data"])
			ctHasKeys(t, typ+" data", data, ctEventData[typ]...)
		}
		for typ := range ctEventData {
			if types[typ] == 0 {
				t.Errorf("no %s in the log", typ)
			}
		}
		for typ := range types {
			if _, ok := ctEventData[typ]; !ok {
				t.Logf("NOTE: the log holds %d events of type %s, which API.md does not list", types[typ], typ)
			}
		}
	})

	t.Run("data holds the facts", func(t *testing.T) {
		a := a.with(t)
		day := regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
		for _, e := range all {
			d := ctObject(t, e["data"])
			switch e["type"] {
			case "PromoCreated":
				if d["promo_id"] != "ev" {
					continue
				}
				if ctAt(d, "store.id") != "techshop" || ctAt(d, "product.id") != "audifonos-xyz" ||
					ctAt(d, "promo_price.amount") != 49900.0 || d["radius_m"] != 2000.0 || d["stock"] != 5.0 ||
					!ctParseTime(t, d["starts_at"]).Equal(t0.Add(time.Minute)) {
					t.Errorf("PromoCreated data = %v", d)
				}
			case "ReservationPlaced":
				r := a.reservation(d["reservation_id"].(string))
				if d["promo_id"] != "ev" || d["user_id"] != r["user_id"] ||
					!ctParseTime(t, d["expires_at"]).Equal(ctParseTime(t, r["expires_at"])) {
					t.Errorf("ReservationPlaced data = %v, reservation %v", d, r)
				}
			case "UserLocationUpdated":
				if loc := ctObject(t, d["location"]); loc["lat"] == nil || loc["lng"] == nil {
					t.Errorf("UserLocationUpdated data = %v", d)
				}
			case "UserPurchaseRecorded":
				if d["user_id"] != "old" || d["purchase_id"] != "order-1" || !ctParseTime(t, d["purchased_at"]).Equal(t0.Add(-time.Hour)) {
					t.Errorf("UserPurchaseRecorded data = %v", d)
				}
			case "NotificationSent":
				if s, _ := d["day"].(string); !day.MatchString(s) || d["promo_id"] != "ev" {
					t.Errorf("NotificationSent data = %v", d)
				}
			case "UserRegistered":
				ctParseTime(t, d["registered_at"])
			}
		}
	})

	t.Run("a promo's version is its stream's", func(t *testing.T) {
		a := a.with(t)
		for _, id := range []string{"ev", "ev-cancelled"} {
			stream, last := "", 0
			for _, e := range all {
				if e["type"] == "PromoCreated" && ctAt(e, "data.promo_id") == id {
					stream = e["stream_id"].(string)
				}
				if stream != "" && e["stream_id"] == stream {
					last = ctInt(t, e["version"])
				}
			}
			if got := ctInt(t, a.promo(id)["version"]); stream == "" || got != last {
				t.Errorf("promo %s: version %d, its stream %q is at %d", id, got, stream, last)
			}
		}
	})

	t.Run("stream and type filters", func(t *testing.T) {
		a := a.with(t)
		var stream string
		for _, e := range all {
			if e["type"] == "ReservationPlaced" {
				stream = e["stream_id"].(string)
			}
		}
		for _, c := range []struct{ query, stream, typ string }{
			{"stream=" + stream, stream, ""},
			{"type=ReservationPlaced", "", "ReservationPlaced"},
			{"type=NotificationSent", "", "NotificationSent"},
			{"stream=" + stream + "&type=PurchaseCompleted", stream, "PurchaseCompleted"},
		} {
			var want []map[string]any
			for _, e := range all {
				if (c.stream == "" || e["stream_id"] == c.stream) && (c.typ == "" || e["type"] == c.typ) {
					want = append(want, e)
				}
			}
			got := a.allEvents(c.query)
			if len(want) == 0 || ctJSON(map[string]any{"e": got}, "") != ctJSON(map[string]any{"e": want}, "") {
				t.Errorf("%s: %d events, want %d", c.query, len(got), len(want))
			}
			// Paging a filtered read one event at a time gives the same.
			var paged []map[string]any
			after := 0
			for {
				r := a.expect(http.StatusOK, "GET", fmt.Sprintf("/v1/events?limit=1&after=%d&%s", after, c.query), nil, ctAdmin)
				page := ctObjects(t, r.Body["events"])
				if len(page) == 0 {
					break
				}
				paged = append(paged, page...)
				after = ctInt(t, r.Body["next_after"])
			}
			if len(paged) != len(want) {
				t.Errorf("%s paged one by one: %d events, want %d", c.query, len(paged), len(want))
			}
		}
		if got := a.allEvents("stream=no-such-stream"); len(got) != 0 {
			t.Errorf("unknown stream: %d events", len(got))
		}
	})
}

func TestContractProjections(t *testing.T) {
	a := ctEventfulServer(t)
	head := ctInt(t, a.allEvents("")[len(a.allEvents(""))-1]["position"])

	list := func(a *testServer) []map[string]any {
		return ctObjects(a.t, a.expect(http.StatusOK, "GET", "/v1/admin/projections", nil, ctAdmin).Body["projections"])
	}
	allLive := func(a *testServer) bool {
		for _, p := range list(a) {
			if p["status"] != "live" || ctNum(a.t, p["lag"]) != 0 {
				return false
			}
		}
		return true
	}
	t.Run("each projection has a name, position, lag and status", func(t *testing.T) {
		a := a.with(t)
		eventually(t, "every projection is live and caught up", func() bool { return allLive(a) })
		ps := list(a)
		var names []string
		for _, p := range ps {
			ctHasKeys(t, "projection", p, "name", "position", "lag", "status")
			names = append(names, p["name"].(string))
			if got := ctInt(t, p["position"]); got != head {
				t.Errorf("%s at position %d, want the head %d", p["name"], got, head)
			}
		}
		if len(ps) == 0 {
			t.Fatal("no projections")
		}
		t.Logf("projections: %v", names)
	})

	// What clients read, before and after rebuilds.
	snapshot := func(a *testServer) string {
		out := map[string]any{}
		out["promo"] = a.promo("ev")
		out["cancelled"] = a.promo("ev-cancelled")
		out["list"] = a.expect(http.StatusOK, "GET", "/v1/promos", nil, ctAdmin).Body
		for _, u := range []string{"ana", "bea", "cai", "old"} {
			out["user "+u] = a.user(u)
			out["notes "+u] = a.notes(u)
			out["sees "+u] = a.visible(u, "")
		}
		for _, e := range a.allEvents("type=ReservationPlaced") {
			id := ctAt(e, "data.reservation_id").(string)
			out["reservation "+id] = a.reservation(id)
		}
		data, _ := json.MarshalIndent(out, "", " ")
		return string(data)
	}
	before := snapshot(a)

	for _, p := range list(a) {
		name := p["name"].(string)
		t.Run("rebuild "+name, func(t *testing.T) {
			a := a.with(t)
			r := a.expect(http.StatusAccepted, "POST", "/v1/admin/projections/"+name+"/rebuild", nil, ctAdmin)
			_ = r
			// Queries keep answering while it rebuilds.
			if got := snapshot(a); got != before {
				t.Errorf("while rebuilding %s the answers changed:\n%s\nwant\n%s", name, got, before)
			}
			eventually(t, name+" is live again", func() bool { return allLive(a) })
			if got := snapshot(a); got != before {
				t.Errorf("after rebuilding %s the answers changed:\n%s\nwant\n%s", name, got, before)
			}
		})
	}
	t.Run("rebuild every projection at once", func(t *testing.T) {
		a := a.with(t)
		for _, p := range list(a) {
			a.expect(http.StatusAccepted, "POST", "/v1/admin/projections/"+p["name"].(string)+"/rebuild", nil, ctAdmin)
			a.expect(http.StatusAccepted, "POST", "/v1/admin/projections/"+p["name"].(string)+"/rebuild", nil, ctAdmin)
		}
		eventually(t, "every projection is live again", func() bool { return allLive(a) })
		if got := snapshot(a); got != before {
			t.Errorf("after rebuilding all the answers changed:\n%s\nwant\n%s", got, before)
		}
		// And the rebuilt models keep following the log.
		a.expect(http.StatusOK, "PUT", "/v1/users/ana/location", far, ctAdmin)
		if got := ctAt(a.user("ana"), "location.lat"); got != far["lat"] {
			t.Errorf("after the rebuild ana's location.lat = %v, want %v", got, far["lat"])
		}
	})
	t.Run("rebuild all: one request, one reader for every copy", func(t *testing.T) {
		a := a.with(t)
		was := snapshot(a) // ana has moved since before
		a.expect(http.StatusAccepted, "POST", "/v1/admin/projections/all/rebuild", nil, ctAdmin)
		if got := snapshot(a); got != was {
			t.Errorf("while rebuilding all the answers changed:\n%s\nwant\n%s", got, was)
		}
		eventually(t, "every projection is live again", func() bool { return allLive(a) })
		if got := snapshot(a); got != was {
			t.Errorf("after rebuilding all the answers changed:\n%s\nwant\n%s", got, was)
		}
		if names := len(list(a)); names != 3 {
			t.Errorf("%d projections listed after rebuilding all, want 3 (all is no projection)", names)
		}
	})
	t.Run("an unknown projection is 404", func(t *testing.T) {
		a := a.with(t)
		a.refuse(http.StatusNotFound, "not_found", "POST", "/v1/admin/projections/no-such-model/rebuild", nil, ctAdmin)
	})
}
