package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashpromo/flashpromo/ports"
)

// The soak's pace: every actor repeats its step on a ticker, so the load is
// the same in every minute, whatever the answers' speed.
const (
	soakWindow      = time.Minute             // a row of the report
	soakFresh       = 2000                    // buyers and crowds come from the users registered last
	soakGrowthLimit = 1.20                    // last minute against the second, over 10 minutes or more
	soakLongRun     = 10 * time.Minute        // from this long on, the growth is checked
	soakHoldsGrace  = 30 * time.Second        // after the last hold's time, for the sweeper to record it
	crowdSize       = 100                     // users of a flash crowd
	crowdStock      = 25                      // units of its promo
	churnKeep       = 5                       // one promo in churnKeep is left to run, the rest cancelled
	churnLife       = 10 * time.Second        // how long a churned promo lives before its cancel
	buyerThink      = 1000 * time.Millisecond // the most a buyer waits between hold and purchase
)

var (
	marketplace = Caller{Role: "marketplace", Subject: "marketplace"}
	analyst     = Caller{Role: "analyst", Subject: "analyst"}
)

func storeCaller(id string) Caller { return Caller{Role: "store", Subject: id, StoreID: id} }

// Soak registers users, the population of a service in use, then runs a
// mixed load on the server for duration, all at once: users
// registering, moving and buying through holds; promos created and
// cancelled every few seconds; flash crowds on a hot promo (holds bought,
// released, and left to expire); reads; replays of the event log. Each
// caller has the credential of its role. It prints p50 and p99 per endpoint
// and the server's resident memory per minute, then checks the invariants
// from the log once the last hold's time has passed. It fails, saying why,
// on any 5xx or unanswered request, a broken invariant and, for 10 minutes
// or more, memory or p99 of the last minute over 1.2 times the second's.
func (l *Loader) Soak(ctx context.Context, users int, duration time.Duration) error {
	if l.JWTSecret == "" {
		return errors.New("soak: each caller needs a token of its role: set --jwt-secret (the server's FLASHPROMO_JWT_SECRET)")
	}
	s := &soak{l: l, ctx: ctx, hotStore: storeCaller(l.Run + "-hot")}
	fmt.Fprintf(l.Out, "soak: %d users, then %s of mixed load on %s, run %s\n", users, duration, l.Server, l.Run)
	if err := s.seed(users); err != nil {
		return err
	}
	start := time.Now()
	s.stats = newSoakStats(start, soakWindow, duration)
	run, stop := context.WithDeadline(ctx, start.Add(duration))
	defer stop()
	var wg sync.WaitGroup
	actors := []func(context.Context){s.register, s.registerBatches, s.move, s.move, s.buy, s.buy, s.buy,
		s.churn, s.crowds, s.read, s.read, s.replay, s.sample, s.progress}
	for _, actor := range actors {
		wg.Go(func() { actor(run) })
	}
	wg.Wait()
	if ctx.Err() != nil {
		return ctx.Err()
	}
	for w := range s.stats.last + 1 {
		s.stats.printWindow(l.Out, w)
	}
	s.stats.printStatuses(l.Out)
	failures := append(s.verdict(duration), s.checkLog()...)
	if len(failures) > 0 {
		return fmt.Errorf("soak failed:\n  %s", strings.Join(failures, "\n  "))
	}
	fmt.Fprintln(l.Out, "soak: pass")
	return nil
}

// soak is one run's shared state. Requests go with ctx, not with the run's
// deadline, so that a step under way when the run ends is answered.
type soak struct {
	l        *Loader
	ctx      context.Context
	stats    *soakStats
	users    population
	promos   population // the churned promos not cancelled
	hot      atomic.Pointer[string]
	hotStore Caller
	next     atomic.Int64 // numbers of users, promos and crowds

	mu       sync.Mutex
	granted  []string  // holds answered 201
	lastHold time.Time // the latest expiry of those
}

