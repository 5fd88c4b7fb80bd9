package service

// The component tests' one harness: the whole service in process, behind a
// real HTTP server, on a fake clock, and a client that speaks API.md over
// HTTP. Every exchange is checked against docs/openapi.yaml (conform), and
// every reply against what API.md says of every reply: JSON bodies, errors
// shaped exactly {"error": {"code", "message"}}, and (send, check) never a
// 5xx. The ct* functions read the JSON values of the replies.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/internal/pgtest"
	"github.com/flashpromo/flashpromo/internal/topology"
)

const (
	testToken  = "test-admin-token"
	testSecret = "test-jwt-secret-of-32-bytes-or-more"
)

// ctAdmin is the operator's Authorization header: every role, acting for
// any user. Tests call with it unless the caller is what they test (as, and
// the roles' tests of contract_auth_test.go).
const ctAdmin = "Bearer " + testToken

// fakeClock is the service's clock in component tests: time moves only
// when the test says, so nothing depends on the speed of the machine.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func newFakeClock(t time.Time) *fakeClock { return &fakeClock{now: t} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// testServer is the whole service, in process, behind a real HTTP server,
// and the client of it that reports to test t.
type testServer struct {
	t     testing.TB
	URL   string
	clock *fakeClock
	svc   *Service
	stop  func()
	drift *mismatches // what conform found, reported when the starting test ends
}

// t0 is the tests' "now": 2026-11-27 16:00 in Mexico City.
var t0 = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)

// startServer runs the service on the embedded store unless configure sets
// a database URL.
func startServer(t testing.TB, clock *fakeClock, configure ...func(*Config)) *testServer {
	t.Helper()
	cfg := DefaultConfig()
	cfg.AdminToken = testToken
	cfg.Auth.JWTSecret = testSecret
	cfg.Tick = 5 * time.Millisecond
	cfg.ReserveRate = 1000
	for _, f := range configure {
		f(&cfg)
	}
	ctx, cancel := context.WithCancel(context.Background())
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc, err := New(ctx, cfg, clock, log)
	if err != nil {
		cancel()
		t.Fatalf("new service: %v", err)
	}
	ready := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		t.Fatalf("service stopped before it was ready: %v", err)
	}
	srv := httptest.NewServer(svc.Handler())
	s := &testServer{t: t, URL: srv.URL, clock: clock, svc: svc, drift: &mismatches{}}
	t.Cleanup(s.drift.report(t))
	var once sync.Once
	s.stop = func() {
		once.Do(func() {
			srv.Close()
			cancel()
			if err := <-done; err != nil {
				t.Errorf("service run: %v", err)
			}
			svc.Close()
		})
	}
	t.Cleanup(s.stop)
	return s
}

// ctStart starts a service at t0 on the embedded store.
func ctStart(t testing.TB, configure ...func(*Config)) *testServer {
	t.Helper()
	return startServer(t, newFakeClock(t0), configure...)
}

// ctEachStore runs f on the embedded store and on Postgres. start begins a
// service at clock; on Postgres every start is on the same schema, so a
// second start is a restart (or a second instance).
func ctEachStore(t *testing.T, f func(t *testing.T, start func(clock *fakeClock, configure ...func(*Config)) *testServer)) {
	t.Run("memory", func(t *testing.T) {
		f(t, func(clock *fakeClock, configure ...func(*Config)) *testServer {
			return startServer(t, clock, configure...)
		})
	})
	t.Run("postgres", func(t *testing.T) {
		url := pgtest.Schema(t)
		f(t, func(clock *fakeClock, configure ...func(*Config)) *testServer {
			return startServer(t, clock, append([]func(*Config){onPostgres(url)}, configure...)...)
		})
	})
}

// with is the same server's client reporting to another test (a subtest).
func (s *testServer) with(t testing.TB) *testServer {
	c := *s
	c.t = t
	return &c
}

