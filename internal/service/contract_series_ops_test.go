package service

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestContractSeriesConflicts: an occurrence that overlaps another promo
// of the same store and product refuses the whole series, naming the first
// date that overlaps, and writes nothing; the series' windows guard against
// later promos the same way.
func TestContractSeriesConflicts(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0))
		// 18:30-20:00 on 30 November and 2 December in Mexico City.
		a.createPromo("in-the-way", promoBody(time.Date(2026, 12, 1, 0, 30, 0, 0, time.UTC), time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC), 1))
		a.createPromo("also", promoBody(time.Date(2026, 12, 3, 0, 30, 0, 0, time.UTC), time.Date(2026, 12, 3, 2, 0, 0, 0, time.UTC), 1))
		body := seriesBody("America/Mexico_City", "2026-11-27", "2026-12-06", nil)
		body["id"] = "blocked"
		a.unchanged("a refused series", func() {
			r := a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promo-series", body, ctAdmin)
			if msg := ctAt(r.Body, "error.message").(string); !strings.Contains(msg, "2026-11-30") || strings.Contains(msg, "2026-12-02") {
				t.Errorf("message %q, want it to name 2026-11-30 only", msg)
			}
		})
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/promo-series/blocked", nil, ctAdmin)
		// The same days on weekdays but Monday and Wednesday are free; another product too.
		a.createSeries("around", ctSet(body, "days", []string{"thu", "fri", "sat", "sun"}))
		a.createSeries("other-product", ctProduct(body, "other"))
		// A promo, or a series, over an occurrence of "around" is refused.
		a.unchanged("promos over a series", func() {
			over := promoBody(time.Date(2026, 11, 28, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 28, 0, 30, 0, 0, time.UTC), 1)
			a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promos", over, ctAdmin)
			r := a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promo-series",
				ctSet(ctSet(body, "id", "late"), "window", map[string]any{"start": "18:59", "end": "21:00"}), ctAdmin)
			if msg := ctAt(r.Body, "error.message").(string); !strings.Contains(msg, "2026-11-27") {
				t.Errorf("message %q, want it to name 2026-11-27", msg)
			}
		})
		// Back to back is no overlap.
		a.createSeries("evening", ctSet(ctSet(body, "days", []string{"thu", "fri"}), "window", map[string]any{"start": "19:00", "end": "21:00"}))
	})
}

// TestSeriesRacesAcrossInstances: series and promos over the same windows
// created at once on two instances: exactly one of them is created, and
// no occurrence of a refused series is left behind.
func TestSeriesRacesAcrossInstances(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	servers := []*testServer{startServer(t, clock, onPostgres(url)), startServer(t, clock, onPostgres(url))}
	const racers = 10
	res, errs := ctConcurrently(racers, func(i int) (response, error) {
		a := servers[i%2]
		if i%3 == 2 { // a promo on the third day of the series
			body := promoBody(time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 0, 30, 0, 0, time.UTC), 1)
			body["id"] = fmt.Sprint("promo-", i)
			return a.raw("POST", "/v1/promos", body, ctAdmin)
		}
		body := seriesBody("America/Mexico_City", "2026-11-27", "2026-12-27", nil)
		body["id"] = fmt.Sprint("series-", i)
		return a.raw("POST", "/v1/promo-series", body, ctAdmin)
	})
	won := ""
	for i, r := range res {
		r = servers[0].check("POST", "race", r, errs[i])
		switch {
		case r.Status == http.StatusCreated:
			if won != "" {
				t.Errorf("both %s and racer %d were created", won, i)
			}
			won = fmt.Sprint("racer ", i)
		case r.Status != http.StatusConflict || r.code() != "promo_conflict":
			t.Errorf("racer %d: %d %s, want 201 or 409 promo_conflict", i, r.Status, r.Raw)
		}
	}
	if won == "" {
		t.Fatal("no racer was created")
	}
	a := servers[0]
	series, promos := a.allEvents("type=PromoSeriesCreated"), a.allEvents("type=PromoCreated")
	switch {
	case len(series) == 1 && len(promos) != 31:
		t.Errorf("a series won with %d promos, want its 31 occurrences only", len(promos))
	case len(series) == 0 && len(promos) != 1:
		t.Errorf("a promo won, yet %d promos were created", len(promos))
	case len(series) > 1:
		t.Errorf("%d series created", len(series))
	}
}