// send is a request of the load: timed and counted under endpoint.
func (s *soak) send(endpoint, method, path string, body, out any, as Caller) (int, error) {
	t := time.Now()
	code, err := s.l.Send(s.ctx, method, path, body, out, as)
	if s.ctx.Err() == nil {
		s.stats.record(endpoint, t, time.Since(t), code, err)
	}
	return code, err
}

// seed registers n users before the clock starts, seedBatch a request.
func (s *soak) seed(n int) error {
	for from := 0; from < n; from += seedBatch {
		to := min(from+seedBatch, n)
		if _, err := s.registerUsers(from, to); err != nil {
			return fmt.Errorf("registering the population: %w", err)
		}
	}
	s.next.Store(int64(n))
	return nil
}

// registerUsers registers users from to to as the marketplace, in one batch.
func (s *soak) registerUsers(from, to int) (int, error) {
	r := rand.New(rand.NewPCG(uint64(from), uint64(to)))
	code, err := s.l.registerUsers(s.ctx, r, from, to, 1500, time.Now().Add(-time.Hour), marketplace)
	if err == nil {
		for i := from; i < to; i++ {
			s.users.add(s.l.User(i))
		}
	}
	return code, err
}

// register signs up a user every 200 ms, one in twenty a frequent buyer
// (registered long ago, three purchases reported).
func (s *soak) register(run context.Context) {
	r := newRand()
	ports.Every(run, 200*time.Millisecond, func(context.Context) {
		n := int(s.next.Add(1))
		id, frequent := s.l.User(n), n%20 == 0
		registered := time.Now().Add(-time.Hour)
		if frequent {
			registered = registered.AddDate(0, -3, 0)
		}
		body := map[string]any{"registered_at": registered.Format(time.RFC3339), "location": around(r, 1500)}
		if code, _ := s.send("PUT /v1/users/{id}", http.MethodPut, "/v1/users/"+id, body, nil, marketplace); code != http.StatusOK {
			return
		}
		if frequent {
			for i := range 3 {
				s.reportPurchase(id, fmt.Sprintf("%s-b%d", id, i), time.Now().Add(-time.Duration(i+1)*24*time.Hour))
			}
		}
		s.users.add(id)
	})
}

// registerBatches loads 100 users at once every 10 s.
func (s *soak) registerBatches(run context.Context) {
	ports.Every(run, 10*time.Second, func(context.Context) {
		from, t := int(s.next.Add(100))-100, time.Now()
		code, err := s.registerUsers(from, from+100)
		s.stats.record("POST /v1/users/batch", t, time.Since(t), code, err)
	})
}

// reportPurchase is the marketplace telling of an order of user's.
func (s *soak) reportPurchase(user, id string, at time.Time) {
	body := map[string]any{"purchase_id": id, "purchased_at": at.Format(time.RFC3339Nano)}
	s.send("POST /v1/users/{id}/purchases", http.MethodPost, "/v1/users/"+user+"/purchases", body, nil, marketplace)
}

// move sends a user somewhere else every 50 ms.
func (s *soak) move(run context.Context) {
	r := newRand()
	ports.Every(run, 50*time.Millisecond, func(context.Context) {
		if id, ok := s.users.pick(r, 0); ok {
			s.send("PUT /v1/users/{id}/location", http.MethodPut, "/v1/users/"+id+"/location", around(r, 1800), nil, Client(id))
		}
	})
}

// buy has a recent user look at its promos every 100 ms, hold one that has
// units left, and buy it (then the marketplace reports the order) or let
// it go.
func (s *soak) buy(run context.Context) {
	r := newRand()
	ports.Every(run, 100*time.Millisecond, func(context.Context) {
		id, ok := s.users.pick(r, soakFresh)
		if !ok {
			return
		}
		var seen struct {
			Promos []struct {
				ID        string `json:"id"`
				Available int    `json:"available"`
			} `json:"promos"`
		}
		if _, err := s.send("GET /v1/users/{id}/promos", http.MethodGet, "/v1/users/"+id+"/promos", nil, &seen, Client(id)); err != nil {
			return
		}
		var open []string
		for _, p := range seen.Promos {
			if p.Available > 0 {
				open = append(open, p.ID)
			}
		}
		if len(open) == 0 {
			return
		}
		s.holdAndDecide(r, open[r.IntN(len(open))], id, buyerThink, 0.7, 1)
	})
}

