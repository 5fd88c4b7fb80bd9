package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/ports/auth"
)

// Loader drives a running server for the load scenarios of BENCHMARKS.md
// and for the crash tests.
type Loader struct {
	Server      string // base URL
	AdminToken  string // the operator's token
	Token       string // a JWT to call with instead of the admin token, when set
	JWTSecret   string // mints each user's own token; without it, the operator acts for them
	Concurrency int    // connections at once
	Run         string // prefix of this run's ids, so runs do not collide
	Client      *http.Client
	Out         io.Writer
	// StaticCommand, given the reply's size as its last argument, runs the
	// ceiling's static server as a process of its own (ServeStatic); nil:
	// in this process.
	StaticCommand []string

	tokens  sync.Map     // Caller -> "Bearer <token>"
	replied atomic.Int64 // bytes of the replies read
}

// Prepare fills what was left unset: a run prefix from the time, a client
// with a connection per worker, standard output.
func (l *Loader) Prepare() {
	if l.Run == "" {
		l.Run = fmt.Sprintf("r%d", time.Now().Unix())
	}
	if l.Client == nil {
		l.Client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			MaxIdleConns: l.Concurrency * 2, MaxIdleConnsPerHost: l.Concurrency * 2}}
	}
	if l.Out == nil {
		l.Out = os.Stdout
	}
}

// operator is the operator's credential: its JWT, else the admin token.
func (l *Loader) operator() string {
	if l.Token != "" {
		return l.Token
	}
	return l.AdminToken
}

// Centre is TechShop's corner of Mexico City; the scenarios scatter around it.
var Centre = struct{ Lat, Lng float64 }{19.4326, -99.1332}

// Caller is who a request is sent as: a holder of one role of the
// marketplace's tokens (a client is its user, a store manages StoreID), or,
// when zero, the operator.
type Caller struct {
	Role    string // client, store, marketplace, analyst or admin
	Subject string
	StoreID string
}

// Client is the caller acting as user: the user itself, or the operator when
// user is "".
func Client(user string) Caller {
	if user == "" {
		return Caller{}
	}
	return Caller{Role: "client", Subject: user}
}

// Call sends a JSON request as user (the operator when ""), and decodes the
// reply into out (when not nil).
func (l *Loader) Call(ctx context.Context, method, path string, body, out any, user string) (int, error) {
	return l.Send(ctx, method, path, body, out, Client(user))
}

// Send sends a JSON request as caller, and decodes the reply into out (when
// not nil). A status of 300 or more with out set is an error with the body.
func (l *Loader) Send(ctx context.Context, method, path string, body, out any, as Caller) (int, error) {
	return l.sendTo(ctx, l.Server, method, path, body, out, as)
}

// sendTo is Send to the server at base.
func (l *Loader) sendTo(ctx context.Context, base, method, path string, body, out any, as Caller) (int, error) {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, rd)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	credential, err := l.credential(as)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", credential)
	res, err := l.Client.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if out == nil { // read to the end, keep nothing: the loader's own cost stays small
		n, err := io.Copy(io.Discard, res.Body)
		l.replied.Add(n)
		return res.StatusCode, err
	}
	data, err := io.ReadAll(res.Body)
	l.replied.Add(int64(len(data)))
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	return res.StatusCode, json.Unmarshal(data, out)
}

// credential is the Authorization header of a request as caller: the
// caller's own token, minted once, when the secret is known; else the
// operator's.
func (l *Loader) credential(as Caller) (string, error) {
	if as == (Caller{}) || l.JWTSecret == "" {
		return "Bearer " + l.operator(), nil
	}
	if t, ok := l.tokens.Load(as); ok {
		return t.(string), nil
	}
	t, err := auth.Mint(l.JWTSecret, auth.Token{Subject: as.Subject, Roles: []string{as.Role}, StoreID: as.StoreID,
		IssuedAt: time.Now(), TTL: 24 * time.Hour})
	if err != nil {
		return "", err
	}
	l.tokens.Store(as, "Bearer "+t)
	return "Bearer " + t, nil
}

// mintAll mints the tokens of the first users seeded, so that reads timed
// afterwards spend nothing on signing (6–7 µs a token, against a read's
// tens). Without the secret the operator's token serves, and nothing is
// minted.
func (l *Loader) mintAll(ctx context.Context, users int) error {
	if l.JWTSecret == "" {
		return nil
	}
	_, _, took, err := l.hammer(ctx, users, func(i int) (int, error) {
		_, err := l.credential(Client(l.User(i)))
		return 0, err
	})
	fmt.Fprintf(l.Out, "minted %d users' tokens in %.1fs\n", users, took.Seconds())
	return err
}

