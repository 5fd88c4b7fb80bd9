package service

// The contract's "Who may call what (v1.1)": every row of the roles table
// and every refusal of a credential, over HTTP, on memory and Postgres.

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// ctCallers are one credential of each kind the table names.
type ctCallers map[string]string

func ctCallersAt(t *testing.T, now time.Time) ctCallers {
	store := func(id string) jwt.MapClaims {
		c := ctClaims("manager-"+id, now, "store")
		c["store_id"] = id
		return c
	}
	return ctCallers{
		"client ana":          ctSign(t, ctClaims("ana", now)), // no roles claim: a client
		"client bea":          ctSign(t, ctClaims("bea", now, "client")),
		"store techshop":      ctSign(t, store("techshop")),
		"store elsewhere":     ctSign(t, store("elsewhere")),
		"marketplace":         ctSign(t, ctClaims("orders-system", now, "marketplace")),
		"analyst":             ctSign(t, ctClaims("alice-analyst", now, "analyst")),
		"admin JWT":           ctSign(t, ctClaims("root", now, "admin")),
		"admin token":         ctAdmin,
		"unknown roles alone": ctSign(t, ctClaims("svc", now, "superuser")),
	}
}

// ctAuthServer: ana and bea near TechShop, a live promo of TechShop's with a
// hold of ana's, on memory or Postgres.
func ctAuthServer(t *testing.T, configure ...func(*Config)) (*testServer, string) {
	return ctAuthSetup(ctStart(t, configure...))
}

// ctAuthSetup sets a started server up as ctAuthServer does.
func ctAuthSetup(a *testServer) (*testServer, string) {
	a.register("ana", 72*time.Hour, near)
	a.register("bea", 72*time.Hour, near)
	a.activePromo("live", "audifonos-xyz", 5)
	a.untilSent("live", 2) // the fan-out's writes are done before any test counts the log
	r := a.expect(http.StatusCreated, "POST", "/v1/promos/live/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
	return a, r.Body["id"].(string)
}

// onEachStore runs f on ctAuthServer's setup, on memory and on Postgres.
func onEachStore(t *testing.T, f func(t *testing.T, a *testServer, hold string)) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a, hold := ctAuthSetup(start(newFakeClock(t0)))
		f(t, a, hold)
	})
}

// TestContractRolesTable calls every endpoint with a credential of every
// kind: the callers the table allows get past the check (any status but
// 401 and 403 forbidden), the others get 403 forbidden and change nothing.
func TestContractRolesTable(t *testing.T) {
	onEachStore(t, func(t *testing.T, a *testServer, hold string) {
		callers := ctCallersAt(t, a.now())
		var (
			operators   = []string{"admin JWT", "admin token"}
			marketplace = append([]string{"marketplace"}, operators...)
			ownUser     = append([]string{"client ana"}, marketplace...)
			shoppers    = append([]string{"client ana", "client bea"}, operators...)
			stores      = append([]string{"store techshop"}, operators...)
			analysts    = append([]string{"analyst"}, operators...)
			everyone    = []string{"client ana", "client bea", "store techshop", "store elsewhere", "marketplace", "analyst", "admin JWT", "admin token", "unknown roles alone"}
		)
		newPromo := ctProduct(promoBody(a.now().Add(time.Hour), a.now().Add(2*time.Hour), 3), "table")
		rows := []struct {
			method, path string
			body         any
			allowed      []string
		}{
			{"PUT", "/v1/users/zed", map[string]any{"registered_at": ctTime(t0)}, marketplace},
			{"POST", "/v1/users/batch", map[string]any{"users": []any{map[string]any{"user_id": "zed", "registered_at": ctTime(t0)}}}, marketplace},
			{"POST", "/v1/users/ana/purchases", map[string]any{"purchase_id": "o-1", "purchased_at": ctTime(t0)}, marketplace},
			{"GET", "/v1/users/ana", nil, ownUser},
			{"PUT", "/v1/users/ana/location", near, ownUser},
			{"GET", "/v1/users/ana/promos", nil, ownUser},
			{"GET", "/v1/users/ana/notifications", nil, ownUser},
			{"POST", "/v1/promos/live/reservations", nil, shoppers},
			{"GET", "/v1/reservations/" + hold, nil, append([]string{"client ana"}, operators...)},
			{"POST", "/v1/reservations/" + hold + "/purchase", map[string]any{}, shoppers}, // bea: 403 not_owner
			{"DELETE", "/v1/reservations/" + hold, nil, shoppers},
			{"GET", "/v1/promos/live", nil, everyone},
			{"POST", "/v1/promos", newPromo, stores},
			{"GET", "/v1/promos", nil, append([]string{"store elsewhere"}, stores...)},
			{"GET", "/v1/events?limit=1", nil, analysts},
			{"GET", "/v1/admin/projections", nil, analysts},
			{"POST", "/v1/admin/projections/users/rebuild", nil, operators},
			{"POST", "/v1/promos/live/cancel", nil, stores}, // last: it ends the promo
		}
		for _, row := range rows {
			for _, who := range everyone {
				name := row.method + " " + row.path + " as " + who
				if slices.Contains(row.allowed, who) {
					r := a.send(row.method, row.path, row.body, callers[who])
					if r.Status == http.StatusUnauthorized || r.code() == "forbidden" {
						t.Errorf("%s: refused %d %s, the table allows it: %s", name, r.Status, r.code(), r.Raw)
					}
					continue
				}
				a.unchanged(name, func() {
					r := a.send(row.method, row.path, row.body, callers[who])
					if r.Status != http.StatusForbidden || r.code() != "forbidden" {
						t.Errorf("%s: %d %s, want 403 forbidden: %s", name, r.Status, r.code(), r.Raw)
					}
				})
			}
		}
	})
}