func (s *testServer) now() time.Time          { return s.clock.Now() }
func (s *testServer) advance(d time.Duration) { s.clock.Advance(d) }

// as is the Authorization header of user's own client token, valid for an
// hour of the tests' clock from now.
func (s *testServer) as(user string) string { return ctSign(s.t, ctClaims(user, s.now())) }

// ctSign signs claims with the test secret (HS256).
func ctSign(t testing.TB, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// ctClaims are valid claims for sub at now, with the given roles.
func ctClaims(sub string, now time.Time, roles ...string) jwt.MapClaims {
	c := jwt.MapClaims{"sub": sub, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	if len(roles) > 0 {
		c["roles"] = roles
	}
	return c
}

// response is a decoded reply.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// code is the error code of an error reply.
func (r response) code() string {
	e, _ := r.Body["error"].(map[string]any)
	c, _ := e["code"].(string)
	return c
}

// raw sends a request with auth (empty: none) and more headers, in pairs
// of name and value, without touching t, so goroutines may use it; check
// the reply with s.check afterwards.
func (s *testServer) raw(method, path string, body any, auth string, headers ...string) (response, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			return response{}, err
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, fmt.Errorf("%s %s: reading the reply: %w", method, path, err)
	}
	s.conform(req, res, raw)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			return r, fmt.Errorf("%s %s: reply is not a JSON object: %q", method, path, raw)
		}
	}
	return r, nil
}

var ctSnakeCase = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// shaped holds a reply to what API.md says of every reply but its status:
// a JSON object (but /metrics), and an error exactly shaped.
func (s *testServer) shaped(method, path string, r response, err error) response {
	s.t.Helper()
	if err != nil {
		s.t.Fatal(err)
	}
	if path == "/metrics" || strings.HasPrefix(path, "/metrics?") {
		return r
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.t.Fatalf("%s %s: %d with Content-Type %q, want application/json: %q", method, path, r.Status, ct, r.Raw)
	}
	if r.Body == nil {
		s.t.Fatalf("%s %s: %d with no JSON object: %q", method, path, r.Status, r.Raw)
	}
	if r.Status >= 400 {
		if msg := ctErrorShape(r.Raw); msg != "" {
			s.t.Fatalf("%s %s: %d: %s: %s", method, path, r.Status, msg, r.Raw)
		}
	}
	return r
}

// check holds a reply to what API.md says of every reply: shaped, and
// never a 5xx.
func (s *testServer) check(method, path string, r response, err error) response {
	s.t.Helper()
	r = s.shaped(method, path, r, err)
	if r.Status >= 500 {
		s.t.Fatalf("%s %s: %d, a 5xx: %s", method, path, r.Status, r.Raw)
	}
	return r
}

// ctErrorShape says what is wrong with an error body, or "" when it is
// exactly {"error": {"code": "<snake_case>", "message": "<text>"}}.
func ctErrorShape(raw []byte) string {
	var outer map[string]json.RawMessage
	if err := json.Unmarshal(raw, &outer); err != nil {
		return "error body is not a JSON object"
	}
	if len(outer) != 1 || outer["error"] == nil {
		return "error body must hold exactly the key \"error\""
	}
	var inner map[string]any
	if err := json.Unmarshal(outer["error"], &inner); err != nil || len(inner) != 2 {
		return "\"error\" must be an object of exactly code and message"
	}
	code, ok1 := inner["code"].(string)
	msg, ok2 := inner["message"].(string)
	if !ok1 || !ok2 || !ctSnakeCase.MatchString(code) || strings.TrimSpace(msg) == "" {
		return "code must be snake_case and message a non-empty string"
	}
	return ""
}

// reply makes a request and returns its shaped reply, whatever its status:
// for tests that see a service through a fault, where a 503 is an answer.
func (s *testServer) reply(method, path string, body any, auth string) response {
	s.t.Helper()
	r, err := s.raw(method, path, body, auth)
	return s.shaped(method, path, r, err)
}