// TestContractSeriesCancel: cancelling mid-window ends the running
// occurrence now (its holds can no longer be bought), cancels those to
// come, leaves the ended ones, and frees their windows.
func TestContractSeriesCancel(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0))
		a.register("ana", 72*time.Hour, near)
		a.untilKnown("ana")
		s := a.createSeries("week", seriesBody("America/Mexico_City", "2026-11-27", "2026-11-30", nil))
		ids := occurrenceIDs(t, s)
		a.advance(25*time.Hour + 30*time.Minute) // 17:30 on the 28th: the 27th's ended, the 28th's running
		a.untilStatus(ids[0], "ended")
		a.untilStatus(ids[1], "active")
		hold := a.holds(ids[1], "ana")
		// The background work of the moment is done: the log is still after the cancel.
		a.untilEvent("PromoEnded", "promo_id", ids[0])
		a.untilEvent("PromoActivated", "promo_id", ids[1])
		a.fanoutDone()

		r := a.expect(http.StatusOK, "POST", "/v1/promo-series/week/cancel", nil, ctAdmin).Body
		if r["status"] != "cancelled" || len(occurrenceIDs(t, r)) != 4 {
			t.Errorf("cancel = %s", seriesText(r))
		}
		for i, want := range []string{"ended", "cancelled", "cancelled", "cancelled"} {
			if got := a.promo(ids[i])["status"]; got != want {
				t.Errorf("occurrence %d is %v, want %s", i, got, want)
			}
		}
		a.refuse(http.StatusConflict, "reservation_closed", "POST", "/v1/reservations/"+hold+"/purchase", map[string]any{"user_id": "ana"}, ctAdmin)
		a.refuse(http.StatusConflict, "promo_not_active", "POST", "/v1/promos/"+ids[1]+"/reservations", map[string]any{"user_id": "ana"}, ctAdmin)
		if got := a.expect(http.StatusOK, "GET", "/v1/promo-series/week", nil, ctAdmin).Body["status"]; got != "cancelled" {
			t.Errorf("GET status %v", got)
		}
		if n := len(a.allEvents("type=PromoSeriesCancelled")); n != 1 {
			t.Errorf("%d PromoSeriesCancelled, want 1", n)
		}
		a.unchanged("cancelling again", func() {
			a.expect(http.StatusOK, "POST", "/v1/promo-series/week/cancel", nil, ctAdmin)
		})
		// The windows to come are free again.
		a.createPromo("instead", promoBody(time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 1, 0, 0, 0, time.UTC), 1))
	})
}

// TestContractSeriesOnceADay: a daily series over a week, with other
// promos, notifies each user at most once a calendar day, and an
// occurrence's notification says it is today's window.
func TestContractSeriesOnceADay(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0), func(c *Config) { c.Timezone = "America/Mexico_City" })
		a.register("ana", 72*time.Hour, near)
		a.register("beto", 72*time.Hour, near)
		a.untilKnown("ana", "beto")
		s := a.createSeries("daily", seriesBody("", "2026-11-27", "2026-12-03", nil)) // the service's zone
		if s["time_zone"] != "America/Mexico_City" {
			t.Errorf("time_zone %v, want the service's", s["time_zone"])
		}
		ids := occurrenceIDs(t, s)
		// On the 29th another promo opens at 10:00, before the series' window.
		a.createPromo("morning", ctProduct(promoBody(time.Date(2026, 11, 29, 16, 0, 0, 0, time.UTC), time.Date(2026, 11, 29, 17, 0, 0, 0, time.UTC), 5), "morning"))
		for day := range 7 {
			sentinel := fmt.Sprint("sentinel-", day) // new today: the fan-out is over once they have theirs
			a.register(sentinel, 72*time.Hour, near)
			a.untilKnown(sentinel)
			if day == 2 {
				a.advance(time.Date(2026, 11, 29, 16, 0, 1, 0, time.UTC).Sub(a.now()))
				a.untilNotified(sentinel, 1)
				a.untilEvent("PromoActivated", "promo_id", "morning")
				a.fanoutDone()
			}
			opens := time.Date(2026, 11, 27+day, 23, 0, 1, 0, time.UTC)
			a.advance(opens.Sub(a.now()))
			a.untilEvent("PromoActivated", "promo_id", ids[day]) // its fan-out has begun, not only its window
			if day != 2 {
				a.untilNotified(sentinel, 1)
			}
			a.fanoutDone()
			for _, u := range []string{"ana", "beto"} {
				a.untilNotified(u, day+1)
			}
		}
		for _, u := range []string{"ana", "beto"} {
			ns := a.notes(u)
			days := map[string]bool{}
			for i, n := range ns {
				at := ctParseTime(t, n["sent_at"]).In(time.FixedZone("CST", -6*3600)).Format(time.DateOnly)
				if days[at] {
					t.Errorf("%s has two notifications on %s", u, at)
				}
				days[at] = true
				want := ids[i]
				if i == 2 {
					want = "morning"
				}
				if n["promo_id"] != want {
					t.Errorf("%s's notification %d is of %v, want %s", u, i, n["promo_id"], want)
				}
				if i != 2 && !strings.HasPrefix(n["body"].(string), "Today 17:00–19:00: ") {
					t.Errorf("%s's notification %d says %q, want today's window", u, i, n["body"])
				}
			}
		}
	})
}