// around is a point less than maxM metres from the Centre.
func around(r *rand.Rand, maxM float64) map[string]float64 {
	d, a := maxM*math.Sqrt(r.Float64()), 2*math.Pi*r.Float64()
	return map[string]float64{
		"lat": Centre.Lat + d*math.Cos(a)/111_195,
		"lng": Centre.Lng + d*math.Sin(a)/(111_195*math.Cos(Centre.Lat*math.Pi/180)),
	}
}

// seedBatch users a request keep the body under 1 MiB, which binds before
// the contract's 10,000 users a request.
const seedBatch = 5000

// SeedUsers registers n new users within spreadM of the Centre.
func (l *Loader) SeedUsers(ctx context.Context, n int, spreadM float64) error {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	registered := time.Now().Add(-72 * time.Hour)
	start := time.Now()
	for from := 0; from < n; from += seedBatch {
		to := min(from+seedBatch, n)
		if _, err := l.registerUsers(ctx, r, from, to, spreadM, registered, Caller{}); err != nil {
			return err
		}
		fmt.Fprintf(l.Out, "seeded %d/%d users (%.0f/s)\n", to, n, float64(to)/time.Since(start).Seconds())
	}
	return nil
}

// registerUsers registers users from to to (l.User's numbers) in one batch,
// registered then, within spreadM of the Centre, as caller.
func (l *Loader) registerUsers(ctx context.Context, r *rand.Rand, from, to int, spreadM float64, registered time.Time, as Caller) (int, error) {
	batch := make([]map[string]any, 0, to-from)
	for i := from; i < to; i++ {
		batch = append(batch, map[string]any{"user_id": l.User(i), "registered_at": registered.Format(time.RFC3339), "location": around(r, spreadM)})
	}
	var ok map[string]int
	return l.Send(ctx, http.MethodPost, "/v1/users/batch", map[string]any{"users": batch}, &ok, as)
}

func (l *Loader) User(i int) string { return fmt.Sprintf("%s-u%07d", l.Run, i) }

// Promo creates a promo of this run at store location loc.
func (l *Loader) Promo(ctx context.Context, id string, loc map[string]float64, starts time.Time, stock int) error {
	var created map[string]any
	_, err := l.Send(ctx, http.MethodPost, "/v1/promos", promoBody(id, "store-"+id, loc, starts, stock), &created, Caller{})
	return err
}

// promoBody is a promo of store at loc, of two hours from starts.
func promoBody(id, store string, loc map[string]float64, starts time.Time, stock int) map[string]any {
	return map[string]any{
		"id":            id,
		"store":         map[string]any{"id": store, "name": "Bench store", "location": loc},
		"product":       map[string]any{"id": "product-" + id, "name": "Audífonos XYZ"},
		"regular_price": map[string]any{"amount": 99900, "currency": "MXN"},
		"promo_price":   map[string]any{"amount": 49900, "currency": "MXN"},
		"segments":      []string{"new_users", "frequent_buyers"},
		"radius_m":      2000,
		"starts_at":     starts.Format(time.RFC3339Nano),
		"ends_at":       starts.Add(2 * time.Hour).Format(time.RFC3339),
		"stock":         stock,
	}
}

// fanout times a fan-out to users through the server and, given the
// server's database, the peers' way on the same Postgres right after. With
// reads, users read their promos while it is delivered, and after.
func (l *Loader) Fanout(ctx context.Context, users int, databaseURL string, peerUsers int, reads bool) error {
	rate, starts, err := l.serverFanout(ctx, users, reads)
	if err != nil || databaseURL == "" || reads { // the reads after it would delay the relay's figure
		return err
	}
	if err := l.relayed(ctx, databaseURL, starts); err != nil {
		return err
	}
	if peerUsers == 0 {
		return nil
	}
	peer, err := l.peerFanout(ctx, databaseURL, peerUsers)
	if err != nil {
		return err
	}
	fmt.Fprintf(l.Out, "ratio: %.1f× the peers' users/s\n", rate/peer)
	return nil
}