// holdAndDecide reserves a unit of promo for user and, after thinking up
// to think, buys it with odds buy, releases it with odds release-buy, or
// else leaves it to expire. It says whether the promo was sold out.
func (s *soak) holdAndDecide(r *rand.Rand, promo, user string, think time.Duration, buy, release float64) (soldOut bool) {
	var hold struct {
		ID        string    `json:"id"`
		ExpiresAt time.Time `json:"expires_at"`
	}
	code, _ := s.send("POST /v1/promos/{id}/reservations", http.MethodPost, "/v1/promos/"+promo+"/reservations",
		map[string]string{"user_id": user}, &hold, Client(user))
	if code != http.StatusCreated {
		return code == http.StatusConflict
	}
	s.grant(hold.ID, hold.ExpiresAt)
	time.Sleep(time.Duration(r.Int64N(int64(think))))
	switch x := r.Float64(); {
	case x < buy:
		if code, _ := s.send("POST /v1/reservations/{id}/purchase", http.MethodPost, "/v1/reservations/"+hold.ID+"/purchase",
			map[string]string{"user_id": user}, nil, Client(user)); code == http.StatusOK {
			s.reportPurchase(user, hold.ID, time.Now())
			s.send("GET /v1/reservations/{id}", http.MethodGet, "/v1/reservations/"+hold.ID, nil, nil, Client(user))
		}
	case x < release:
		s.send("DELETE /v1/reservations/{id}", http.MethodDelete, "/v1/reservations/"+hold.ID+"?user_id="+user, nil, nil, Client(user))
	}
	return false
}

func (s *soak) grant(id string, expires time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.granted = append(s.granted, id)
	if expires.After(s.lastHold) {
		s.lastHold = expires
	}
}

// churn has a store create a promo every 2 s, starting now or within 3 s,
// and cancel each one 10 s later, but one in five, which runs on.
func (s *soak) churn(run context.Context) {
	r := newRand()
	type made struct {
		id    string
		store Caller
		at    time.Time
	}
	var queue []made
	ports.Every(run, 2*time.Second, func(context.Context) {
		n := s.next.Add(1)
		id, store := fmt.Sprintf("%s-p%d", s.l.Run, n), storeCaller(fmt.Sprintf("%s-s%d", s.l.Run, n))
		body := promoBody(id, store.StoreID, around(r, 2000), time.Now().Add(time.Duration(r.Int64N(int64(3*time.Second)))), 5+r.IntN(16))
		if code, _ := s.send("POST /v1/promos", http.MethodPost, "/v1/promos", body, nil, store); code == http.StatusCreated {
			s.promos.add(id)
			if n%churnKeep != 0 {
				queue = append(queue, made{id, store, time.Now()})
			}
		}
		if len(queue) > 0 && time.Since(queue[0].at) >= churnLife {
			m := queue[0]
			queue = queue[1:]
			s.promos.remove(m.id)
			s.send("POST /v1/promos/{id}/cancel", http.MethodPost, "/v1/promos/"+m.id+"/cancel", nil, nil, m.store)
		}
	})
}

// crowds makes a hot promo every 20 s, the first at once, and sets a crowd
// of recent users on it: each holds a unit (trying again while it is sold
// out), then buys it, releases it, or leaves it to expire.
func (s *soak) crowds(run context.Context) {
	s.crowd(run)
	ports.Every(run, 20*time.Second, func(context.Context) { s.crowd(run) })
}