// TestSeriesAfterRestart: a series and its occurrences are in the log:
// after a restart it reads the same, its occurrences run, and it cancels.
func TestSeriesAfterRestart(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	a := startServer(t, clock, onPostgres(url))
	s := a.createSeries("kept", seriesBody("America/Mexico_City", "2026-11-27", "2026-11-29", nil))
	a.stop()

	b := startServer(t, clock, onPostgres(url))
	if got := b.expect(http.StatusOK, "GET", "/v1/promo-series/kept", nil, ctAdmin).Body; seriesText(got) != seriesText(s) {
		t.Errorf("after a restart %s\nwant %s", seriesText(got), seriesText(s))
	}
	ids := occurrenceIDs(t, s)
	clock.Advance(time.Hour + time.Second)
	b.untilStatus(ids[0], "active")
	if got := b.promo(ids[0])["series_id"]; got != "kept" {
		t.Errorf("series_id %v after a restart", got)
	}
	b.expect(http.StatusOK, "POST", "/v1/promo-series/kept/cancel", nil, ctAdmin)
	for _, id := range ids {
		if got := b.promo(id)["status"]; got != "cancelled" {
			t.Errorf("%s is %v, want cancelled", id, got)
		}
	}
}

// TestSeriesCancelRacesReservations: a series cancelled while users
// reserve its running occurrence, on two instances: every answer is one
// of the contract's, and once the cancel has answered nothing more is held
// or bought.
func TestSeriesCancelRacesReservations(t *testing.T) {
	url := pgtest.Schema(t)
	clock := newFakeClock(t0)
	servers := []*testServer{startServer(t, clock, onPostgres(url)), startServer(t, clock, onPostgres(url))}
	a := servers[0]
	const users = 20
	var names []string
	for i := range users {
		names = append(names, fmt.Sprintf("u%02d", i))
		a.register(names[i], 72*time.Hour, near)
	}
	servers[1].untilKnown(names...)
	a.untilKnown(names...)
	s := a.createSeries("busy", seriesBody("America/Mexico_City", "2026-11-27", "2026-12-03", nil))
	ids := occurrenceIDs(t, s)
	clock.Advance(time.Hour + time.Second)
	for _, b := range servers {
		eventually(t, "the first occurrence is active everywhere", func() bool {
			r, err := b.raw("GET", "/v1/promos/"+ids[0], nil, ctAdmin)
			return err == nil && r.Status == http.StatusOK && r.Body["status"] == "active"
		})
	}
	began := time.Now()
	res, errs := ctConcurrently(users+1, func(i int) (response, error) {
		if i == users {
			return servers[1].raw("POST", "/v1/promo-series/busy/cancel", nil, ctAdmin)
		}
		return servers[i%2].raw("POST", "/v1/promos/"+ids[0]+"/reservations", map[string]any{"user_id": names[i]}, ctAdmin)
	})
	for i, r := range res {
		r = a.check("POST", "race", r, errs[i])
		ok := r.Status == http.StatusCreated || r.Status == http.StatusConflict && (r.code() == "promo_not_active" || r.code() == "sold_out")
		if i == users {
			ok = r.Status == http.StatusOK && r.Body["status"] == "cancelled"
		}
		if !ok {
			t.Errorf("request %d: %d %s", i, r.Status, r.Raw)
		}
	}
	t.Logf("the race took %s", time.Since(began))
	a = servers[1] // the one that cancelled reads its own write
	for _, id := range ids {
		if got := a.promo(id)["status"]; got != "cancelled" {
			t.Errorf("%s is %v after the cancel", id, got)
		}
	}
	for _, r := range res[:users] {
		if r.Status == http.StatusCreated {
			a.refuse(http.StatusConflict, "reservation_closed", "POST", "/v1/reservations/"+r.Body["id"].(string)+"/purchase",
				map[string]any{"user_id": r.Body["user_id"]}, ctAdmin)
		}
	}
	a.refuse(http.StatusConflict, "promo_not_active", "POST", "/v1/promos/"+ids[0]+"/reservations", map[string]any{"user_id": "u00"}, ctAdmin)
}
