package service

// Helpers of the contract tests (contract_*_test.go): a client that speaks
// API.md over HTTP and checks, on every reply, what the contract says of
// every reply: never a 5xx, JSON bodies, and errors shaped exactly
// {"error": {"code", "message"}}.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/topology"
)

// ctAdmin is the operator's Authorization header: every role, acting for
// any user. The v1.0 contract tests call with it; the roles of v1.1 have
// tests of their own (contract_auth_test.go).
const ctAdmin = "Bearer " + testToken

// ctAPI is a contract client of one in-process service.
type ctAPI struct {
	t *testing.T
	s *testServer
}

// ctStart starts a service at t0 on the embedded store.
func ctStart(t *testing.T, configure ...func(*Config)) *ctAPI {
	t.Helper()
	return &ctAPI{t: t, s: startServer(t, newFakeClock(t0), configure...)}
}

// with is the same client reporting to another test (a subtest).
func (a *ctAPI) with(t *testing.T) *ctAPI { return &ctAPI{t: t, s: a.s} }

func (a *ctAPI) now() time.Time          { return a.s.clock.Now() }
func (a *ctAPI) advance(d time.Duration) { a.s.clock.Advance(d) }

// raw sends a request without touching t, so goroutines may use it; check
// the reply with a.check afterwards.
func (a *ctAPI) raw(method, path string, body any, auth string) (response, error) {
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
	req, err := http.NewRequest(method, a.s.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
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
	a.s.conform(req, res, raw)
	r := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && len(raw) > 0 {
		if err := json.Unmarshal(raw, &r.Body); err != nil {
			return r, fmt.Errorf("%s %s: reply is not a JSON object: %q", method, path, raw)
		}
	}
	return r, nil
}

var ctSnakeCase = regexp.MustCompile(`^[a-z]+(_[a-z]+)*$`)

// check holds a reply to what API.md says of every reply.
func (a *ctAPI) check(method, path string, r response, err error) response {
	a.t.Helper()
	if err != nil {
		a.t.Fatal(err)
	}
	if r.Status >= 500 {
		a.t.Fatalf("%s %s: %d, a 5xx: %s", method, path, r.Status, r.Raw)
	}
	if path == "/metrics" || strings.HasPrefix(path, "/metrics?") {
		return r
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		a.t.Fatalf("%s %s: %d with Content-Type %q, want application/json: %q", method, path, r.Status, ct, r.Raw)
	}
	if r.Body == nil {
		a.t.Fatalf("%s %s: %d with no JSON object: %q", method, path, r.Status, r.Raw)
	}
	if r.Status >= 400 {
		if msg := ctErrorShape(r.Raw); msg != "" {
			a.t.Fatalf("%s %s: %d: %s: %s", method, path, r.Status, msg, r.Raw)
		}
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

// send makes a checked request.
func (a *ctAPI) send(method, path string, body any, auth string) response {
	a.t.Helper()
	r, err := a.raw(method, path, body, auth)
	return a.check(method, path, r, err)
}

// expect sends and requires the status.
func (a *ctAPI) expect(status int, method, path string, body any, auth string) response {
	a.t.Helper()
	r := a.send(method, path, body, auth)
	if r.Status != status {
		a.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.Status, status, r.Raw)
	}
	return r
}

// refuse sends and requires the status and error code.
func (a *ctAPI) refuse(status int, code, method, path string, body any, auth string) response {
	a.t.Helper()
	r := a.send(method, path, body, auth)
	if r.Status != status || r.code() != code {
		a.t.Fatalf("%s %s: got %d %q, want %d %q: %s", method, path, r.Status, r.code(), status, code, r.Raw)
	}
	return r
}

// Resources.

func (a *ctAPI) promo(id string) map[string]any {
	a.t.Helper()
	return a.expect(http.StatusOK, "GET", "/v1/promos/"+id, nil, ctAdmin).Body
}

func (a *ctAPI) user(id string) map[string]any {
	a.t.Helper()
	return a.expect(http.StatusOK, "GET", "/v1/users/"+id, nil, ctAdmin).Body
}

// visible lists the promos a user sees; query is "" or "?lat=..&lng=..".
func (a *ctAPI) visible(user, query string) []map[string]any {
	a.t.Helper()
	return ctObjects(a.t, a.expect(http.StatusOK, "GET", "/v1/users/"+user+"/promos"+query, nil, ctAdmin).Body["promos"])
}

func (a *ctAPI) notes(user string) []map[string]any {
	a.t.Helper()
	return ctObjects(a.t, a.expect(http.StatusOK, "GET", "/v1/users/"+user+"/notifications", nil, ctAdmin).Body["notifications"])
}

func (a *ctAPI) reservation(id string) map[string]any {
	a.t.Helper()
	return a.expect(http.StatusOK, "GET", "/v1/reservations/"+id, nil, ctAdmin).Body
}

// createPromo creates a promo with the client-chosen id and returns its view.
func (a *ctAPI) createPromo(id string, body map[string]any) map[string]any {
	a.t.Helper()
	body = ctClone(body)
	body["id"] = id
	return a.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin).Body
}

// register registers a user registered `age` before now, at loc (nil: none).
func (a *ctAPI) register(id string, age time.Duration, loc map[string]any) map[string]any {
	a.t.Helper()
	body := map[string]any{"registered_at": ctTime(a.now().Add(-age))}
	if loc != nil {
		body["location"] = loc
	}
	return a.expect(http.StatusOK, "PUT", "/v1/users/"+id, body, ctAdmin).Body
}

// bought reports a marketplace purchase of the user's.
func (a *ctAPI) bought(user, purchaseID string, at time.Time) map[string]any {
	a.t.Helper()
	return a.expect(http.StatusOK, "POST", "/v1/users/"+user+"/purchases",
		map[string]any{"purchase_id": purchaseID, "purchased_at": ctTime(at)}, ctAdmin).Body
}

func (a *ctAPI) reserve(promo, user string) response {
	a.t.Helper()
	return a.send("POST", "/v1/promos/"+promo+"/reservations", map[string]any{"user_id": user}, ctAdmin)
}

// events reads the whole log matching query ("" or "&stream=..&type=..").
func (a *ctAPI) events(query string) []map[string]any {
	a.t.Helper()
	var all []map[string]any
	after := 0.0
	for {
		r := a.expect(http.StatusOK, "GET", fmt.Sprintf("/v1/events?limit=10000&after=%d%s", int64(after), query), nil, ctAdmin)
		page := ctObjects(a.t, r.Body["events"])
		if len(page) == 0 {
			return all
		}
		all = append(all, page...)
		after = ctNum(a.t, r.Body["next_after"])
	}
}

// logLen is how many events the log holds.
func (a *ctAPI) logLen() int {
	a.t.Helper()
	return len(a.events(""))
}

// unchanged runs f and requires that it appended nothing to the log.
func (a *ctAPI) unchanged(what string, f func()) {
	a.t.Helper()
	before := a.logLen()
	f()
	if after := a.logLen(); after != before {
		a.t.Errorf("%s: the log grew from %d to %d events", what, before, after)
	}
}

// untilNotified waits until the user has n notifications.
func (a *ctAPI) untilNotified(user string, n int) {
	a.t.Helper()
	eventually(a.t, fmt.Sprintf("%s has %d notifications", user, n), func() bool { return len(a.notes(user)) >= n })
	if got := len(a.notes(user)); got != n {
		a.t.Fatalf("%s has %d notifications, want %d", user, got, n)
	}
}

// untilSent waits until a promo's notification count reaches n.
func (a *ctAPI) untilSent(promo string, n int) {
	a.t.Helper()
	eventually(a.t, fmt.Sprintf("promo %s has sent %d notifications", promo, n), func() bool {
		return ctNum(a.t, ctAt(a.promo(promo), "notifications.sent")) >= float64(n)
	})
}

// untilStatus waits until the promo shows the status.
func (a *ctAPI) untilStatus(promo, status string) {
	a.t.Helper()
	eventually(a.t, "promo "+promo+" is "+status, func() bool { return a.promo(promo)["status"] == status })
}

// untilEvent waits until the log holds an event of the type whose data has
// field = value, and returns it.
func (a *ctAPI) untilEvent(typ, field, value string) map[string]any {
	a.t.Helper()
	var found map[string]any
	eventually(a.t, fmt.Sprintf("a %s with %s=%s is in the log", typ, field, value), func() bool {
		for _, e := range a.events("&type=" + typ) {
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
func (a *ctAPI) fanoutDone() {
	a.t.Helper()
	eventually(a.t, "the fan-out has caught up with the log", func() bool {
		ctx := context.Background()
		head, err1 := a.s.svc.store.Head(ctx)
		at, err2 := a.s.svc.store.Checkpoint(ctx, topology.FanoutCheckpoint)
		return err1 == nil && err2 == nil && !at.Less(head)
	})
}

// stock returns the promo's stock counts: total, held, sold, available.
func (a *ctAPI) stock(promo string) [4]int {
	a.t.Helper()
	s := ctObject(a.t, a.promo(promo)["stock"])
	return [4]int{ctInt(a.t, s["total"]), ctInt(a.t, s["held"]), ctInt(a.t, s["sold"]), ctInt(a.t, s["available"])}
}

// JSON values.

func ctTime(t time.Time) string { return t.Format(time.RFC3339) }

// ctParseTime parses an RFC 3339 time with a zone, as API.md writes times.
func ctParseTime(t *testing.T, v any) time.Time {
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

func ctNum(t *testing.T, v any) float64 {
	t.Helper()
	n, ok := v.(float64)
	if !ok {
		t.Fatalf("%v (%T) is not a number", v, v)
	}
	return n
}

func ctInt(t *testing.T, v any) int {
	t.Helper()
	n := ctNum(t, v)
	if n != math.Trunc(n) {
		t.Fatalf("%v is not a whole number", n)
	}
	return int(n)
}

func ctObject(t *testing.T, v any) map[string]any {
	t.Helper()
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%v (%T) is not an object", v, v)
	}
	return m
}

func ctObjects(t *testing.T, v any) []map[string]any {
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
func ctHasKeys(t *testing.T, what string, m map[string]any, keys ...string) {
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