// send makes a checked request.
func (s *testServer) send(method, path string, body any, auth string) response {
	s.t.Helper()
	r, err := s.raw(method, path, body, auth)
	return s.check(method, path, r, err)
}

// expect sends and requires the status (a 5xx only when it is the one wanted).
func (s *testServer) expect(status int, method, path string, body any, auth string) response {
	s.t.Helper()
	r := s.reply(method, path, body, auth)
	if r.Status != status {
		s.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Raw)
	}
	return r
}

// refuse sends and requires the status and error code.
func (s *testServer) refuse(status int, code, method, path string, body any, auth string) response {
	s.t.Helper()
	r := s.reply(method, path, body, auth)
	if r.Status != status || r.code() != code {
		s.t.Fatalf("%s %s: got %d %q, want %d %q: %s", method, path, r.Status, r.code(), status, code, r.Raw)
	}
	return r
}

// statuses checks the replies of concurrent calls (ctConcurrently) and
// counts them by status.
func (s *testServer) statuses(method, path string, replies []response, errs []error) map[int]int {
	s.t.Helper()
	codes := map[int]int{}
	for i, r := range replies {
		codes[s.check(method, path, r, errs[i]).Status]++
	}
	return codes
}

// ctConcurrently runs n calls at once and returns their replies in order.
func ctConcurrently(n int, call func(i int) (response, error)) ([]response, []error) {
	res, errs := make([]response, n), make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			res[i], errs[i] = call(i)
		}()
	}
	close(start)
	wg.Wait()
	return res, errs
}

// eventually polls cond until it holds or the deadline passes; it waits for
// background work (the scheduler, the fan-out), never for a speed.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	until(t, 45*time.Second, what, cond) // generous: a loaded CI machine is slow, never wrong
}

// until polls cond until it holds, for at most d, and returns when it did.
func until(t testing.TB, d time.Duration, what string, cond func() bool) time.Time {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
	return time.Now()
}

// Fixtures of the seed's story: TechShop in Mexico City.
var techshop = map[string]any{"id": "techshop", "name": "TechShop", "location": map[string]any{"lat": 19.4326, "lng": -99.1332}}

func promoBody(starts, ends time.Time, stock int) map[string]any {
	return map[string]any{
		"store":         techshop,
		"product":       map[string]any{"id": "audifonos-xyz", "name": "Audífonos XYZ"},
		"regular_price": map[string]any{"amount": 99900, "currency": "MXN"},
		"promo_price":   map[string]any{"amount": 49900, "currency": "MXN"},
		"segments":      []string{"new_users", "frequent_buyers"},
		"radius_m":      2000,
		"starts_at":     starts.Format(time.RFC3339),
		"ends_at":       ends.Format(time.RFC3339),
		"stock":         stock,
	}
}

// near is about 440 m from TechShop; far is about 11 km away.
var (
	near = map[string]any{"lat": 19.43, "lng": -99.13}
	far  = map[string]any{"lat": 19.33, "lng": -99.13}
)

// Resources.

func (s *testServer) promo(id string) map[string]any {
	s.t.Helper()
	return s.expect(http.StatusOK, "GET", "/v1/promos/"+id, nil, ctAdmin).Body
}

func (s *testServer) user(id string) map[string]any {
	s.t.Helper()
	return s.expect(http.StatusOK, "GET", "/v1/users/"+id, nil, ctAdmin).Body
}

// visible lists the promos a user sees; query is "" or "?lat=..&lng=..".
func (s *testServer) visible(user, query string) []map[string]any {
	s.t.Helper()
	r := s.expect(http.StatusOK, "GET", "/v1/users/"+user+"/promos"+query, nil, ctAdmin)
	if got, want := r.Header.Get("Content-Length"), strconv.Itoa(len(r.Raw)); got != want {
		s.t.Errorf("GET /v1/users/%s/promos: Content-Length %q, want %s, the reply's length", user, got, want)
	}
	return ctObjects(s.t, r.Body["promos"])
}