func (s *soak) crowd(run context.Context) {
	id := fmt.Sprintf("%s-hot%d", s.l.Run, s.next.Add(1))
	centre := map[string]float64{"lat": Centre.Lat, "lng": Centre.Lng}
	if code, _ := s.send("POST /v1/promos", http.MethodPost, "/v1/promos", promoBody(id, s.hotStore.StoreID, centre, time.Now(), crowdStock),
		nil, s.hotStore); code != http.StatusCreated {
		return
	}
	s.hot.Store(&id)
	crowd := s.users.sample(newRand(), soakFresh, crowdSize)
	var wg sync.WaitGroup
	for _, user := range crowd {
		wg.Go(func() {
			r := newRand()
			for try := 0; try < 3 && run.Err() == nil; try++ {
				if !s.holdAndDecide(r, id, user, 3*time.Second, 0.5, 0.7) {
					return
				}
				time.Sleep(300 * time.Millisecond)
			}
		})
	}
	wg.Wait()
}

// read has a user read what it may see, a hot or churned promo, its
// notifications, or the hot store its promos, every 20 ms.
func (s *soak) read(run context.Context) {
	r := newRand()
	ports.Every(run, 20*time.Millisecond, func(context.Context) {
		user, ok := s.users.pick(r, 0)
		if !ok {
			return
		}
		switch x := r.IntN(100); {
		case x < 40:
			s.send("GET /v1/users/{id}/promos", http.MethodGet, "/v1/users/"+user+"/promos", nil, nil, Client(user))
		case x < 60:
			if hot := s.hot.Load(); hot != nil {
				s.send("GET /v1/promos/{id}", http.MethodGet, "/v1/promos/"+*hot, nil, nil, Client(user))
			}
		case x < 75:
			if id, ok := s.promos.pick(r, 0); ok {
				s.send("GET /v1/promos/{id}", http.MethodGet, "/v1/promos/"+id, nil, nil, Client(user))
			}
		case x < 90:
			s.send("GET /v1/users/{id}/notifications", http.MethodGet, "/v1/users/"+user+"/notifications", nil, nil, Client(user))
		default:
			s.send("GET /v1/promos?status=active", http.MethodGet, "/v1/promos?status=active", nil, nil, s.hotStore)
		}
	})
}

// replay has an analyst page through the whole log, a page of 1,000 events
// every 100 ms, from the start again once at its head: paced by the page,
// so that the replays weigh the same while the log grows.
func (s *soak) replay(run context.Context) {
	var after int64
	ports.Every(run, 100*time.Millisecond, func(context.Context) {
		var page struct {
			Events    []struct{} `json:"events"`
			NextAfter int64      `json:"next_after"`
		}
		path := fmt.Sprintf("/v1/events?after=%d&limit=1000", after)
		if _, err := s.send("GET /v1/events", http.MethodGet, path, nil, &page, analyst); err != nil || len(page.Events) == 0 {
			after = 0
			return
		}
		after = page.NextAfter
	})
}

// sample reads the server's resident memory every 5 s.
func (s *soak) sample(run context.Context) {
	ports.Every(run, 5*time.Second, func(context.Context) {
		t := time.Now()
		code, rss, err := s.l.residentBytes(s.ctx)
		if err != nil && code == http.StatusOK {
			code = 0 // an answer without the figure is no answer
		}
		s.stats.record("GET /metrics", t, time.Since(t), code, err)
		if err == nil {
			s.stats.resident(t, rss)
		}
		s.stats.loaded(t)
	})
}

// progress says a word each minute, so a long run shows it is alive.
func (s *soak) progress(run context.Context) {
	ports.Every(run, soakWindow, func(context.Context) {
		fivexx, unanswered := s.stats.failed()
		w := int(time.Since(s.stats.start)/soakWindow) - 1
		f := s.stats.figures(w)
		fmt.Fprintf(s.l.Out, "  minute %d: %d requests, p99 %s, resident %.1f MiB, load average up to %.1f; %d 5xx, %d unanswered so far\n",
			w+1, len(f.all.ds), ms(f.all.quantile(0.99)), f.rss/(1<<20), f.load, fivexx, unanswered)
	})
}

