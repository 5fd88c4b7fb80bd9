package service

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// ctErrCase is a request the service must refuse, changing nothing.
type ctErrCase struct {
	name, method, path string
	body               any
	auth               string
	status             int
	code               string
	says               string // the message names this, when set
}

// ctRefuseAll runs every case as a subtest and checks the log is unchanged.
func ctRefuseAll(t *testing.T, a *testServer, cases []ctErrCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := a.with(t)
			a.unchanged(c.name, func() {
				r := a.refuse(c.status, c.code, c.method, c.path, c.body, c.auth)
				if msg := ctAt(r.Body, "error.message").(string); c.says != "" && !strings.Contains(msg, c.says) {
					t.Errorf("message %q does not name %q", msg, c.says)
				}
			})
		})
	}
}

// ctJSON marshals v and appends suffix.
func ctJSON(v any, suffix string) string {
	data, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(data) + suffix
}

// ctHuge is a valid JSON body of more than 1 MiB.
func ctHuge(v map[string]any) string {
	v = ctClone(v)
	v["padding"] = strings.Repeat("x", 1<<20+10)
	return ctJSON(v, "")
}

// ctErrorServer has users, an active promo whose fan-out is over, and a hold.
func ctErrorServer(t *testing.T) (*testServer, string) {
	a := ctStart(t)
	a.register("ana", 72*time.Hour, near)
	a.register("bea", 72*time.Hour, near)
	a.activePromo("live", "audifonos-xyz", 5)
	a.untilSent("live", 2)
	r := a.expect(http.StatusCreated, "POST", "/v1/promos/live/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
	return a, r.Body["id"].(string)
}

func TestContractBadPromoBodies(t *testing.T) {
	a, _ := ctErrorServer(t)
	good := ctProduct(promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 10), "bad-bodies")
	bad := func(name string, body any, says string) ctErrCase {
		return ctErrCase{name, "POST", "/v1/promos", body, ctAdmin, http.StatusBadRequest, "invalid_request", says}
	}
	cases := []ctErrCase{
		bad("empty body", "", ""),
		bad("not JSON", "hello", ""),
		bad("malformed JSON", `{"store": {"id": "techshop",`, ""),
		bad("an array", `[]`, ""),
		bad("null", `null`, ""),
		bad("unknown top-level field", ctSet(good, "colour", "red"), "colour"),
		bad("unknown field in store", ctSet(good, "store.phone", "555"), "phone"),
		bad("unknown field in store.location", ctSet(good, "store.location.alt", 2240), "alt"),
		bad("unknown field in a price", ctSet(good, "promo_price.cents", 5), "cents"),
		bad("trailing object", ctJSON(good, "{}"), ""),
		bad("trailing garbage", ctJSON(good, " x"), ""),
		bad("two bodies", ctJSON(good, ctJSON(good, "")), ""),
		bad("stock as a string", ctSet(good, "stock", "10"), "stock"),
		bad("stock as a fraction", ctSet(good, "stock", 1.5), "stock"),
		bad("radius as a string", ctSet(good, "radius_m", "2000"), "radius_m"),
		bad("segments as a string", ctSet(good, "segments", "new_users"), "segments"),
		bad("amount as a string", ctSet(good, "regular_price.amount", "99900"), "amount"),
		bad("amount as a fraction", ctSet(good, "regular_price.amount", 999.5), "amount"),
		bad("starts_at as a number", ctSet(good, "starts_at", 1764280800), ""),
		bad("starts_at without a zone", ctSet(good, "starts_at", "2026-11-27T23:00:00"), ""),
		bad("store as a string", ctSet(good, "store", "techshop"), "store"),
		bad("lat as a string", ctSet(good, "store.location.lat", "19.4"), "lat"),
		bad("id as a number", ctSet(good, "id", 7), "id"),
		// Every rule of API.md.
		bad("promo price equal to regular", ctSet(good, "promo_price.amount", 99900), "promo_price"),
		bad("promo price above regular", ctSet(good, "promo_price.amount", 100000), "promo_price"),
		bad("another currency", ctSet(good, "promo_price.currency", "USD"), "currency"),
		bad("empty segments", ctSet(good, "segments", []string{}), "segments"),
		bad("unknown segment", ctSet(good, "segments", []string{"new_users", "vip"}), "segments"),
		bad("radius 0", ctSet(good, "radius_m", 0), "radius_m"),
		bad("radius negative", ctSet(good, "radius_m", -5), "radius_m"),
		bad("radius 50001", ctSet(good, "radius_m", 50001), "radius_m"),
		bad("ends before starts", ctSet(good, "ends_at", ctTime(t0.Add(30*time.Minute))), "ends_at"),
		bad("ends when it starts", ctSet(good, "ends_at", ctTime(t0.Add(time.Hour))), "ends_at"),
		bad("ends in the past", ctSet(ctSet(good, "starts_at", ctTime(t0.Add(-3*time.Hour))), "ends_at", ctTime(t0.Add(-time.Hour))), "ends_at"),
		bad("ends now", ctSet(ctSet(good, "starts_at", ctTime(t0.Add(-3*time.Hour))), "ends_at", ctTime(t0)), "ends_at"),
		bad("stock 0", ctSet(good, "stock", 0), "stock"),
		bad("stock negative", ctSet(good, "stock", -1), "stock"),
		bad("store lat 91", ctSet(good, "store.location.lat", 91), "lat"),
		bad("store lat -90.5", ctSet(good, "store.location.lat", -90.5), "lat"),
		bad("store lng 181", ctSet(good, "store.location.lng", 181), "lng"),
		bad("store lng -180.01", ctSet(good, "store.location.lng", -180.01), "lng"),
	}
	// Missing each required field, top-level and nested.
	for _, f := range []string{"store", "product", "regular_price", "promo_price", "segments", "radius_m",
		"starts_at", "ends_at", "stock", "store.id", "store.name", "store.location", "store.location.lat",
		"store.location.lng", "product.id", "product.name", "regular_price.amount", "regular_price.currency",
		"promo_price.amount", "promo_price.currency"} {
		cases = append(cases, bad("missing "+f, ctSet(good, f, ctDelete), f[strings.LastIndex(f, ".")+1:]))
		if !strings.Contains(f, ".") {
			cases = append(cases, bad(f+" null", ctSet(good, f, nil), f))
		}
	}
	ctRefuseAll(t, a, cases)

	t.Run("the same body is accepted, with whitespace after it, and at the bounds", func(t *testing.T) {
		a := a.with(t)
		a.expect(http.StatusCreated, "POST", "/v1/promos", ctJSON(good, "\n  \n"), ctAdmin)
		a.expect(http.StatusCreated, "POST", "/v1/promos", ctSet(ctProduct(good, "bounds"), "radius_m", 50000), ctAdmin)
		a.expect(http.StatusCreated, "POST", "/v1/promos", ctSet(ctProduct(good, "one-unit"), "stock", 1), ctAdmin)
		edge := ctSet(ctSet(ctProduct(good, "edge"), "store.location.lat", -90), "store.location.lng", 180)
		a.expect(http.StatusCreated, "POST", "/v1/promos", edge, ctAdmin)
	})

	t.Run("starts_at in the past makes it active at once", func(t *testing.T) {
		a := a.with(t)
		body := ctSet(ctProduct(good, "started"), "starts_at", ctTime(t0.Add(-time.Hour)))
		v := a.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin).Body
		if v["status"] != "active" {
			t.Errorf("status = %v, want active", v["status"])
		}
		a.untilEvent("PromoActivated", "promo_id", v["id"].(string))
	})
}