// TestContractClientActsAsItself: a client's reservation commands act as
// its sub; a user_id, when given, must be its own; another user's
// reservation is 403 forbidden to read and 403 not_owner to buy or release.
func TestContractClientActsAsItself(t *testing.T) {
	onEachStore(t, func(t *testing.T, a *testServer, hold string) {
		c := ctCallersAt(t, a.now())
		ana, bea := c["client ana"], c["client bea"]

		// No body, an empty object, or its own id: the same hold of ana's.
		for _, body := range []any{nil, map[string]any{}, map[string]any{"user_id": "ana"}} {
			r := a.expect(http.StatusOK, "POST", "/v1/promos/live/reservations", body, ana)
			if r.Body["id"] != hold || r.Body["user_id"] != "ana" {
				t.Errorf("ana reserving with %v: %v, want her hold %s", body, r.Body, hold)
			}
		}
		ctRefuseAll(t, a, []ctErrCase{
			{"bea reserves for ana", "POST", "/v1/promos/live/reservations", map[string]any{"user_id": "ana"}, bea, 403, "forbidden", ""},
			{"bea reads ana's hold", "GET", "/v1/reservations/" + hold, nil, bea, 403, "forbidden", ""},
			{"bea buys ana's hold as ana", "POST", "/v1/reservations/" + hold + "/purchase", map[string]any{"user_id": "ana"}, bea, 403, "forbidden", ""},
			{"bea buys ana's hold", "POST", "/v1/reservations/" + hold + "/purchase", nil, bea, 403, "not_owner", ""},
			{"bea releases ana's hold as ana", "DELETE", "/v1/reservations/" + hold + "?user_id=ana", nil, bea, 403, "forbidden", ""},
			{"bea releases ana's hold", "DELETE", "/v1/reservations/" + hold, nil, bea, 403, "not_owner", ""},
			{"bea reads ana's notifications", "GET", "/v1/users/ana/notifications", nil, bea, 403, "forbidden", ""},
			{"bea moves ana", "PUT", "/v1/users/ana/location", far, bea, 403, "forbidden", ""},
			{"the operator reserves for nobody", "POST", "/v1/promos/live/reservations", map[string]any{}, ctAdmin, 400, "invalid_request", "user_id"},
		})

		// bea's own hold, made as herself, is recorded as hers, by her.
		mine := a.expect(http.StatusCreated, "POST", "/v1/promos/live/reservations", nil, bea).Body
		if mine["user_id"] != "bea" {
			t.Fatalf("bea's hold is %v", mine)
		}
		placed := a.untilEvent("ReservationPlaced", "reservation_id", mine["id"].(string))
		if m := ctObject(t, placed["metadata"]); m["actor"] != "bea" || m["role"] != "client" || m["request_id"] == nil {
			t.Errorf("bea's hold has metadata %v, want actor bea, role client and a request id", m)
		}
		a.expect(http.StatusOK, "POST", "/v1/reservations/"+hold+"/purchase", nil, ana)
		a.expect(http.StatusOK, "DELETE", "/v1/reservations/"+mine["id"].(string), nil, bea)
	})
}

