package service

// The console (/console/) tested as people use it: a real headless
// Chromium, driven over the DevTools protocol, signs in, creates a promo
// through the form, watches it go live and its fan-out finish, sees stock
// move, rebuilds a projection and filters the event log. Every API call the
// page makes is checked against docs/openapi.yaml on its way through, and
// the page must log no JavaScript error.
//
// FLASHPROMO_SCREENSHOTS=1 saves the main pages under docs/screenshots/.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// chromium finds the browser, or skips the test outside CI; in CI a
// missing browser fails it, as .ci/run installs one.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI needs the console's browser tests: apt-get install -y chromium")
	}
	t.Skip("chromium is not installed: skipping the console's browser tests (apt-get install -y chromium)")
	return ""
}

// conforming serves h and checks every /v1 exchange against the OpenAPI
// document: the console may call only what the API documents.
type conforming struct {
	next http.Handler
	mu   sync.Mutex
	bad  []string
	seen map[string]bool // "METHOD /path" of each API call, for the report
}

func (h *conforming) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.URL.Path, "/v1/") {
		h.next.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	h.next.ServeHTTP(rec, r)
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(rec.Body.Bytes())

	req := r.Clone(context.Background())
	req.URL.Scheme, req.URL.Host, req.RequestURI = "http", r.Host, ""
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	c, err := loadContract()
	if err == nil {
		if _, _, err = c.router.FindRoute(req); err != nil {
			err = fmt.Errorf("not an operation of the document: %w", err)
		} else {
			err = c.check(req, rec.Code, rec.Header(), rec.Body.Bytes())
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seen[r.Method+" "+r.URL.Path] = true
	if err != nil {
		h.bad = append(h.bad, fmt.Sprintf("%s %s: %v", r.Method, r.URL.RequestURI(), err))
	}
}

// browser is one tab of a headless Chromium on the console.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu     sync.Mutex
	errors []string // JavaScript errors and console errors of the page
}

func startBrowser(t *testing.T, base string) *browser {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true), // root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	b := &browser{t: t, ctx: ctx, base: base}
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, b.listen); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(ctx, cdplog.Enable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.EmulateViewport(1280, 900))
	return b
}

// listen records what a person would see as an error in the browser's
// console. A refused API call is logged by the network layer, not by the
// page: the tests provoke some on purpose, and the page shows them.
func (b *browser) listen(ev any) {
	var msg string
	switch ev := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = ev.ExceptionDetails.Text
		if ex := ev.ExceptionDetails.Exception; ex != nil {
			msg += " " + ex.Description
		}
	case *runtime.EventConsoleAPICalled:
		var parts []string
		for _, a := range ev.Args {
			parts = append(parts, a.Description+string(a.Value))
		}
		text := "console." + string(ev.Type) + ": " + strings.Join(parts, " ")
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			msg = text
		}
		if strings.Contains(text, testToken) {
			msg = "the credential is logged: " + text
		}
	case *cdplog.EventEntryAdded:
		if ev.Entry.Level == cdplog.EntryLevelError && ev.Entry.Source != cdplog.EntrySourceNetwork {
			msg = string(ev.Entry.Source) + ": " + ev.Entry.Text
		}
	}
	if msg != "" {
		b.mu.Lock()
		b.errors = append(b.errors, msg)
		b.mu.Unlock()
	}
}

const step = 10 * time.Second // the longest one step of a test may take

func (b *browser) do(actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.t.Fatalf("browser: %v", err)
	}
}

// eval runs a JavaScript expression in the page and decodes its value.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("eval %s: %v", expr, err)
	}
	return v
}

func jsString(s string) string {
	q, _ := json.Marshal(s)
	return string(q)
}