func TestContractBadRequests(t *testing.T) {
	a, hold := ctErrorServer(t)
	user := func(loc any) map[string]any {
		return map[string]any{"registered_at": ctTime(t0.Add(-time.Hour)), "location": loc}
	}
	batchOf := func(n int) map[string]any {
		us := make([]map[string]any, n)
		for i := range us {
			us[i] = map[string]any{"user_id": fmt.Sprintf("bulk-%05d", i), "registered_at": ctTime(t0.Add(-time.Hour))}
		}
		return map[string]any{"users": us}
	}
	badEntry := func(i int, entry map[string]any) map[string]any {
		b := batchOf(3)
		b["users"].([]map[string]any)[i] = entry
		return b
	}
	cases := []ctErrCase{
		// Coordinates out of range, in bodies and queries.
		{"user lat 90.1", "PUT", "/v1/users/zed", user(map[string]any{"lat": 90.1, "lng": 0}), ctAdmin, 400, "invalid_request", "lat"},
		{"user lng -181", "PUT", "/v1/users/zed", user(map[string]any{"lat": 0, "lng": -181}), ctAdmin, 400, "invalid_request", "lng"},
		{"user location without lng", "PUT", "/v1/users/zed", user(map[string]any{"lat": 0}), ctAdmin, 400, "invalid_request", "lng"},
		{"user without registered_at", "PUT", "/v1/users/zed", map[string]any{"location": near}, ctAdmin, 400, "invalid_request", "registered_at"},
		{"user with an unknown field", "PUT", "/v1/users/zed", ctSet(user(near), "email", "z@x"), ctAdmin, 400, "invalid_request", "email"},
		{"user with an unknown nested field", "PUT", "/v1/users/zed", ctSet(user(near), "location.alt", 1), ctAdmin, 400, "invalid_request", "alt"},
		{"location lat -91", "PUT", "/v1/users/ana/location", map[string]any{"lat": -91, "lng": 0}, ctAdmin, 400, "invalid_request", "lat"},
		{"location lng 180.5", "PUT", "/v1/users/ana/location", map[string]any{"lat": 0, "lng": 180.5}, ctAdmin, 400, "invalid_request", "lng"},
		{"location missing lat", "PUT", "/v1/users/ana/location", map[string]any{"lng": 0}, ctAdmin, 400, "invalid_request", "lat"},
		{"location lat a string", "PUT", "/v1/users/ana/location", map[string]any{"lat": "0", "lng": 0}, ctAdmin, 400, "invalid_request", "lat"},
		{"location with trailing data", "PUT", "/v1/users/ana/location", ctJSON(near, "]"), ctAdmin, 400, "invalid_request", ""},
		{"query lat 91", "GET", "/v1/users/ana/promos?lat=91&lng=0", nil, ctAdmin, 400, "invalid_request", "lat"},
		{"query lng -180.1", "GET", "/v1/users/ana/promos?lat=0&lng=-180.1", nil, ctAdmin, 400, "invalid_request", "lng"},
		{"query lat not a number", "GET", "/v1/users/ana/promos?lat=north&lng=0", nil, ctAdmin, 400, "invalid_request", "lat"},
		{"query lat NaN", "GET", "/v1/users/ana/promos?lat=NaN&lng=0", nil, ctAdmin, 400, "invalid_request", "lat"},
		{"query lng Inf", "GET", "/v1/users/ana/promos?lat=0&lng=Inf", nil, ctAdmin, 400, "invalid_request", "lng"},
		{"query lat without lng", "GET", "/v1/users/ana/promos?lat=19.43", nil, ctAdmin, 400, "invalid_request", "lng"},
		// Purchases of the marketplace.
		{"purchase without purchased_at", "POST", "/v1/users/ana/purchases", map[string]any{"purchase_id": "x"}, ctAdmin, 400, "invalid_request", "purchased_at"},
		{"purchase without purchase_id", "POST", "/v1/users/ana/purchases", map[string]any{"purchased_at": ctTime(t0)}, ctAdmin, 400, "invalid_request", "purchase_id"},
		{"purchase of an unknown user", "POST", "/v1/users/zed/purchases", map[string]any{"purchase_id": "x", "purchased_at": ctTime(t0)}, ctAdmin, 404, "not_found", ""},
		// Reservations.
		{"reserve without user_id", "POST", "/v1/promos/live/reservations", map[string]any{}, ctAdmin, 400, "invalid_request", "user_id"},
		{"reserve with an unknown field", "POST", "/v1/promos/live/reservations", map[string]any{"user_id": "bea", "qty": 2}, ctAdmin, 400, "invalid_request", "qty"},
		{"reserve with malformed JSON", "POST", "/v1/promos/live/reservations", `{"user_id":`, ctAdmin, 400, "invalid_request", ""},
		{"purchase without user_id", "POST", "/v1/reservations/" + hold + "/purchase", map[string]any{}, ctAdmin, 400, "invalid_request", "user_id"},
		{"purchase with user_id a number", "POST", "/v1/reservations/" + hold + "/purchase", map[string]any{"user_id": 1}, ctAdmin, 400, "invalid_request", "user_id"},
		{"release without user_id", "DELETE", "/v1/reservations/" + hold, nil, ctAdmin, 400, "invalid_request", "user_id"},
		{"release by another user", "DELETE", "/v1/reservations/" + hold + "?user_id=bea", nil, ctAdmin, 403, "not_owner", ""},
		// Bodies over 1 MiB.
		{"promo over 1 MiB", "POST", "/v1/promos", ctHuge(promoBody(t0, t0.Add(time.Hour), 1)), ctAdmin, 413, "payload_too_large", ""},
		{"location over 1 MiB", "PUT", "/v1/users/ana/location", ctHuge(near), ctAdmin, 413, "payload_too_large", ""},
		{"reservation over 1 MiB", "POST", "/v1/promos/live/reservations", ctHuge(map[string]any{"user_id": "bea"}), ctAdmin, 413, "payload_too_large", ""},
		{"malformed and over 1 MiB", "POST", "/v1/promos/live/reservations", `{"user_id": "bea", ` + strings.Repeat("x", 1<<20), ctAdmin, 413, "payload_too_large", ""},
		{"not JSON and over 1 MiB", "PUT", "/v1/users/ana/location", "x" + strings.Repeat(" ", 1<<20), ctAdmin, 413, "payload_too_large", ""},
		{"whitespace over 1 MiB", "POST", "/v1/promos/live/reservations", `{"user_id": "bea"}` + strings.Repeat(" ", 1<<20), ctAdmin, 413, "payload_too_large", ""},
		// Unknown paths and wrong methods.
		{"unknown path", "GET", "/v1/nothing-here", nil, ctAdmin, 404, "not_found", ""},
		{"unknown root path", "GET", "/nothing-here", nil, ctAdmin, 404, "not_found", ""},
		{"unknown path under a promo", "GET", "/v1/promos/live/nothing", nil, ctAdmin, 404, "not_found", ""},
		{"unknown version", "GET", "/v2/promos/live", nil, ctAdmin, 404, "not_found", ""},
		{"DELETE a promo", "DELETE", "/v1/promos/live", nil, ctAdmin, 405, "method_not_allowed", ""},
		{"PATCH promos", "PATCH", "/v1/promos", nil, ctAdmin, 405, "method_not_allowed", ""},
		{"GET reservations of a promo", "GET", "/v1/promos/live/reservations", nil, ctAdmin, 405, "method_not_allowed", ""},
		{"GET a purchase", "GET", "/v1/reservations/" + hold + "/purchase", nil, ctAdmin, 405, "method_not_allowed", ""},
		{"POST a user", "POST", "/v1/users/ana", map[string]any{}, ctAdmin, 405, "method_not_allowed", ""},
		{"GET cancel", "GET", "/v1/promos/live/cancel", nil, ctAdmin, 405, "method_not_allowed", ""},
		{"POST healthz", "POST", "/healthz", nil, ctAdmin, 405, "method_not_allowed", ""},
		{"DELETE events", "DELETE", "/v1/events", nil, ctAdmin, 405, "method_not_allowed", ""},
		// Batches.
		{"batch over 10,000", "POST", "/v1/users/batch", batchOf(10_001), ctAdmin, 400, "invalid_request", "10000"},
		{"batch without users", "POST", "/v1/users/batch", map[string]any{}, ctAdmin, 400, "invalid_request", "users"},
		{"batch entry 1 without user_id", "POST", "/v1/users/batch", badEntry(1, map[string]any{"registered_at": ctTime(t0)}), ctAdmin, 400, "invalid_request", "users[1]"},
		{"batch entry 2 without registered_at", "POST", "/v1/users/batch", badEntry(2, map[string]any{"user_id": "x"}), ctAdmin, 400, "invalid_request", "users[2]"},
		{"batch entry 1 lat 95", "POST", "/v1/users/batch", badEntry(1, map[string]any{"user_id": "x", "registered_at": ctTime(t0), "location": map[string]any{"lat": 95, "lng": 0}}), ctAdmin, 400, "invalid_request", "users[1]"},
		{"batch entry 0 registered in the future", "POST", "/v1/users/batch", badEntry(0, map[string]any{"user_id": "x", "registered_at": ctTime(t0.Add(24 * time.Hour))}), ctAdmin, 400, "invalid_request", "users[0]"},
		{"batch entry 2 with a bad user_id", "POST", "/v1/users/batch", badEntry(2, map[string]any{"user_id": "a b/c", "registered_at": ctTime(t0)}), ctAdmin, 400, "invalid_request", "users[2]"},
		// The event log and the promo list.
		{"events limit 0", "GET", "/v1/events?limit=0", nil, ctAdmin, 400, "invalid_request", "limit"},
		{"events limit 10001", "GET", "/v1/events?limit=10001", nil, ctAdmin, 400, "invalid_request", "limit"},
		{"events limit abc", "GET", "/v1/events?limit=abc", nil, ctAdmin, 400, "invalid_request", "limit"},
		{"events limit -1", "GET", "/v1/events?limit=-1", nil, ctAdmin, 400, "invalid_request", "limit"},
		{"events limit huge", "GET", "/v1/events?limit=99999999999999999999", nil, ctAdmin, 400, "invalid_request", "limit"},
		{"events after -1", "GET", "/v1/events?after=-1", nil, ctAdmin, 400, "invalid_request", "after"},
		{"events after abc", "GET", "/v1/events?after=abc", nil, ctAdmin, 400, "invalid_request", "after"},
		{"unknown status filter", "GET", "/v1/promos?status=paused", nil, ctAdmin, 400, "invalid_request", "status"},
		{"unknown projection", "POST", "/v1/admin/projections/nope/rebuild", nil, ctAdmin, 404, "not_found", ""},
	}
	ctRefuseAll(t, a, cases)

	t.Run("a refused batch creates no user", func(t *testing.T) {
		a := a.with(t)
		for _, u := range []string{"bulk-00000", "bulk-00001", "bulk-00002", "x", "zed"} {
			a.refuse(404, "not_found", "GET", "/v1/users/"+u, nil, ctAdmin)
		}
	})
	t.Run("a batch of 10,000 is accepted", func(t *testing.T) {
		a := a.with(t)
		r := a.expect(http.StatusOK, "POST", "/v1/users/batch", batchOf(10_000), ctAdmin)
		if got := ctInt(t, r.Body["accepted"]); got != 10_000 {
			t.Errorf("accepted = %d, want 10000", got)
		}
		if got := a.user("bulk-09999")["segments"]; fmt.Sprint(got) != "[new_users]" {
			t.Errorf("bulk-09999's segments = %v", got)
		}
		// The log now holds over 10,000 events: pages are bounded.
		for query, want := range map[string]int{"": 1000, "?limit=10000": 10000, "?limit=10": 10} {
			r := a.expect(http.StatusOK, "GET", "/v1/events"+query, nil, ctAdmin)
			if got := len(ctObjects(t, r.Body["events"])); got != want {
				t.Errorf("GET /v1/events%s: %d events, want %d", query, got, want)
			}
		}
	})
	t.Run("a body of exactly 1 MiB is read", func(t *testing.T) {
		a := a.with(t)
		body := `{"user_id": "bea"}`
		body += strings.Repeat(" ", 1<<20-len(body))
		a.expect(http.StatusCreated, "POST", "/v1/promos/live/reservations", body, ctAdmin)
	})
}