func (s *testServer) notes(user string) []map[string]any {
	s.t.Helper()
	return ctObjects(s.t, s.expect(http.StatusOK, "GET", "/v1/users/"+user+"/notifications", nil, ctAdmin).Body["notifications"])
}

func (s *testServer) reservation(id string) map[string]any {
	s.t.Helper()
	return s.expect(http.StatusOK, "GET", "/v1/reservations/"+id, nil, ctAdmin).Body
}

// createPromo creates a promo with the client-chosen id and returns its view.
func (s *testServer) createPromo(id string, body map[string]any) map[string]any {
	s.t.Helper()
	body = ctClone(body)
	body["id"] = id
	return s.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin).Body
}

// activePromo creates a promo for product that is active at the clock's
// now and ends in two hours.
func (s *testServer) activePromo(id, product string, stock int) {
	s.t.Helper()
	s.createPromo(id, ctProduct(promoBody(s.now().Add(-time.Minute), s.now().Add(2*time.Hour), stock), product))
}

// register registers a user registered `age` before now, at loc (nil: none).
func (s *testServer) register(id string, age time.Duration, loc map[string]any) map[string]any {
	s.t.Helper()
	body := map[string]any{"registered_at": ctTime(s.now().Add(-age))}
	if loc != nil {
		body["location"] = loc
	}
	return s.expect(http.StatusOK, "PUT", "/v1/users/"+id, body, ctAdmin).Body
}

// newUser registers a new user (registered three days before now) at loc.
func (s *testServer) newUser(id string, loc map[string]any) {
	s.t.Helper()
	s.register(id, 72*time.Hour, loc)
}

// bought reports a marketplace purchase of the user's.
func (s *testServer) bought(user, purchaseID string, at time.Time) map[string]any {
	s.t.Helper()
	return s.expect(http.StatusOK, "POST", "/v1/users/"+user+"/purchases",
		map[string]any{"purchase_id": purchaseID, "purchased_at": ctTime(at)}, ctAdmin).Body
}

func (s *testServer) reserve(promo, user string) response {
	s.t.Helper()
	return s.send("POST", "/v1/promos/"+promo+"/reservations", map[string]any{"user_id": user}, ctAdmin)
}

// allEvents reads the whole log, page by page, matching query ("" or
// "type=..&stream=.."), so an event too many is counted too.
func (s *testServer) allEvents(query string) []map[string]any {
	s.t.Helper()
	var all []map[string]any
	after := 0.0
	for {
		r := s.expect(http.StatusOK, "GET", fmt.Sprintf("/v1/events?limit=10000&after=%d&%s", int64(after), query), nil, ctAdmin)
		page := ctObjects(s.t, r.Body["events"])
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = ctNum(s.t, r.Body["next_after"])
	}
}

// logLen is how many events the log holds.
func (s *testServer) logLen() int {
	s.t.Helper()
	return len(s.allEvents(""))
}

// unchanged runs f and requires that it appended nothing to the log.
func (s *testServer) unchanged(what string, f func()) {
	s.t.Helper()
	before := s.logLen()
	f()
	if after := s.logLen(); after != before {
		s.t.Errorf("%s: the log grew from %d to %d events", what, before, after)
	}
}

// untilNotified waits until the user has n notifications.
func (s *testServer) untilNotified(user string, n int) {
	s.t.Helper()
	eventually(s.t, fmt.Sprintf("%s has %d notifications", user, n), func() bool { return len(s.notes(user)) >= n })
	if got := len(s.notes(user)); got != n {
		s.t.Fatalf("%s has %d notifications, want %d", user, got, n)
	}
}