// TestContractStoreManagesItsOwn: a store token creates, lists and cancels
// the promos of its own store only.
func TestContractStoreManagesItsOwn(t *testing.T) {
	onEachStore(t, func(t *testing.T, a *testServer, _ string) {
		c := ctCallersAt(t, a.now())
		own, other := c["store techshop"], c["store elsewhere"]
		body := ctProduct(promoBody(a.now().Add(time.Hour), a.now().Add(2*time.Hour), 3), "cargador")
		ctRefuseAll(t, a, []ctErrCase{
			{"another store creates TechShop's promo", "POST", "/v1/promos", body, other, 403, "forbidden", ""},
			{"another store cancels TechShop's promo", "POST", "/v1/promos/live/cancel", nil, other, 403, "forbidden", ""},
			{"a store token without store_id", "GET", "/v1/promos", nil, ctSign(t, ctClaims("m", a.now(), "store")), 401, "unauthorized", ""},
		})
		created := a.expect(http.StatusCreated, "POST", "/v1/promos", body, own).Body
		if got := ctIDs(ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos", nil, own).Body["promos"])); !slices.Equal(got, []string{"live", created["id"].(string)}) && !slices.Equal(got, []string{created["id"].(string), "live"}) {
			t.Errorf("TechShop lists %v, want its two promos", got)
		}
		if got := ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos", nil, other).Body["promos"]); len(got) != 0 {
			t.Errorf("another store lists %v, want none of TechShop's", ctIDs(got))
		}
		a.expect(http.StatusOK, "POST", "/v1/promos/"+created["id"].(string)+"/cancel", nil, own)

		// The same for promo series: its own store's only.
		series := ctProduct(seriesBody("America/Mexico_City", "2026-12-01", "2026-12-05", nil), "funda")
		series["id"] = "weekly-funda"
		ctRefuseAll(t, a, []ctErrCase{
			{"another store creates TechShop's series", "POST", "/v1/promo-series", series, other, 403, "forbidden", ""},
		})
		a.expect(http.StatusCreated, "POST", "/v1/promo-series", series, own)
		ctRefuseAll(t, a, []ctErrCase{
			{"another store reads TechShop's series", "GET", "/v1/promo-series/weekly-funda", nil, other, 403, "forbidden", ""},
			{"another store cancels TechShop's series", "POST", "/v1/promo-series/weekly-funda/cancel", nil, other, 403, "forbidden", ""},
			{"a client creates a series", "POST", "/v1/promo-series", series, c["client ana"], 403, "forbidden", ""},
		})
		a.expect(http.StatusOK, "GET", "/v1/promo-series/weekly-funda", nil, own)
		a.expect(http.StatusOK, "POST", "/v1/promo-series/weekly-funda/cancel", nil, own)
		ev := a.untilEvent("PromoCancelled", "promo_id", created["id"].(string))
		if m := ctObject(t, ev["metadata"]); m["actor"] != "manager-techshop" || m["role"] != "store" {
			t.Errorf("the cancel has metadata %v, want the store's manager as store", m)
		}
	})
}

// TestContractBadCredentials: every kind of bad credential is 401 with
// WWW-Authenticate, before the body is read, and changes nothing.
func TestContractBadCredentials(t *testing.T) {
	a, _ := ctAuthServer(t, func(c *Config) { c.Auth.Issuer, c.Auth.Audience = "https://idp.example", "flashpromo" })
	now := a.now()
	good := func(sub string) jwt.MapClaims {
		c := ctClaims(sub, now)
		c["iss"], c["aud"] = "https://idp.example", "flashpromo"
		return c
	}
	with := func(key string, v any) jwt.MapClaims {
		c := good("ana")
		if v == nil {
			delete(c, key)
		} else {
			c[key] = v
		}
		return c
	}
	none, err := jwt.NewWithClaims(jwt.SigningMethodNone, good("ana")).SignedString(jwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := jwt.NewWithClaims(jwt.SigningMethodHS256, good("ana")).SignedString([]byte("not-the-secret"))
	if err != nil {
		t.Fatal(err)
	}
	valid := ctSign(t, good("ana"))
	bad := map[string]string{
		"no credential":                "",
		"not a bearer":                 "Basic " + strings.TrimPrefix(valid, "Bearer "),
		"malformed":                    "Bearer not.a.jwt",
		"garbage":                      "Bearer é%$#{}",
		"alg none":                     "Bearer " + none,
		"signed with another secret":   "Bearer " + otherKey,
		"a tampered payload":           valid[:len(valid)-3] + "abc",
		"expired 31 s ago":             ctSign(t, with("exp", now.Add(-31*time.Second).Unix())),
		"without exp":                  ctSign(t, with("exp", nil)),
		"not valid for another minute": ctSign(t, with("nbf", now.Add(time.Minute).Unix())),
		"issued in the future":         ctSign(t, with("iat", now.Add(time.Minute).Unix())),
		"wrong issuer":                 ctSign(t, with("iss", "https://evil.example")),
		"no issuer":                    ctSign(t, with("iss", nil)),
		"wrong audience":               ctSign(t, with("aud", "another-service")),
		"without sub":                  ctSign(t, with("sub", nil)),
	}
	var cases []ctErrCase
	for name, cred := range bad {
		cases = append(cases,
			ctErrCase{name + ", moving", "PUT", "/v1/users/ana/location", far, cred, 401, "unauthorized", ""},
			ctErrCase{name + ", reserving with a malformed body", "POST", "/v1/promos/live/reservations", `{"user_id":`, cred, 401, "unauthorized", ""},
			ctErrCase{name + ", reading", "GET", "/v1/users/ana/promos", nil, cred, 401, "unauthorized", ""})
	}
	ctRefuseAll(t, a, cases)
	for name, cred := range bad {
		if r := a.send("GET", "/v1/users/ana", nil, cred); r.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%s: 401 without a WWW-Authenticate header", name)
		}
	}
	t.Run("within the leeway", func(t *testing.T) {
		a := a.with(t)
		a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, ctSign(t, with("exp", now.Add(-20*time.Second).Unix())))
		a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, ctSign(t, with("nbf", now.Add(20*time.Second).Unix())))
		a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, valid)
	})
	t.Run("a verified token stops working when it expires", func(t *testing.T) {
		a := a.with(t)
		short := ctSign(t, with("exp", now.Add(time.Minute).Unix()))
		a.expect(http.StatusOK, "GET", "/v1/users/ana", nil, short) // now cached
		a.advance(91 * time.Second)
		a.refuse(http.StatusUnauthorized, "unauthorized", "GET", "/v1/users/ana", nil, short)
	})
}