// TestContractBatchEntryWithBadJSONNamesItsIndex: a wrong type or unknown
// field inside one entry is still "one invalid entry".
func TestContractBatchEntryWithBadJSONNamesItsIndex(t *testing.T) {
	a := ctStart(t)
	ok := map[string]any{"user_id": "ok", "registered_at": ctTime(t0.Add(-time.Hour))}
	for _, c := range []struct {
		name  string
		entry map[string]any
	}{
		{"lat as a string", map[string]any{"user_id": "x", "registered_at": ctTime(t0), "location": map[string]any{"lat": "1", "lng": 0}}},
		{"an unknown field", map[string]any{"user_id": "x", "registered_at": ctTime(t0), "email": "x@y"}},
		{"an unknown field in its location", map[string]any{"user_id": "x", "registered_at": ctTime(t0), "location": map[string]any{"lat": 1, "lng": 1, "alt": 1}}},
		{"registered_at not a time", map[string]any{"user_id": "x", "registered_at": "yesterday"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := a.with(t)
			a.unchanged(c.name, func() {
				r := a.refuse(400, "invalid_request", "POST", "/v1/users/batch",
					map[string]any{"users": []any{ok, ok, c.entry}}, ctAdmin)
				if msg := ctAt(r.Body, "error.message").(string); !strings.Contains(msg, "users[2]") {
					t.Errorf("message %q does not name the entry's index users[2]", msg)
				}
			})
		})
	}
}