// untilSent waits until a promo's notification count reaches n.
func (s *testServer) untilSent(promo string, n int) {
	s.t.Helper()
	eventually(s.t, fmt.Sprintf("promo %s has sent %d notifications", promo, n), func() bool {
		return ctNum(s.t, ctAt(s.promo(promo), "notifications.sent")) >= float64(n)
	})
}

// untilStatus waits until the promo shows the status.
func (s *testServer) untilStatus(promo, status string) {
	s.t.Helper()
	eventually(s.t, "promo "+promo+" is "+status, func() bool { return s.promo(promo)["status"] == status })
}

// untilEvent waits until the log holds an event of the type whose data has
// field = value, and returns it.
func (s *testServer) untilEvent(typ, field, value string) map[string]any {
	s.t.Helper()
	var found map[string]any
	eventually(s.t, fmt.Sprintf("a %s with %s=%s is in the log", typ, field, value), func() bool {
		for _, e := range s.allEvents("type=" + typ) {
			if d, _ := e["data"].(map[string]any); d != nil && d[field] == value {
				found = e
				return true
			}
		}
		return false
	})
	return found
}

// fanoutDone waits until the fan-out has followed the whole log, so that
// any notification it would send is sent.
func (s *testServer) fanoutDone() {
	s.t.Helper()
	s.caughtUp("the fan-out", topology.FanoutCheckpoint)
}

// relayDone waits until the relay has published the whole log.
func (s *testServer) relayDone() {
	s.t.Helper()
	s.caughtUp("the relay", outbox.Checkpoint)
}

// caughtUp waits until the checkpoint is at the head of the log.
func (s *testServer) caughtUp(who, checkpoint string) {
	s.t.Helper()
	eventually(s.t, who+" has caught up with the log", func() bool {
		ctx := context.Background()
		head, err1 := s.svc.store.Head(ctx)
		at, err2 := s.svc.store.Checkpoint(ctx, checkpoint)
		return err1 == nil && err2 == nil && !at.Less(head)
	})
}

// stock returns the promo's stock counts: total, held, sold, available.
func (s *testServer) stock(promo string) [4]int {
	s.t.Helper()
	st := ctObject(s.t, s.promo(promo)["stock"])
	return [4]int{ctInt(s.t, st["total"]), ctInt(s.t, st["held"]), ctInt(s.t, st["sold"]), ctInt(s.t, st["available"])}
}

// metric sums the series of name on /metrics whose labels include every
// pair of labels ("cause", "REQUEST_TIMED_OUT", ...); 0 when there is none.
func (s *testServer) metric(name string, labels ...string) float64 {
	s.t.Helper()
	sum, _ := s.metricSeries(name, labels...)
	return sum
}

// hasMetric says whether /metrics has a series of name.
func (s *testServer) hasMetric(name string) bool {
	s.t.Helper()
	_, n := s.metricSeries(name)
	return n > 0
}

// metricSeries is the sum of the series metric reads, and how many there are.
func (s *testServer) metricSeries(name string, labels ...string) (sum float64, n int) {
	s.t.Helper()
	sc := bufio.NewScanner(bytes.NewReader(s.expect(http.StatusOK, "GET", "/metrics", nil, ctAdmin).Raw))
	for sc.Scan() {
		series, value, ok := strings.Cut(sc.Text(), " ")
		if !ok || (series != name && !strings.HasPrefix(series, name+"{")) {
			continue
		}
		matches := true
		for i := 0; i+1 < len(labels); i += 2 {
			matches = matches && strings.Contains(series, labels[i]+`="`+labels[i+1]+`"`)
		}
		if v, err := strconv.ParseFloat(value, 64); err == nil && matches {
			sum += v
			n++
		}
	}
	return sum, n
}

// JSON values.

func ctTime(t time.Time) string { return t.Format(time.RFC3339) }

