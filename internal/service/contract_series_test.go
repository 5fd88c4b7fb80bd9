package service

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// seriesBody is TechShop's headphones as a series: 17:00-19:00 local on
// days from..until in zone (days nil: the field is left out, every day).
func seriesBody(zone, from, until string, days []string) map[string]any {
	b := promoBody(t0, t0, 5)
	delete(b, "starts_at")
	delete(b, "ends_at")
	b["time_zone"] = zone
	b["window"] = map[string]any{"start": "17:00", "end": "19:00"}
	b["from"], b["until"] = from, until
	if days != nil {
		b["days"] = days
	}
	return b
}

// createSeries creates a series with the client-chosen id and returns it.
func (a *testServer) createSeries(id string, body map[string]any) map[string]any {
	a.t.Helper()
	body = ctClone(body)
	body["id"] = id
	return a.expect(http.StatusCreated, "POST", "/v1/promo-series", body, ctAdmin).Body
}

// occurrences lists a series' occurrences as "date starts_at ends_at" (UTC).
func occurrences(t *testing.T, series map[string]any) []string {
	t.Helper()
	var out []string
	for _, o := range ctObjects(t, series["occurrences"]) {
		out = append(out, fmt.Sprintf("%v %s %s", o["date"],
			ctParseTime(t, o["starts_at"]).UTC().Format("2006-01-02T15:04"), ctParseTime(t, o["ends_at"]).UTC().Format("15:04")))
	}
	return out
}

func occurrenceIDs(t *testing.T, series map[string]any) []string {
	t.Helper()
	var ids []string
	for _, o := range ctObjects(t, series["occurrences"]) {
		ids = append(ids, o["promo_id"].(string))
	}
	return ids
}

// TestContractSeries: a series is one request; its occurrences are
// ordinary promos carrying series_id; a retry with the same id and body is
// the same series, another body is promo_conflict.
func TestContractSeries(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0)) // 16:00 on Friday 27 November in Mexico City
		body := seriesBody("America/Mexico_City", "2026-11-26", "2026-12-02", nil)
		var s map[string]any
		before := a.logLen()
		s = a.createSeries("daily", body)
		ctHasKeys(t, "series", s, "id", "time_zone", "window", "days", "from", "until", "status", "occurrences")
		if s["id"] != "daily" || s["time_zone"] != "America/Mexico_City" || s["status"] != "active" ||
			fmt.Sprint(s["window"]) != "map[end:19:00 start:17:00]" || s["from"] != "2026-11-26" || s["until"] != "2026-12-02" ||
			fmt.Sprint(s["days"]) != "[mon tue wed thu fri sat sun]" {
			t.Errorf("series = %s", seriesText(s))
		}
		want := []string{ // the 26th has ended: skipped; today's is to come
			"2026-11-27 2026-11-27T23:00 01:00", "2026-11-28 2026-11-28T23:00 01:00", "2026-11-29 2026-11-29T23:00 01:00",
			"2026-11-30 2026-11-30T23:00 01:00", "2026-12-01 2026-12-01T23:00 01:00", "2026-12-02 2026-12-02T23:00 01:00",
		}
		if got := occurrences(t, s); strings.Join(got, "|") != strings.Join(want, "|") {
			t.Fatalf("occurrences\n  %v\nwant\n  %v", got, want)
		}
		// One append: the series, six promos, six claims.
		if grew := a.logLen() - before; grew != 1+6+6 {
			t.Errorf("the log grew by %d events, want 13", grew)
		}
		ids := occurrenceIDs(t, s)
		for i, id := range ids {
			p := a.promo(id)
			if p["series_id"] != "daily" || p["status"] != "scheduled" || ctInt(t, ctAt(p, "stock.total")) != 5 {
				t.Errorf("occurrence %d: %s", i, seriesText(p))
			}
		}
		if _, ok := a.promo(a.createPromo("alone", ctProduct(promoBody(t0.Add(time.Hour), t0.Add(2*time.Hour), 1), "other"))["id"].(string))["series_id"]; ok {
			t.Error("a promo on its own has a series_id")
		}
		if got := a.expect(http.StatusOK, "GET", "/v1/promo-series/daily", nil, ctAdmin).Body; seriesText(got) != seriesText(s) {
			t.Errorf("GET = %s\nwant %s", seriesText(got), seriesText(s))
		}
		a.unchanged("an idempotent retry", func() {
			again := ctClone(body)
			again["id"] = "daily"
			if got := a.expect(http.StatusOK, "POST", "/v1/promo-series", again, ctAdmin).Body; seriesText(got) != seriesText(s) {
				t.Errorf("retry = %s", seriesText(got))
			}
			other := ctSet(again, "window.end", "20:00")
			a.refuse(http.StatusConflict, "promo_conflict", "POST", "/v1/promo-series", other, ctAdmin)
		})
		created := a.allEvents("type=PromoSeriesCreated")
		if len(created) != 1 || ctObject(t, created[0]["data"])["series_id"] != "daily" {
			t.Errorf("PromoSeriesCreated events: %v", created)
		}
		a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/promo-series/nope", nil, ctAdmin)
		a.refuse(http.StatusNotFound, "not_found", "POST", "/v1/promo-series/nope/cancel", nil, ctAdmin)
		a.refuse(http.StatusUnauthorized, "unauthorized", "GET", "/v1/promo-series/daily", nil, "")

		// The first occurrence opens at 17:00 like any promo.
		a.advance(time.Hour)
		a.untilStatus(ids[0], "active")
		if a.promo(ids[1])["status"] != "scheduled" {
			t.Errorf("tomorrow's occurrence is %v", a.promo(ids[1])["status"])
		}
	})
}

