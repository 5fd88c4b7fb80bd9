package service

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// onPostgres configures a service on the given database.
func onPostgres(url string) func(*Config) {
	return func(c *Config) { c.DatabaseURL = url }
}

func TestPostgresRestartKeepsState(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	a := startServer(t, clock, onPostgres(url))
	for _, u := range []string{"ana", "beto", "caro"} {
		a.newUser(u, near)
	}
	a.activePromo("p1", "audifonos-xyz", 10)
	eventually(t, "everyone is notified", func() bool { return len(a.notes("caro")) == 1 })
	held := a.expect(http.StatusCreated, "POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "ana"}, a.as("ana"))
	bought := a.expect(http.StatusCreated, "POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "beto"}, a.as("beto"))
	a.expect(http.StatusOK, "POST", "/v1/reservations/"+bought.Body["id"].(string)+"/purchase", map[string]any{"user_id": "beto"}, a.as("beto"))
	a.fanoutDone()
	before := len(a.allEvents(""))
	a.stop()

	b := startServer(t, clock, onPostgres(url))
	b.fanoutDone()
	stock := b.expect(http.StatusOK, "GET", "/v1/promos/p1", nil, ctAdmin).Body["stock"].(map[string]any)
	if stock["held"] != 1.0 || stock["sold"] != 1.0 || stock["available"] != 8.0 {
		t.Errorf("stock after restart = %v, want 1 held, 1 sold, 8 available", stock)
	}
	r := b.expect(http.StatusOK, "GET", "/v1/reservations/"+held.Body["id"].(string), nil, ctAdmin)
	if r.Body["status"] != "held" {
		t.Errorf("hold after restart: %v", r.Body)
	}
	for _, u := range []string{"ana", "beto", "caro"} {
		if n := len(b.notes(u)); n != 1 {
			t.Errorf("%s has %d notifications after restart, want 1", u, n)
		}
	}
	if after := len(b.allEvents("")); after != before {
		t.Errorf("the restart appended %d events", after-before)
	}
	// The hold still frees itself on time after the restart.
	clock.Advance(2 * time.Minute)
	eventually(t, "the sweeper records the expiry", func() bool { return len(b.allEvents("type=ReservationExpired")) == 1 })
}

// inRequest marks the context of requests whose database queries count.
type inRequest struct{}

type queryCounter struct{ n atomic.Int64 }

func (q *queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	if ctx.Value(inRequest{}) != nil {
		q.n.Add(1)
	}
	return ctx
}

func (q *queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

func TestUserPromosAskNothingOfTheDatabase(t *testing.T) {
	var queries queryCounter
	s := startServer(t, newFakeClock(t0), onPostgres(pgtest.Schema(t)), func(c *Config) { c.tracer = &queries })
	counted := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.svc.Handler().ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), inRequest{}, true)))
	}))
	defer counted.Close()
	s.newUser("ana", near)
	s.activePromo("p1", "audifonos-xyz", 5)
	via := *s
	via.URL = counted.URL

	// A command through the counting server does reach the database: the
	// counter works.
	via.expect(http.StatusOK, "PUT", "/v1/users/ana/location", near, via.as("ana"))
	if queries.n.Load() == 0 {
		t.Fatal("the query counter saw no query of a command")
	}
	queries.n.Store(0)
	for range 200 {
		r := via.expect(http.StatusOK, "GET", "/v1/users/ana/promos", nil, via.as("ana"))
		if len(r.Body["promos"].([]any)) != 1 {
			t.Fatalf("ana sees %s, want the promo", r.Raw)
		}
	}
	if n := queries.n.Load(); n != 0 {
		t.Errorf("200 reads of a user's promos made %d database queries, want 0", n)
	}
}

func TestTwoInstancesActivateOnceAndNotifyOnce(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	a := startServer(t, clock, onPostgres(url))
	b := startServer(t, clock, onPostgres(url))
	users := 40
	for i := range users {
		a.newUser(fmt.Sprintf("u%02d", i), near)
	}
	body := promoBody(t0.Add(time.Hour), t0.Add(3*time.Hour), 5)
	body["id"] = "p1"
	a.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin)
	eventually(t, "b sees the promo and the users", func() bool {
		return b.reply("GET", "/v1/promos/p1", nil, ctAdmin).Status == http.StatusOK &&
			b.reply("GET", fmt.Sprintf("/v1/users/u%02d", users-1), nil, ctAdmin).Status == http.StatusOK
	})

	clock.Advance(time.Hour)
	for _, s := range []*testServer{a, b} {
		eventually(t, "the promo is active everywhere", func() bool {
			return len(s.allEvents("type=PromoActivated")) == 1
		})
		s.fanoutDone()
	}
	if n := len(a.allEvents("type=PromoActivated")); n != 1 {
		t.Errorf("%d PromoActivated events, want 1", n)
	}
	if n := len(a.allEvents("type=NotificationSent")); n != users {
		t.Errorf("%d notifications for %d users, want one each", n, users)
	}
	clock.Advance(2 * time.Hour)
	eventually(t, "the promo ends", func() bool { return len(b.allEvents("type=PromoEnded")) == 1 })
	a.fanoutDone() // give both schedulers ticks after the end
	if n := len(a.allEvents("type=PromoEnded")); n != 1 {
		t.Errorf("%d PromoEnded events, want 1", n)
	}
}

func TestPostgresRacesAcrossInstances(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	servers := []*testServer{startServer(t, clock, onPostgres(url)), startServer(t, clock, onPostgres(url))}

	t.Run("overlapping creates: one wins", func(t *testing.T) {
		replies, errs := ctConcurrently(10, func(i int) (response, error) {
			body := promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 5)
			body["id"] = fmt.Sprintf("racer-%d", i)
			return servers[i%2].raw("POST", "/v1/promos", body, ctAdmin)
		})
		codes := servers[0].with(t).statuses("POST", "/v1/promos", replies, errs)
		if codes[http.StatusCreated] != 1 || codes[http.StatusConflict] != 9 {
			t.Errorf("statuses %v, want one 201 and nine 409", codes)
		}
	})

	t.Run("one unit, many buyers: one hold", func(t *testing.T) {
		body := promoBody(t0.Add(-time.Minute), t0.Add(time.Hour), 1)
		body["id"], body["product"] = "one-unit", map[string]any{"id": "last-one", "name": "Last one"}
		servers[0].expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin)
		for i := range 30 {
			servers[0].newUser(fmt.Sprintf("buyer%02d", i), near)
		}
		eventually(t, "both instances know every buyer", func() bool {
			return servers[1].reply("GET", "/v1/users/buyer29", nil, ctAdmin).Status == http.StatusOK
		})
		replies, errs := ctConcurrently(30, func(i int) (response, error) {
			user := fmt.Sprintf("buyer%02d", i)
			return servers[i%2].raw("POST", "/v1/promos/one-unit/reservations", map[string]any{"user_id": user}, servers[i%2].as(user))
		})
		codes := servers[0].with(t).statuses("POST", "/v1/promos/one-unit/reservations", replies, errs)
		if codes[http.StatusCreated] != 1 || codes[http.StatusConflict] != 29 {
			t.Errorf("statuses %v, want one 201 and 29 409 sold_out", codes)
		}
	})
}
