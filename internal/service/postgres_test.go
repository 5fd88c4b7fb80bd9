package service

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
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

// activePromo creates a promo that is active at the clock's now.
func (s *testServer) activePromo(id string, stock int) {
	s.t.Helper()
	body := promoBody(s.clock.Now().Add(-time.Minute), s.clock.Now().Add(2*time.Hour), stock)
	body["id"] = id
	s.must(http.StatusCreated, "POST", "/v1/promos", body, true)
}

func (s *testServer) events(query string) []any {
	s.t.Helper()
	r := s.must(http.StatusOK, "GET", "/v1/events?limit=10000&"+query, nil, true)
	return r.Body["events"].([]any)
}

// allEvents pages through the whole log, so an event too many is counted too.
func (s *testServer) allEvents(query string) []any {
	s.t.Helper()
	var all []any
	for after := int64(0); ; {
		r := s.must(http.StatusOK, "GET", fmt.Sprintf("/v1/events?limit=10000&after=%d&%s", after, query), nil, true)
		page := r.Body["events"].([]any)
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = int64(r.Body["next_after"].(float64))
	}
}

func (s *testServer) notifications(user string) int {
	s.t.Helper()
	r := s.must(http.StatusOK, "GET", "/v1/users/"+user+"/notifications", nil, false)
	return len(r.Body["notifications"].([]any))
}

// fanoutDone waits until the fan-out has handled the whole log.
func (s *testServer) fanoutDone() {
	s.t.Helper()
	eventually(s.t, "the fan-out has caught up with the log", func() bool {
		ctx := context.Background()
		head, err1 := s.svc.store.Head(ctx)
		at, err2 := s.svc.store.Checkpoint(ctx, "fanout")
		return err1 == nil && err2 == nil && !at.Less(head)
	})
}

func TestPostgresRestartKeepsState(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	a := startServer(t, clock, onPostgres(url))
	for _, u := range []string{"ana", "beto", "caro"} {
		a.newUser(u, near)
	}
	a.activePromo("p1", 10)
	eventually(t, "everyone is notified", func() bool { return a.notifications("caro") == 1 })
	held := a.must(http.StatusCreated, "POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "ana"}, false)
	bought := a.must(http.StatusCreated, "POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "beto"}, false)
	a.must(http.StatusOK, "POST", "/v1/reservations/"+bought.Body["id"].(string)+"/purchase", map[string]any{"user_id": "beto"}, false)
	a.fanoutDone()
	before := len(a.events(""))
	a.stop()

	b := startServer(t, clock, onPostgres(url))
	b.fanoutDone()
	stock := b.must(http.StatusOK, "GET", "/v1/promos/p1", nil, false).Body["stock"].(map[string]any)
	if stock["held"] != 1.0 || stock["sold"] != 1.0 || stock["available"] != 8.0 {
		t.Errorf("stock after restart = %v, want 1 held, 1 sold, 8 available", stock)
	}
	r := b.must(http.StatusOK, "GET", "/v1/reservations/"+held.Body["id"].(string), nil, false)
	if r.Body["status"] != "held" {
		t.Errorf("hold after restart: %v", r.Body)
	}
	for _, u := range []string{"ana", "beto", "caro"} {
		if n := b.notifications(u); n != 1 {
			t.Errorf("%s has %d notifications after restart, want 1", u, n)
		}
	}
	if after := len(b.events("")); after != before {
		t.Errorf("the restart appended %d events", after-before)
	}
	// The hold still frees itself on time after the restart.
	clock.Advance(2 * time.Minute)
	eventually(t, "the sweeper records the expiry", func() bool { return len(b.events("type=ReservationExpired")) == 1 })
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
	s.activePromo("p1", 5)
	via := *s
	via.URL = counted.URL

	// A command through the counting server does reach the database: the
	// counter works.
	via.must(http.StatusOK, "PUT", "/v1/users/ana/location", near, false)
	if queries.n.Load() == 0 {
		t.Fatal("the query counter saw no query of a command")
	}
	queries.n.Store(0)
	for range 200 {
		r := via.must(http.StatusOK, "GET", "/v1/users/ana/promos", nil, false)
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
	a.must(http.StatusCreated, "POST", "/v1/promos", body, true)
	eventually(t, "b sees the promo and the users", func() bool {
		return b.call("GET", "/v1/promos/p1", nil, false).Status == http.StatusOK &&
			b.call("GET", fmt.Sprintf("/v1/users/u%02d", users-1), nil, false).Status == http.StatusOK
	})

	clock.Advance(time.Hour)
	for _, s := range []*testServer{a, b} {
		eventually(t, "the promo is active everywhere", func() bool {
			return len(s.events("type=PromoActivated")) == 1
		})
		s.fanoutDone()
	}
	if n := len(a.events("type=PromoActivated")); n != 1 {
		t.Errorf("%d PromoActivated events, want 1", n)
	}
	if n := len(a.events("type=NotificationSent")); n != users {
		t.Errorf("%d notifications for %d users, want one each", n, users)
	}
	clock.Advance(2 * time.Hour)
	eventually(t, "the promo ends", func() bool { return len(b.events("type=PromoEnded")) == 1 })
	a.fanoutDone() // give both schedulers ticks after the end
	if n := len(a.events("type=PromoEnded")); n != 1 {
		t.Errorf("%d PromoEnded events, want 1", n)
	}
}

func TestPostgresRacesAcrossInstances(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	servers := []*testServer{startServer(t, clock, onPostgres(url)), startServer(t, clock, onPostgres(url))}

	t.Run("overlapping creates: one wins", func(t *testing.T) {
		codes := race(10, func(i int) int {
			body := promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 5)
			body["id"] = fmt.Sprintf("racer-%d", i)
			return servers[i%2].call("POST", "/v1/promos", body, true).Status
		})
		if codes[http.StatusCreated] != 1 || codes[http.StatusConflict] != 9 {
			t.Errorf("statuses %v, want one 201 and nine 409", codes)
		}
	})

	t.Run("one unit, many buyers: one hold", func(t *testing.T) {
		body := promoBody(t0.Add(-time.Minute), t0.Add(time.Hour), 1)
		body["id"], body["product"] = "one-unit", map[string]any{"id": "last-one", "name": "Last one"}
		servers[0].must(http.StatusCreated, "POST", "/v1/promos", body, true)
		for i := range 30 {
			servers[0].newUser(fmt.Sprintf("buyer%02d", i), near)
		}
		eventually(t, "both instances know every buyer", func() bool {
			return servers[1].call("GET", "/v1/users/buyer29", nil, false).Status == http.StatusOK
		})
		codes := race(30, func(i int) int {
			return servers[i%2].call("POST", "/v1/promos/one-unit/reservations",
				map[string]any{"user_id": fmt.Sprintf("buyer%02d", i)}, false).Status
		})
		if codes[http.StatusCreated] != 1 || codes[http.StatusConflict] != 29 {
			t.Errorf("statuses %v, want one 201 and 29 409 sold_out", codes)
		}
	})
}

// race runs n calls at once and counts their statuses.
func race(n int, call func(i int) int) map[int]int {
	var mu sync.Mutex
	var wg sync.WaitGroup
	codes := map[int]int{}
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			code := call(i)
			mu.Lock()
			codes[code]++
			mu.Unlock()
		}()
	}
	close(start)
	wg.Wait()
	return codes
}