// TestContractAdminToken: every admin endpoint refuses a missing or wrong
// token with 401, before reading the body, whatever the body.
func TestContractAdminToken(t *testing.T) {
	a, _ := ctErrorServer(t)
	good := ctProduct(promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 10), "token-test")
	endpoints := []struct {
		method, path string
		body         any
	}{
		{"PUT", "/v1/users/zed", map[string]any{"registered_at": ctTime(t0)}},
		{"POST", "/v1/users/batch", map[string]any{"users": []any{map[string]any{"user_id": "zed", "registered_at": ctTime(t0)}}}},
		{"POST", "/v1/users/ana/purchases", map[string]any{"purchase_id": "p", "purchased_at": ctTime(t0)}},
		{"POST", "/v1/promos", good},
		{"GET", "/v1/promos?status=active", nil},
		{"POST", "/v1/promos/live/cancel", nil},
		{"POST", "/v1/promo-series", seriesBody("America/Mexico_City", "2026-11-27", "2026-12-27", nil)},
		{"GET", "/v1/promo-series/any", nil},
		{"POST", "/v1/promo-series/any/cancel", nil},
		{"GET", "/v1/events", nil},
		{"GET", "/v1/admin/projections", nil},
		{"POST", "/v1/admin/projections/promos/rebuild", nil},
	}
	auths := map[string]string{
		"no token":           "",
		"wrong token":        "Bearer wrong-token",
		"token with a tail":  ctAdmin + "x",
		"token prefix":       ctAdmin[:len(ctAdmin)-1],
		"token without type": testToken,
		"basic scheme":       "Basic " + testToken,
		"empty bearer":       "Bearer ",
	}
	var cases []ctErrCase
	for _, e := range endpoints {
		for name, auth := range auths {
			cases = append(cases, ctErrCase{e.method + " " + e.path + ", " + name, e.method, e.path, e.body, auth, 401, "unauthorized", ""})
		}
		if e.body != nil {
			cases = append(cases,
				ctErrCase{e.method + " " + e.path + ", no token, malformed body", e.method, e.path, `{"oops`, "", 401, "unauthorized", ""},
				ctErrCase{e.method + " " + e.path + ", wrong token, body over 1 MiB", e.method, e.path, ctHuge(map[string]any{}), "Bearer wrong", 401, "unauthorized", ""})
		}
	}
	ctRefuseAll(t, a, cases)
	t.Run("the right token opens them", func(t *testing.T) {
		a := a.with(t)
		a.expect(http.StatusOK, "GET", "/v1/events?limit=1", nil, ctAdmin)
		a.expect(http.StatusOK, "GET", "/v1/admin/projections", nil, ctAdmin)
		a.expect(http.StatusOK, "GET", "/v1/promos", nil, ctAdmin)
	})
	t.Run("since v1.1 the user endpoints need a credential too", func(t *testing.T) {
		a := a.with(t)
		ana := a.as("ana")
		for _, e := range []struct {
			method, path string
			body         any
		}{
			{"GET", "/v1/promos/live", nil}, {"GET", "/v1/users/ana", nil}, {"GET", "/v1/users/ana/promos", nil},
			{"GET", "/v1/users/ana/notifications", nil}, {"PUT", "/v1/users/ana/location", near},
		} {
			r := a.refuse(http.StatusUnauthorized, "unauthorized", e.method, e.path, e.body, "")
			if r.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate", e.method, e.path)
			}
			a.expect(http.StatusOK, e.method, e.path, e.body, ana)
		}
	})
}