func (l *Loader) serverFanout(ctx context.Context, users int, reads bool) (float64, time.Time, error) {
	if err := l.SeedUsers(ctx, users, 1500); err != nil {
		return 0, time.Time{}, err
	}
	if reads {
		if err := l.mintAll(ctx, users); err != nil {
			return 0, time.Time{}, err
		}
	}
	id := l.Run + "-fanout"
	starts := time.Now().Add(3 * time.Second)
	if err := l.Promo(ctx, id, map[string]float64{"lat": Centre.Lat, "lng": Centre.Lng}, starts, 1); err != nil {
		return 0, starts, err
	}
	fmt.Fprintf(l.Out, "promo %s activates at %s\n", id, starts.Format(time.RFC3339Nano))
	if reads {
		delivered, readErr := make(chan struct{}), make(chan error, 1)
		go func() { readErr <- l.readsDuring(ctx, users, starts, delivered) }()
		defer func() {
			close(delivered)
			if err := <-readErr; err != nil {
				fmt.Fprintf(l.Out, "reads: %v\n", err)
			}
		}()
	}
	var said time.Time
	for {
		var p struct{ Notifications struct{ Sent int } }
		code, err := l.Call(ctx, http.MethodGet, "/v1/promos/"+id, nil, &p, "")
		if err != nil && code != http.StatusNotFound { // 404: the read model has not seen the promo yet
			return 0, starts, err
		}
		took := time.Since(starts)
		if p.Notifications.Sent >= users {
			rate := float64(users) / took.Seconds()
			fmt.Fprintf(l.Out, "fanout: %d users notified %.2fs after activation: %.0f users/s\n", p.Notifications.Sent, took.Seconds(), rate)
			return rate, starts, nil
		}
		if took > 0 && time.Since(said) >= time.Second {
			fmt.Fprintf(l.Out, "  %.1fs: %d/%d notified\n", took.Seconds(), p.Notifications.Sent, users)
			said = time.Now()
		}
		select { // a short poll: it is the resolution of the figure
		case <-ctx.Done():
			return 0, starts, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// relayed waits until the relay has published the whole log as it is now
// (every notification of the fan-out on flashpromo.notifications), and says
// how long after the activation that was. A server without Kafka has no
// relay: its checkpoint never appears, and relayed says so.
func (l *Loader) relayed(ctx context.Context, databaseURL string, starts time.Time) error {
	pool, err := postgres.Connect(ctx, databaseURL)
	if err != nil {
		return err
	}
	defer pool.Close()
	store := postgres.New(pool)
	head, err := store.Head(ctx)
	if err != nil {
		return err
	}
	if head == (eventstore.Cursor{}) { // else an empty log would pass for one relayed
		return fmt.Errorf("the log at the database URL is empty: it is not the server's")
	}
	waited := time.Now()
	for {
		at, err := store.Checkpoint(ctx, outbox.Checkpoint)
		if err != nil {
			return err
		}
		switch {
		case !at.Less(head):
			fmt.Fprintf(l.Out, "published: the relay had every notification on Kafka %.2fs after activation\n", time.Since(starts).Seconds())
			return nil
		case at == (eventstore.Cursor{}) && time.Since(waited) > 3*time.Second:
			fmt.Fprintln(l.Out, "published: no relay checkpoint (is Kafka configured?)")
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// latencies collects request durations from many goroutines.
type latencies struct {
	mu sync.Mutex
	ds []time.Duration
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	l.ds = append(l.ds, d)
	l.mu.Unlock()
}

func (l *latencies) quantile(q float64) time.Duration {
	slices.Sort(l.ds)
	if len(l.ds) == 0 {
		return 0
	}
	return l.ds[min(len(l.ds)-1, int(q*float64(len(l.ds))))]
}

// hammer runs n requests over the Loader's connections.
func (l *Loader) hammer(ctx context.Context, n int, do func(i int) (int, error)) (map[int]int, *latencies, time.Duration, error) {
	var next atomic.Int64
	var lat latencies
	codes := map[int]int{}
	var mu sync.Mutex
	var firstErr error
	var wg sync.WaitGroup
	start := time.Now()
	for range l.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < n && ctx.Err() == nil; i = int(next.Add(1)) - 1 {
				t := time.Now()
				code, err := do(i)
				lat.add(time.Since(t))
				mu.Lock()
				codes[code]++
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return codes, &lat, time.Since(start), firstErr
}

func (l *Loader) Reserve(ctx context.Context, users, stock, requests int) error {
	if err := l.SeedUsers(ctx, users, 1500); err != nil {
		return err
	}
	if err := l.mintAll(ctx, users); err != nil {
		return err
	}
	id := l.Run + "-crowd"
	if err := l.Promo(ctx, id, map[string]float64{"lat": Centre.Lat, "lng": Centre.Lng}, time.Now(), stock); err != nil {
		return err
	}
	codes, lat, took, err := l.hammer(ctx, requests, func(i int) (int, error) {
		return l.Call(ctx, http.MethodPost, "/v1/promos/"+id+"/reservations", map[string]string{"user_id": l.User(i % users)}, nil, l.User(i%users))
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(l.Out, "reserve: %d requests in %.2fs: %.0f decisions/s, p50 %s, p99 %s\n", requests, took.Seconds(),
		float64(requests)/took.Seconds(), lat.quantile(0.5), lat.quantile(0.99))
	fmt.Fprintf(l.Out, "  statuses: %v (201 granted, 200 the user's own hold again, 409 sold out, 429 rate limited)\n", codes)
	var p struct {
		Stock struct{ Total, Held, Sold int }
	}
	if _, err := l.Call(ctx, http.MethodGet, "/v1/promos/"+id, nil, &p, ""); err != nil {
		return err
	}
	fmt.Fprintf(l.Out, "  promo stock: %+v\n", p.Stock)
	if codes[http.StatusCreated] != stock || p.Stock.Held+p.Stock.Sold > p.Stock.Total {
		return fmt.Errorf("granted %d holds for a stock of %d", codes[http.StatusCreated], stock)
	}
	return nil
}

// fanoutsDone waits until the server's fan-outs are over: none judged
// going (flashpromo_fanout_backlog_promos) and no shard ended for the last
// two seconds. The gauge alone is not enough: a fan-out that notifies
// nobody is judged over 15 s after its activation, however long its search
// goes on.
func (l *Loader) fanoutsDone(ctx context.Context) error {
	const poll, still = 500 * time.Millisecond, 4
	start, last, same := time.Now(), -1.0, 0
	for same < still {
		select {
		case <-time.After(poll):
		case <-ctx.Done():
			return ctx.Err()
		}
		_, backlog, err := l.metric(ctx, "flashpromo_fanout_backlog_promos")
		if err != nil {
			return err
		}
		_, shards, err := l.metric(ctx, "flashpromo_fanout_shards_total")
		if err != nil {
			return err
		}
		if backlog == 0 && shards == last {
			same++
		} else {
			same = 0
		}
		last = shards
	}
	fmt.Fprintf(l.Out, "fan-outs over %.1fs after the seeding\n", time.Since(start).Seconds())
	return nil
}

func (l *Loader) Query(ctx context.Context, users, promos int, spreadM float64, duration time.Duration) error {
	r := rand.New(rand.NewPCG(2, uint64(promos)))
	at := make([]map[string]float64, promos)
	for i := range at {
		at[i] = around(r, spreadM)
	}
	var seeded atomic.Int64
	_, _, _, err := l.hammer(ctx, promos, func(i int) (int, error) {
		err := l.Promo(ctx, fmt.Sprintf("%s-q%05d", l.Run, i), at[i], time.Now(), 10)
		if n := seeded.Add(1); n%1000 == 0 {
			fmt.Fprintf(l.Out, "seeded %d/%d promos\n", n, promos)
		}
		return 0, err
	})
	if err != nil {
		return err
	}
	// Users come after the promos activated, and the reads wait for the
	// promos' fan-outs to end, so that none runs during the reads: this
	// scenario measures reads alone.
	if err := l.SeedUsers(ctx, users, spreadM); err != nil {
		return err
	}
	if err := l.fanoutsDone(ctx); err != nil {
		return err
	}
	if err := l.mintAll(ctx, users); err != nil {
		return err
	}
	before, cpuErr := l.cpuNow(ctx)
	reads, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	l.replied.Store(0)
	codes, lat, took, _ := l.readPromos(reads, l.Server, users)
	after, err := l.cpuNow(ctx)
	cpuErr = errors.Join(cpuErr, err)
	n, all := 0, 0
	for code, c := range codes {
		all += c
		if code == http.StatusOK {
			n += c
		}
	}
	rate := float64(n) / took.Seconds()
	size := int(l.replied.Load() / int64(max(1, all)))
	fmt.Fprintf(l.Out, "query: %d reads in %.2fs: %.0f requests/s, p50 %s, p99 %s, mean reply %d B; statuses %v\n", n, took.Seconds(),
		rate, lat.quantile(0.5), lat.quantile(0.99), size, codes)
	if cpuErr == nil { // a server without a process collector (not on Linux) does not say
		fmt.Fprintf(l.Out, "CPU a read: %s\n", before.perRequest(after, all))
	}
	return l.ceiling(ctx, users, size, duration, rate)
}