// text is the text of the first element sel finds, or "" when none.
func (b *browser) text(sel string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%s) || {}).textContent || ""`, jsString(sel)))
}

// waitText waits until the text of sel satisfies ok, as a person waits
// for a page that updates itself.
func (b *browser) waitFor(sel, what string, ok func(string) bool) {
	b.t.Helper()
	deadline := time.Now().Add(step)
	for {
		got := b.text(sel)
		if ok(got) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: want %s, have %q", sel, what, got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (b *browser) waitText(sel, want string) {
	b.t.Helper()
	b.waitFor(sel, fmt.Sprintf("%q in the text", want), func(s string) bool { return strings.Contains(s, want) })
}

func (b *browser) waitExactly(sel, want string) {
	b.t.Helper()
	b.waitFor(sel, fmt.Sprintf("exactly %q", want), func(s string) bool { return strings.TrimSpace(s) == want })
}

// open follows a link of the console (the fragment changes, the page stays).
func (b *browser) open(fragment string) {
	b.t.Helper()
	eval[chromedp.Void](b, "location.hash = "+jsString(fragment))
}

// shot saves a screenshot of the whole page when FLASHPROMO_SCREENSHOTS=1.
func (b *browser) shot(name string) {
	b.t.Helper()
	if os.Getenv("FLASHPROMO_SCREENSHOTS") != "1" {
		return
	}
	time.Sleep(300 * time.Millisecond) // let the last poll and the chart settle
	ctx, cancel := context.WithTimeout(b.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := filepath.Join("..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

func (b *browser) noErrors() {
	b.t.Helper()
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, e := range b.errors {
		b.t.Errorf("the browser's console shows an error: %s", e)
	}
}

// TestConsoleInABrowser walks an operator and an analyst through the
// console. The clock starts five minutes behind the browser's, so the promo
// the form creates "now" is scheduled until the test moves the clock on.
func TestConsoleInABrowser(t *testing.T) {
	chromium(t)
	clock := newFakeClock(time.Now().UTC().Add(-5 * time.Minute).Truncate(time.Second))
	s := startServer(t, clock)
	api := &conforming{next: s.svc.Handler(), seen: map[string]bool{}}
	web := httptest.NewServer(api)
	t.Cleanup(web.Close)
	t.Cleanup(func() {
		api.mu.Lock()
		defer api.mu.Unlock()
		for _, m := range api.bad {
			t.Errorf("the console's call does not conform to docs/openapi.yaml: %s", m)
		}
		t.Logf("API calls the console made: %d distinct", len(api.seen))
	})

	const eligible = 12
	users := make([]map[string]any, 0, eligible+3)
	for i := range eligible + 3 {
		loc := map[string]any{"lat": 19.4300 + float64(i)*0.0001, "lng": -99.1300}
		if i >= eligible {
			loc = map[string]any{"lat": 19.3300, "lng": -99.1300} // 11 km away
		}
		users = append(users, map[string]any{"user_id": fmt.Sprintf("shopper-%02d", i),
			"registered_at": ctTime(clock.Now().Add(-72 * time.Hour)), "location": loc})
	}
	if r := s.reply("POST", "/v1/users/batch", map[string]any{"users": users}, ctAdmin); r.Status != http.StatusOK {
		t.Fatalf("register users: %d %s", r.Status, r.Raw)
	}

	b := startBrowser(t, web.URL)
	defer b.noErrors()
	b.do(chromedp.Navigate(web.URL + "/console/"))

	// Sign in: a bad credential is refused at the form, the admin token
	// opens every page.
	b.do(chromedp.WaitVisible(chromedp.ID("credential")),
		chromedp.SendKeys(chromedp.ID("credential"), "not-a-credential"),
		chromedp.Click(chromedp.CSS("form.sign-in button[type=submit]")))
	b.waitText(".sign-in .notice-error", "refused this credential")
	b.do(chromedp.SendKeys(chromedp.ID("credential"), testToken),
		chromedp.Click(chromedp.CSS("form.sign-in button[type=submit]")))
	b.waitText("#nav", "PromosEvent logProjectionsUser lookup")
	b.waitText("#promo-list", "No promos")
	if stored := eval[string](b, `location.href + " " + document.title + " " + document.cookie + " " + JSON.stringify(localStorage)`); strings.Contains(stored, testToken) {
		t.Errorf("the credential is in the URL, title, a cookie or local storage: %s", stored)
	}

	// A bad input shows the API's message beside the field, and creates nothing.
	for id, v := range map[string]string{
		"promo-id": "console-flash", "promo-store-id": "techshop", "promo-store-name": "TechShop",
		"promo-store-location-lat": "19.4326", "promo-store-location-lng": "-99.1332",
		"promo-product-id": "audifonos-xyz", "promo-product-name": "Audífonos XYZ",
		"promo-regular_price-amount": "99900", "promo-promo_price-amount": "49900",
		"promo-radius_m": "60000", "promo-stock": "20",
	} {
		b.do(chromedp.SetValue(chromedp.ID(id), v))
	}
	b.do(chromedp.Click(chromedp.CSS("#create-promo button[type=submit]")))
	b.waitExactly("#promo-radius_m-error", "radius_m: must be in (0, 50000]")
	if inv := eval[string](b, `document.getElementById("promo-radius_m").getAttribute("aria-invalid") + " " + document.activeElement.id`); inv != "true promo-radius_m" {
		t.Errorf("the refused field is not marked and focused: %q", inv)
	}
	if r := s.reply("GET", "/v1/promos", nil, ctAdmin); len(ctObjects(t, r.Body["promos"])) != 0 {
		t.Fatalf("a refused form created a promo: %s", r.Raw)
	}

	// The corrected form creates it; it is scheduled, then goes live.
	b.do(chromedp.SetValue(chromedp.ID("promo-radius_m"), "2000"),
		chromedp.Click(chromedp.CSS("#create-promo button[type=submit]")))
	b.waitText("#create-promo .notice-ok", "Promo console-flash created (scheduled)")
	b.waitText(`#promo-list tr[data-promo="console-flash"]`, "scheduled")
	b.open("#/promos/console-flash")
	b.waitText("#main h1", "scheduled")
	b.waitText("#fanout", "starts when the promo activates")
	clock.Advance(6 * time.Minute)
	b.waitText("#main h1", "active")

	// The fan-out counter reaches the number of eligible users.
	b.waitExactly("#notified .tile-value", fmt.Sprint(eligible))
	b.waitText("#fanout", fmt.Sprintf("Fan-out: %d notifications sent", eligible))
	if sent := ctInt(t, ctAt(s.reply("GET", "/v1/promos/console-flash", nil, ctAdmin).Body, "notifications.sent")); sent != eligible {
		t.Fatalf("the API says %d sent, want %d", sent, eligible)
	}

	// A hold and a purchase through the API move the stock on the page.
	r := s.reply("POST", "/v1/promos/console-flash/reservations", map[string]any{"user_id": "shopper-00"}, ctAdmin)
	if r.Status != http.StatusCreated {
		t.Fatalf("reserve: %d %s", r.Status, r.Raw)
	}
	b.waitExactly("#stock-held .tile-value", "1")
	b.waitExactly("#stock-available .tile-value", "19")
	clock.Advance(2 * time.Second)
	if r := s.reply("POST", "/v1/reservations/"+r.Body["id"].(string)+"/purchase", map[string]any{"user_id": "shopper-00"}, ctAdmin); r.Status != http.StatusOK {
		t.Fatalf("purchase: %d %s", r.Status, r.Raw)
	}
	b.waitExactly("#stock-sold .tile-value", "1")
	b.waitExactly("#stock-held .tile-value", "0")
	reserve := func(user string) {
		t.Helper()
		if r := s.reply("POST", "/v1/promos/console-flash/reservations", map[string]any{"user_id": user}, ctAdmin); r.Status != http.StatusCreated {
			t.Fatalf("reserve: %d %s", r.Status, r.Raw)
		}
	}
	clock.Advance(3 * time.Second)
	reserve("shopper-01")
	b.waitExactly("#stock-held .tile-value", "1")
	clock.Advance(61 * time.Second) // the hold lapses: the unit is free again
	b.waitExactly("#stock-held .tile-value", "0")
	b.waitExactly("#stock-available .tile-value", "19")
	clock.Advance(2 * time.Second)
	reserve("shopper-03")
	b.waitExactly("#stock-held .tile-value", "1")
	b.waitFor("#promo-chart canvas", "the chart drawn", func(string) bool {
		return eval[bool](b, `!!document.querySelector("#promo-chart canvas")`)
	})
	b.waitFor("#promo-chart", "the chart's totals", func(string) bool {
		label := eval[string](b, `document.getElementById("promo-chart").getAttribute("aria-label")`)
		return strings.Contains(label, fmt.Sprintf("Notifications %d, Holds 3, Purchases 1, Expiries 1", eligible))
	})
	b.shot("promo")

	// The list shows the promo live, with its stock.
	b.open("#/promos")
	b.waitText(`#promo-list tr[data-promo="console-flash"]`, "active")
	b.waitText(`#promo-list tr[data-promo="console-flash"] .stock`, "18 / 1 / 1 of 20")
	b.shot("promos")

	// An admin rebuilds a projection and sees it return to live.
	b.open("#/projections")
	b.waitText(`#proj-list tr[data-projection="promos"]`, "live")
	b.do(chromedp.Click(chromedp.CSS(`#proj-list tr[data-projection="promos"] button`)))
	b.waitText("#proj-status", "Rebuild of promos started")
	b.waitText(`#proj-list tr[data-projection="promos"] .badge`, "live")
	b.waitText(`#proj-list tr[data-projection="promos"]`, "100%")
	b.shot("projections")
	if st := s.reply("GET", "/v1/promos/console-flash", nil, ctAdmin); ctInt(t, ctAt(st.Body, "stock.sold")) != 1 {
		t.Fatalf("after the rebuild: %s", st.Raw)
	}

	// An analyst filters the event log by type and opens an envelope.
	b.open("#/events")
	b.waitText("#ev-status", "events after position 0")
	b.do(chromedp.SetValue(chromedp.ID("ev-type"), "ReservationPlaced"),
		chromedp.Click(chromedp.CSS("#ev-filter button[type=submit]")))
	rowTypes := `[...document.querySelectorAll("#ev-list tbody tr")].map(r => r.dataset.type).join(",")`
	b.waitFor("#ev-list", "three ReservationPlaced rows", func(string) bool {
		return eval[string](b, rowTypes) == "ReservationPlaced,ReservationPlaced,ReservationPlaced"
	})
	b.do(chromedp.Click(chromedp.CSS("#ev-list tbody tr button")))
	b.waitText("dialog.envelope pre", `"actor": "admin-token"`)
	b.waitText("dialog.envelope pre", `"user_id": "shopper-00"`)
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor("dialog.envelope", "the dialog closed", func(string) bool { return !eval[bool](b, `document.querySelector("dialog.envelope").open`) })

	// By stream, in a position range.
	stream := s.reply("GET", "/v1/events?stream=promo-console-flash", nil, ctAdmin)
	evs := ctObjects(t, stream.Body["events"])
	if len(evs) < 5 {
		t.Fatalf("the promo's stream: %s", stream.Raw)
	}
	from, to := ctInt(t, evs[1]["position"]), ctInt(t, evs[len(evs)-2]["position"])
	eval[chromedp.Void](b, `document.getElementById("ev-type").value = ""`) // any type
	b.do(chromedp.SetValue(chromedp.ID("ev-stream"), "promo-console-flash"),
		chromedp.SetValue(chromedp.ID("ev-from"), fmt.Sprint(from)),
		chromedp.SetValue(chromedp.ID("ev-to"), fmt.Sprint(to)),
		chromedp.Click(chromedp.CSS("#ev-filter button[type=submit]")))
	rows := `[...document.querySelectorAll("#ev-list tbody tr")].map(r => r.cells[2].textContent + "@" + r.cells[0].textContent).join(",")`
	var want []string
	for _, e := range evs[1 : len(evs)-1] {
		want = append(want, fmt.Sprintf("promo-console-flash@%d", ctInt(t, e["position"])))
	}
	b.waitFor("#ev-list", strings.Join(want, ","), func(string) bool { return eval[string](b, rows) == strings.Join(want, ",") })
	b.shot("events")

	// Export writes what is shown as JSON lines, one envelope a line.
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(b.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Click(chromedp.ID("ev-export")))
	exported := filepath.Join(downloads, fmt.Sprintf("flashpromo-events-after-%d.jsonl", from-1))
	var lines []string
	b.waitFor("#ev-export", "the export in "+exported, func(string) bool {
		data, err := os.ReadFile(exported)
		lines = strings.Split(strings.TrimSuffix(string(data), "\n"), "\n")
		return err == nil && len(lines) == len(want)
	})
	for i, line := range lines {
		var e map[string]any
		if err := json.Unmarshal([]byte(line), &e); err != nil || fmt.Sprintf("%s@%d", e["stream_id"], ctInt(t, e["position"])) != want[i] {
			t.Errorf("exported line %d: %s (%v), want %s", i, line, err, want[i])
		}
	}

	// Following the log live shows an event appended after the page loaded.
	eval[chromedp.Void](b, `["ev-stream", "ev-from", "ev-to"].forEach(id => document.getElementById(id).value = "")`)
	b.do(chromedp.SetValue(chromedp.ID("ev-type"), "UserRegistered"),
		chromedp.Click(chromedp.CSS("#ev-filter button[type=submit]")),
		chromedp.Click(chromedp.ID("ev-follow")))
	b.waitText("#ev-list", "shopper-14")
	late := map[string]any{"registered_at": ctTime(clock.Now().Add(-time.Hour))}
	if r := s.reply("PUT", "/v1/users/late-comer", late, ctAdmin); r.Status != http.StatusOK {
		t.Fatalf("register: %d %s", r.Status, r.Raw)
	}
	b.waitText("#ev-status", "Following")
	b.waitText("#ev-list tbody tr:last-child", "late-comer")
	b.do(chromedp.Click(chromedp.ID("ev-follow")))

	// A user's segments, notifications and the promos they would see now.
	b.open("#/users/shopper-02")
	b.waitText("#user-segments", "new_users")
	b.waitText("#user-promos", "Audífonos XYZ")
	b.waitText("#user-out", "Notifications (1)")
	b.shot("users")

	// What a role may not do is not offered: an analyst reads the log and
	// the projections and rebuilds nothing; a store creates for its store.
	signInAs := func(claims map[string]any) {
		t.Helper()
		b.do(chromedp.Click(chromedp.CSS("#who button")), chromedp.WaitVisible(chromedp.ID("credential")),
			chromedp.SendKeys(chromedp.ID("credential"), strings.TrimPrefix(ctSign(t, claims), "Bearer ")),
			chromedp.Click(chromedp.CSS("form.sign-in button[type=submit]")))
	}
	signInAs(ctClaims("ana-analyst", clock.Now(), "analyst"))
	b.waitExactly("#nav", "Event logProjections")
	b.open("#/projections")
	b.waitText(`#proj-list tr[data-projection="promos"]`, "live")
	if n := eval[int](b, `document.querySelectorAll("main button").length`); n != 0 {
		t.Errorf("an analyst is offered %d buttons on the projections page", n)
	}
	b.open("#/promos")
	b.waitFor("#main", "the event log instead of promos", func(string) bool { return eval[string](b, "location.hash") == "#/events" })
	store := ctClaims("techshop-ops", clock.Now(), "store")
	store["store_id"] = "techshop"
	signInAs(store)
	b.waitExactly("#nav", "Promos")
	b.waitText(`#promo-list tr[data-promo="console-flash"]`, "active")
	if v := eval[string](b, `(e => e.value + " " + e.readOnly)(document.getElementById("promo-store-id"))`); v != "techshop true" {
		t.Errorf("a store's form offers store id %q", v)
	}
	b.do(chromedp.Click(chromedp.CSS("#who button")))
	b.do(chromedp.SendKeys(chromedp.ID("credential"), testToken), chromedp.Click(chromedp.CSS("form.sign-in button[type=submit]")))
	b.waitText("#nav", "PromosEvent log")

	// Phone width: the same pages, readable.
	b.do(chromedp.EmulateViewport(390, 844))
	b.open("#/promos/console-flash")
	b.waitExactly("#notified .tile-value", fmt.Sprint(eligible))
	b.waitFor("#promo-chart canvas", "the chart drawn", func(string) bool {
		return eval[bool](b, `!!document.querySelector("#promo-chart canvas")`)
	})
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the promo page is %d px wide on a 390 px phone", w)
	}
	b.shot("promo-phone")
	b.open("#/promos")
	b.waitText(`#promo-list tr[data-promo="console-flash"]`, "active")
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > 390 {
		t.Errorf("the promos page is %d px wide on a 390 px phone", w)
	}
	b.shot("promos-phone")
	b.open("#/events")
	b.waitText("#ev-status", "events after position 0")
	b.shot("events-phone")

	// Cancel, from the keyboard, asks for a second press; a poll redrawing
	// the button in between keeps both the focus and the first press.
	b.open("#/promos/console-flash")
	cancel := `#main button[data-key="cancel-console-flash"]`
	b.waitExactly(cancel, "Cancel")
	eval[chromedp.Void](b, fmt.Sprintf(`document.querySelector(%s).focus()`, jsString(cancel)))
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitExactly(cancel, "Confirm cancel")
	eval[chromedp.Void](b, fmt.Sprintf(`window.armedButton = document.querySelector(%s)`, jsString(cancel)))
	b.waitFor(cancel, "the button drawn again by a poll", func(string) bool {
		return eval[bool](b, fmt.Sprintf(`document.querySelector(%s) !== window.armedButton`, jsString(cancel)))
	})
	b.waitExactly(cancel, "Confirm cancel")
	if key := eval[string](b, `document.activeElement.dataset.key || document.activeElement.tagName`); key != "cancel-console-flash" {
		t.Fatalf("the redraw moved the focus to %s", key)
	}
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitText("#main h1", "cancelled")
	if st := s.reply("GET", "/v1/promos/console-flash", nil, ctAdmin); st.Body["status"] != "cancelled" {
		t.Fatalf("after cancel: %s", st.Raw)
	}
}