// seriesText is a JSON value as text, to compare.
func seriesText(v any) string {
	data, _ := json.Marshal(v)
	return string(data)
}

// TestContractSeriesDaylightSaving: occurrences follow the local clock
// through daylight-saving changes; zones without them keep their offset.
func TestContractSeriesDaylightSaving(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)))
		for i, c := range []struct {
			zone, from, until string
			window            [2]string
			want              []string
		}{
			{"America/New_York", "2026-03-07", "2026-03-09", [2]string{"17:00", "19:00"}, []string{
				"2026-03-07 2026-03-07T22:00 00:00", "2026-03-08 2026-03-08T21:00 23:00", "2026-03-09 2026-03-09T21:00 23:00"}},
			{"America/New_York", "2026-10-31", "2026-11-02", [2]string{"17:00", "19:00"}, []string{
				"2026-10-31 2026-10-31T21:00 23:00", "2026-11-01 2026-11-01T22:00 00:00", "2026-11-02 2026-11-02T22:00 00:00"}},
			// 02:30 does not exist on 8 March: the window starts when the clocks jump, 03:00 EDT.
			{"America/New_York", "2026-03-08", "2026-03-08", [2]string{"02:30", "03:30"}, []string{
				"2026-03-08 2026-03-08T07:00 07:30"}},
			// 01:00-02:00 happens twice on 1 November: from the first 01:00 to 02:00 EST, two hours.
			{"America/New_York", "2026-11-01", "2026-11-01", [2]string{"01:00", "02:00"}, []string{
				"2026-11-01 2026-11-01T05:00 07:00"}},
			{"Europe/Madrid", "2026-03-28", "2026-03-29", [2]string{"17:00", "19:00"}, []string{
				"2026-03-28 2026-03-28T16:00 18:00", "2026-03-29 2026-03-29T15:00 17:00"}},
			// Mexico City has kept UTC-6 all year since 2022 (it used to change on the first Sunday of April).
			{"America/Mexico_City", "2026-04-04", "2026-04-05", [2]string{"17:00", "19:00"}, []string{
				"2026-04-04 2026-04-04T23:00 01:00", "2026-04-05 2026-04-05T23:00 01:00"}},
			{"Asia/Tokyo", "2026-03-07", "2026-03-09", [2]string{"17:00", "19:00"}, []string{
				"2026-03-07 2026-03-07T08:00 10:00", "2026-03-08 2026-03-08T08:00 10:00", "2026-03-09 2026-03-09T08:00 10:00"}},
		} {
			body := ctProduct(seriesBody(c.zone, c.from, c.until, nil), fmt.Sprint("dst-", i))
			body["window"] = map[string]any{"start": c.window[0], "end": c.window[1]}
			s := a.createSeries(fmt.Sprint("dst-", i), body)
			if got := occurrences(t, s); strings.Join(got, "|") != strings.Join(c.want, "|") {
				t.Errorf("%s %s..%s %v: occurrences\n  %v\nwant\n  %v", c.zone, c.from, c.until, c.window, got, c.want)
			}
		}
		// A window wholly inside the skipped hour has no occurrence that day.
		body := ctProduct(seriesBody("America/New_York", "2026-03-07", "2026-03-08", nil), "gap")
		body["window"] = map[string]any{"start": "02:00", "end": "02:45"}
		if got := occurrences(t, a.createSeries("gap", body)); len(got) != 1 || !strings.HasPrefix(got[0], "2026-03-07 ") {
			t.Errorf("occurrences %v, want only the 7th", got)
		}
	})
}