// TestContractRequestID: a request id given is echoed and recorded; one is
// made when missing or unfit for a log line.
func TestContractRequestID(t *testing.T) {
	a, _ := ctAuthServer(t)
	bea := ctCallersAt(t, a.now())["client bea"]
	for i, c := range []struct{ given, want string }{
		{"checkout-42", "checkout-42"},
		{"", ""},
		{"bad id with spaces", ""},
		{"<script>", ""},
		{strings.Repeat("x", 200), ""},
	} {
		var header []string
		if c.given != "" {
			header = []string{"X-Request-Id", c.given}
		}
		r, err := a.raw("PUT", "/v1/users/bea/location", []map[string]any{far, near}[i%2], bea, header...) // a move each time
		r = a.check("PUT", "/v1/users/bea/location", r, err)
		got := r.Header.Get("X-Request-Id")
		if r.Status != http.StatusOK || got == "" || c.want != "" && got != c.want || c.want == "" && got == c.given {
			t.Errorf("X-Request-Id %q: %d, echoed %q, want %q (or a new one)", c.given, r.Status, got, c.want)
		}
		moved := a.allEvents("stream=user-bea")
		if m := ctObject(t, moved[len(moved)-1]["metadata"]); m["request_id"] != got {
			t.Errorf("X-Request-Id %q: the event records %v, the reply says %q", c.given, m["request_id"], got)
		}
	}
}

// TestContractBatchBodyLimit: a full batch of 10,000 users with
// full-precision coordinates (over 1 MiB) fits under the batch's 8 MiB;
// more than 8 MiB is 413, and every other endpoint keeps 1 MiB.
func TestContractBatchBodyLimit(t *testing.T) {
	a := ctStart(t)
	users := make([]any, 10_000)
	for i := range users {
		users[i] = map[string]any{"user_id": fmt.Sprintf("batch-user-%05d", i), "registered_at": ctTime(t0.Add(-time.Hour)),
			"location": map[string]any{"lat": 19.432608123456789 + float64(i)*1e-9, "lng": -99.133208123456789}}
	}
	body := ctJSON(map[string]any{"users": users}, "")
	if len(body) <= 1<<20 {
		t.Fatalf("the batch is %d bytes, meant to be over 1 MiB", len(body))
	}
	if got := a.expect(http.StatusOK, "POST", "/v1/users/batch", body, ctAdmin).Body["accepted"]; got != 10_000.0 {
		t.Errorf("accepted %v, want 10000", got)
	}
	huge := ctJSON(map[string]any{"users": []any{}, "padding": strings.Repeat("x", 8<<20)}, "")
	ctRefuseAll(t, a, []ctErrCase{
		{"a batch over 8 MiB", "POST", "/v1/users/batch", huge, ctAdmin, 413, "payload_too_large", "8 MiB"},
		{"a user over 1 MiB", "PUT", "/v1/users/zed", ctHuge(map[string]any{"registered_at": ctTime(t0)}), ctAdmin, 413, "payload_too_large", "1 MiB"},
	})
}