// ctParseTime parses an RFC 3339 time with a zone, as API.md writes times.
func ctParseTime(t testing.TB, v any) time.Time {
	t.Helper()
	s, ok := v.(string)
	if !ok {
		t.Fatalf("time %v is not a string", v)
	}
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("time %q is not RFC 3339 with a zone: %v", s, err)
	}
	return at
}

func ctNum(t testing.TB, v any) float64 {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return n
}

func ctInt(t testing.TB, v any) int {
	t.Helper()
	n := ctNum(t, v)
	if n != math.Trunc(n) {
		t.Fatalf("%v is not a whole number", n)
	}
	return int(n)
}

func ctObject(t testing.TB, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v (%T) is not an object", v, v)
	}
	return m
}

func ctObjects(t testing.TB, v any) []map[string]any {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("%v (%T) is not an array", v, v)
	}
	out := make([]map[string]any, len(list))
	for i, e := range list {
		out[i] = ctObject(t, e)
	}
	return out
}

// ctAt reads a dotted path ("stock.available") of nested objects.
func ctAt(m map[string]any, path string) any {
	var v any = m
	for _, k := range strings.Split(path, ".") {
		o, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = o[k]
	}
	return v
}

// ctKeys are an object's keys, sorted.
func ctKeys(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// ctHasKeys requires each key to be present (more are fine: fields may be added).
func ctHasKeys(t testing.TB, what string, m map[string]any, keys ...string) {
	t.Helper()
	for _, k := range keys {
		if _, ok := m[k]; !ok {
			t.Errorf("%s lacks %q: has %v", what, k, ctKeys(m))
		}
	}
}

// ctClone deep-copies a JSON-like value through JSON.
func ctClone(m map[string]any) map[string]any {
	data, err := json.Marshal(m)
	if err != nil {
		panic(err)
	}
	var out map[string]any
	if err := json.Unmarshal(data, &out); err != nil {
		panic(err)
	}
	return out
}

// ctSet returns a copy of m with the dotted path set to v, or deleted when
// v is ctDelete.
func ctSet(m map[string]any, path string, v any) map[string]any {
	out := ctClone(m)
	keys := strings.Split(path, ".")
	o := out
	for _, k := range keys[:len(keys)-1] {
		o = o[k].(map[string]any)
	}
	if v == ctDelete {
		delete(o, keys[len(keys)-1])
	} else {
		o[keys[len(keys)-1]] = v
	}
	return out
}

type ctDeleted struct{}

var ctDelete any = ctDeleted{}

// ctProduct is a promo body for another product, so that windows of
// different tests' promos never conflict.
func ctProduct(body map[string]any, productID string) map[string]any {
	return ctSet(body, "product", map[string]any{"id": productID, "name": "Product " + productID})
}

// ctDistance is the haversine distance in metres, independent of the
// service's code.
func ctDistance(aLat, aLng, bLat, bLng float64) float64 {
	const r = 6371000.0
	rad := math.Pi / 180
	dLat, dLng := (bLat-aLat)*rad, (bLng-aLng)*rad
	h := math.Pow(math.Sin(dLat/2), 2) + math.Cos(aLat*rad)*math.Cos(bLat*rad)*math.Pow(math.Sin(dLng/2), 2)
	return 2 * r * math.Asin(math.Sqrt(h))
}

// ctQuery builds "?lat=..&lng=..".
func ctQuery(loc map[string]any) string {
	v := url.Values{}
	v.Set("lat", strconv.FormatFloat(loc["lat"].(float64), 'f', -1, 64))
	v.Set("lng", strconv.FormatFloat(loc["lng"].(float64), 'f', -1, 64))
	return "?" + v.Encode()
}

// ctIDs are the ids of a list of objects.
func ctIDs(list []map[string]any) []string {
	ids := make([]string, len(list))
	for i, m := range list {
		ids[i], _ = m["id"].(string)
	}
	return ids
}

func ctContains(list []map[string]any, id string) bool { return slices.Contains(ctIDs(list), id) }