// TestContractSeriesWeekdays: days picks the local weekdays.
func TestContractSeriesWeekdays(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0))
		s := a.createSeries("weekdays", seriesBody("America/Mexico_City", "2026-11-27", "2026-12-13", []string{"sat", "mon", "wed"}))
		var dates []string
		for _, o := range ctObjects(t, s["occurrences"]) {
			dates = append(dates, o["date"].(string))
		}
		if got, want := strings.Join(dates, " "), "2026-11-28 2026-11-30 2026-12-02 2026-12-05 2026-12-07 2026-12-09 2026-12-12"; got != want {
			t.Errorf("dates %s, want %s", got, want)
		}
		if fmt.Sprint(s["days"]) != "[mon wed sat]" {
			t.Errorf("days %v, want them in the week's order", s["days"])
		}
		// Tokyo's Monday starts on Sunday in UTC.
		s = a.createSeries("tokyo", ctProduct(seriesBody("Asia/Tokyo", "2026-11-29", "2026-12-06", []string{"mon"}), "tokyo"))
		if got := occurrences(t, s); len(got) != 1 || got[0] != "2026-11-30 2026-11-30T08:00 10:00" {
			t.Errorf("occurrences %v", got)
		}
	})
}

// TestContractSeriesBadInput: every bad input is 400 and writes nothing.
func TestContractSeriesBadInput(t *testing.T) {
	ctEachStore(t, func(t *testing.T, start func(*fakeClock, ...func(*Config)) *testServer) {
		a := start(newFakeClock(t0))
		good := seriesBody("America/Mexico_City", "2026-11-27", "2026-12-27", nil)
		a.createSeries("fine", ctProduct(good, "fine")) // the body is good
		bad := map[string]map[string]any{
			"unknown zone":          ctSet(good, "time_zone", "Mars/Olympus_Mons"),
			"Local is no zone":      ctSet(good, "time_zone", "Local"),
			"zone of bad type":      ctSet(good, "time_zone", 6),
			"hour 25":               ctSet(good, "window.start", "25:00"),
			"5pm":                   ctSet(good, "window.end", "5pm"),
			"seconds":               ctSet(good, "window.start", "17:00:00"),
			"end equal to start":    ctSet(good, "window.end", "17:00"),
			"end before start":      ctSet(good, "window.end", "16:59"),
			"no window":             ctSet(good, "window", ctDelete),
			"no window end":         ctSet(good, "window.end", ctDelete),
			"empty days":            ctSet(good, "days", []string{}),
			"unknown day":           ctSet(good, "days", []string{"mon", "someday"}),
			"day in capitals":       ctSet(good, "days", []string{"MON"}),
			"until before from":     ctSet(good, "until", "2026-11-26"),
			"span of 367 days":      ctSet(good, "until", "2027-11-29"),
			"the year 9999":         ctSet(ctSet(good, "from", "9999-12-31"), "until", "9999-12-31"),
			"bad date":              ctSet(good, "from", "2026-02-30"),
			"no from":               ctSet(good, "from", ctDelete),
			"no until":              ctSet(good, "until", ctDelete),
			"all in the past":       ctSet(ctSet(good, "from", "2026-11-01"), "until", "2026-11-26"),
			"starts_at is no field": ctSet(good, "starts_at", ctTime(t0)),
			"no store":              ctSet(good, "store", ctDelete),
			"no product":            ctSet(good, "product", ctDelete),
			"price not below":       ctSet(good, "promo_price.amount", 99900),
			"other currency":        ctSet(good, "promo_price.currency", "USD"),
			"no segments":           ctSet(good, "segments", []string{}),
			"unknown segment":       ctSet(good, "segments", []string{"whales"}),
			"radius 0":              ctSet(good, "radius_m", 0),
			"radius over 50 km":     ctSet(good, "radius_m", 50001),
			"stock 0":               ctSet(good, "stock", 0),
			"no stock":              ctSet(good, "stock", ctDelete),
			"bad id":                ctSet(good, "id", "a b"),
		}
		a.unchanged("bad inputs", func() {
			for name, body := range bad {
				r := a.send("POST", "/v1/promo-series", body, ctAdmin)
				if r.Status != http.StatusBadRequest || r.code() != "invalid_request" {
					t.Errorf("%s: %d %s, want 400 invalid_request", name, r.Status, r.Raw)
				}
			}
			a.refuse(http.StatusBadRequest, "invalid_request", "POST", "/v1/promo-series", "{", ctAdmin)
		})
		// 366 days apart is the longest span allowed.
		long := a.createSeries("year", ctProduct(ctSet(good, "until", "2027-11-28"), "year"))
		if n := len(ctObjects(t, long["occurrences"])); n != 367 {
			t.Errorf("%d occurrences from 2026-11-27 to 2027-11-28, want 367", n)
		}
	})
}