// TestContractIdempotentCreateAndConflicts: a client-chosen id makes a
// create retryable; one store and product has one promo per window.
func TestContractIdempotentCreateAndConflicts(t *testing.T) {
	a := ctStart(t)
	a.register("ana", 72*time.Hour, near)
	body := promoBody(t0.Add(time.Hour), t0.Add(3*time.Hour), 10)
	first := a.createPromo("black-friday", body)

	t.Run("same id, same body: 200 and the same promo", func(t *testing.T) {
		a := a.with(t)
		a.unchanged("retry", func() {
			retry := ctSet(body, "id", "black-friday")
			again := a.expect(http.StatusOK, "POST", "/v1/promos", retry, ctAdmin).Body
			if ctJSON(again, "") != ctJSON(first, "") {
				t.Errorf("retry answered %v, want %v", again, first)
			}
			// The same instants written in another zone, segments in another order.
			mx := time.FixedZone("CST", -6*3600)
			retry = ctSet(retry, "starts_at", t0.Add(time.Hour).In(mx).Format(time.RFC3339))
			retry = ctSet(retry, "ends_at", t0.Add(3*time.Hour).In(mx).Format(time.RFC3339))
			retry = ctSet(retry, "segments", []string{"frequent_buyers", "new_users"})
			if again := a.expect(http.StatusOK, "POST", "/v1/promos", retry, ctAdmin).Body; again["id"] != "black-friday" {
				t.Errorf("retry answered %v", again)
			}
		})
	})
	t.Run("same id, another body: 409 promo_conflict", func(t *testing.T) {
		a := a.with(t)
		for _, other := range []map[string]any{
			ctSet(body, "stock", 11),
			ctSet(body, "radius_m", 2001),
			ctProduct(body, "another-product"),
			ctSet(body, "promo_price.amount", 49800),
		} {
			a.unchanged("reused id", func() {
				a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promos", ctSet(other, "id", "black-friday"), ctAdmin)
			})
		}
		if got := a.promo("black-friday"); ctJSON(got, "") != ctJSON(first, "") {
			t.Errorf("the promo changed: %v", got)
		}
	})
	t.Run("an overlapping window for the same store and product is 409", func(t *testing.T) {
		a := a.with(t)
		for name, w := range map[string][2]time.Duration{
			"same window":      {time.Hour, 3 * time.Hour},
			"starts inside":    {2 * time.Hour, 4 * time.Hour},
			"ends inside":      {30 * time.Minute, 90 * time.Minute},
			"contains it":      {30 * time.Minute, 4 * time.Hour},
			"inside it":        {90 * time.Minute, 2 * time.Hour},
			"starts now, open": {0, 2 * time.Hour},
		} {
			a.unchanged(name, func() {
				a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promos", promoBody(t0.Add(w[0]), t0.Add(w[1]), 5), ctAdmin)
			})
		}
	})
	t.Run("back-to-back windows, another product or another store are 201", func(t *testing.T) {
		a := a.with(t)
		a.createPromo("before", promoBody(t0.Add(10*time.Minute), t0.Add(time.Hour), 5))
		a.createPromo("after", promoBody(t0.Add(3*time.Hour), t0.Add(4*time.Hour), 5))
		a.createPromo("other-product", ctProduct(body, "other"))
		otherStore := map[string]any{"id": "techshop-sur", "name": "TechShop Sur", "location": near}
		a.createPromo("other-store", ctSet(body, "store", otherStore))
	})
	t.Run("a cancelled promo frees its window and refuses reservations", func(t *testing.T) {
		a := a.with(t)
		a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promos", ctSet(body, "id", "replacement"), ctAdmin)
		v := a.expect(http.StatusOK, "POST", "/v1/promos/black-friday/cancel", nil, ctAdmin).Body
		if v["status"] != "cancelled" || v["id"] != "black-friday" {
			t.Errorf("cancel answered %v", v)
		}
		if got := a.promo("black-friday")["status"]; got != "cancelled" {
			t.Errorf("status = %v, want cancelled", got)
		}
		a.createPromo("replacement", body)
		// The same id and body as the cancelled promo is still that promo.
		again := a.expect(http.StatusOK, "POST", "/v1/promos", ctSet(body, "id", "black-friday"), ctAdmin).Body
		if again["status"] != "cancelled" {
			t.Errorf("retry of the cancelled promo answered %v", again)
		}
		a.advance(time.Hour + time.Second) // inside the window
		a.refuse(http.StatusConflict, "promo_not_active", "POST", "/v1/promos/black-friday/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
		if got := a.promo("black-friday")["status"]; got != "cancelled" {
			t.Errorf("status inside the window = %v, want cancelled", got)
		}
		a.expect(http.StatusCreated, "POST", "/v1/promos/replacement/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
		cancelled := ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos?status=cancelled", nil, ctAdmin).Body["promos"])
		if ids := ctIDs(cancelled); len(ids) != 1 || ids[0] != "black-friday" {
			t.Errorf("?status=cancelled lists %v", ids)
		}
		a.untilEvent("PromoCancelled", "promo_id", "black-friday")
	})
}

// TestContractConcurrentCreatesOfOneSlot: two overlapping creates at the
// same moment, one wins.
func TestContractConcurrentCreatesOfOneSlot(t *testing.T) {
	a := ctStart(t)
	const n = 8
	replies, errs := ctConcurrently(n, func(i int) (response, error) {
		body := promoBody(t0.Add(time.Hour+time.Duration(i)*time.Minute), t0.Add(3*time.Hour), 5)
		body["id"] = "rival-" + strconv.Itoa(i)
		return a.raw("POST", "/v1/promos", body, ctAdmin)
	})
	won := 0
	for i, r := range replies {
		r = a.check("POST", "/v1/promos", r, errs[i])
		switch {
		case r.Status == http.StatusCreated:
			won++
		case r.Status == http.StatusConflict && r.code() == "promo_conflict":
		default:
			t.Errorf("rival %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if won != 1 {
		t.Errorf("%d overlapping creates succeeded, want 1", won)
	}
	all := ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos", nil, ctAdmin).Body["promos"])
	if len(all) != 1 {
		t.Errorf("GET /v1/promos lists %v, want one promo", ctIDs(all))
	}
}

// TestContractRateLimit: past FLASHPROMO_RESERVE_RATE attempts a second, one
// user gets 429 rate_limited with Retry-After; others are not held back.
// The limiter runs on the wall clock, so the bounds loosen with the time the
// attempts took and never need the machine to be fast.
func TestContractRateLimit(t *testing.T) {
	const rate, tries = 2, 5
	a := ctStart(t, func(c *Config) { c.ReserveRate = rate })
	a.register("eager", 72*time.Hour, near)
	a.register("calm", 72*time.Hour, near)
	a.activePromo("hot", "hot", 10)
	start := time.Now()
	replies, errs := ctConcurrently(tries, func(int) (response, error) {
		return a.raw("POST", "/v1/promos/hot/reservations", map[string]any{"user_id": "eager"}, ctAdmin)
	})
	took := time.Since(start)
	passed, limited := 0, 0
	for i, r := range replies {
		r = a.check("POST", "/v1/promos/hot/reservations", r, errs[i])
		switch r.Status {
		case http.StatusCreated, http.StatusOK:
			passed++
		case http.StatusTooManyRequests:
			limited++
			if r.code() != "rate_limited" {
				t.Errorf("429 with code %q", r.code())
			}
			if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("Retry-After = %q, want whole seconds >= 1", r.Header.Get("Retry-After"))
			}
		default:
			t.Errorf("attempt %d: %d %s", i, r.Status, r.Raw)
		}
	}
	if allowed := rate + int(float64(rate)*took.Seconds()) + 1; passed > allowed || passed == 0 {
		t.Errorf("%d of %d attempts in %v passed, want 1 to %d", passed, tries, took, allowed)
	}
	if took < time.Second && limited == 0 {
		t.Errorf("%d attempts in %v, none limited", tries, took)
	}
	if r := a.reserve("hot", "calm"); r.Status != http.StatusCreated {
		t.Errorf("another user: %d %s, want 201", r.Status, r.Raw)
	}
	placed := 0
	for _, e := range a.allEvents("type=ReservationPlaced") {
		if ctAt(e, "data.user_id") == "eager" {
			placed++
		}
	}
	if placed != 1 {
		t.Errorf("eager has %d ReservationPlaced, want 1", placed)
	}
}