// verdict names the failures of the load itself: 5xx, requests without an
// answer, and on a long run the last minute's growth over the second's.
func (s *soak) verdict(duration time.Duration) []string {
	var out []string
	fivexx, unanswered := s.stats.failed()
	if fivexx > 0 || unanswered > 0 {
		out = append(out, fmt.Sprintf("%d answers 5xx and %d requests without an answer, such as %s",
			fivexx, unanswered, strings.Join(s.stats.failures, "; ")))
	}
	if duration < soakLongRun {
		return out
	}
	second, last := s.stats.figures(1), s.stats.figures(int(duration/soakWindow)-1)
	fmt.Fprintf(s.l.Out, "last minute against the second: resident %.1f/%.1f MiB (×%.2f), p99 %s/%s (×%.2f)\n",
		last.rss/(1<<20), second.rss/(1<<20), last.rss/second.rss, ms(last.all.quantile(0.99)), ms(second.all.quantile(0.99)),
		float64(last.all.quantile(0.99))/float64(second.all.quantile(0.99)))
	if last.rss > soakGrowthLimit*second.rss {
		out = append(out, fmt.Sprintf("resident memory grew: %.1f MiB in the last minute, %.1f MiB in the second",
			last.rss/(1<<20), second.rss/(1<<20)))
	}
	if p, q := last.all.quantile(0.99), second.all.quantile(0.99); float64(p) > soakGrowthLimit*float64(q) {
		out = append(out, fmt.Sprintf("p99 grew: %s in the last minute, %s in the second", ms(p), ms(q)))
	}
	return out
}

// checkLog waits for the last hold's time to pass, then folds the log to
// its head, again while holds are open, until the sweeper has had time to
// record them, and names the invariants it breaks.
func (s *soak) checkLog() []string {
	s.mu.Lock()
	granted, lastHold := s.granted, s.lastHold
	s.mu.Unlock()
	if wait := time.Until(lastHold); wait > 0 {
		fmt.Fprintf(s.l.Out, "waiting %s for the last hold's time to pass\n", wait.Round(time.Second))
		time.Sleep(wait)
	}
	c, deadline := newLogCheck(), time.Now().Add(soakHoldsGrace)
	for {
		if err := s.l.fold(s.ctx, c); err != nil {
			return []string{"reading the log: " + err.Error()}
		}
		if len(c.unresolved()) == 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Second)
	}
	fmt.Fprintf(s.l.Out, "log: %d events, %d promos, %d holds (%d answered 201 here), %d notifications\n",
		c.events, len(c.stock), len(c.placed), len(granted), len(c.notified))
	return c.failures(granted)
}

// population is a list of ids that grows while actors pick from it.
type population struct {
	mu  sync.Mutex
	ids []string
}

func (p *population) add(id string) {
	p.mu.Lock()
	p.ids = append(p.ids, id)
	p.mu.Unlock()
}

func (p *population) remove(id string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, x := range p.ids {
		if x == id {
			p.ids = append(p.ids[:i], p.ids[i+1:]...)
			return
		}
	}
}

// pick is one of the last recent ids (of all, when 0).
func (p *population) pick(r *rand.Rand, recent int) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pool := p.last(recent)
	if len(pool) == 0 {
		return "", false
	}
	return pool[r.IntN(len(pool))], true
}

// sample is n distinct ids of the last recent (of all, when 0), or fewer
// when there are not so many.
func (p *population) sample(r *rand.Rand, recent, n int) []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	pool := p.last(recent)
	out := make([]string, 0, min(n, len(pool)))
	for _, i := range r.Perm(len(pool))[:min(n, len(pool))] {
		out = append(out, pool[i])
	}
	return out
}

// last is the last recent ids (all, when 0); the caller holds the lock.
func (p *population) last(recent int) []string {
	if recent > 0 && len(p.ids) > recent {
		return p.ids[len(p.ids)-recent:]
	}
	return p.ids
}

func newRand() *rand.Rand { return rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64())) }
