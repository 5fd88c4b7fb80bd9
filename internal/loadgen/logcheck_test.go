package loadgen

import (
	"io"
	"strings"
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)

func event(typ string, at time.Time, promo, reservation, user string) envelope {
	var e envelope
	e.Type, e.OccurredAt = typ, at
	e.Data.PromoID, e.Data.ReservationID, e.Data.UserID = promo, reservation, user
	return e
}

func created(promo string, stock int) envelope {
	e := event("PromoCreated", t0, promo, "", "")
	e.Data.Stock = stock
	return e
}

func placed(at time.Time, promo, reservation string, ttl time.Duration) envelope {
	e := event("ReservationPlaced", at, promo, reservation, "u-"+reservation)
	e.Data.ExpiresAt = at.Add(ttl)
	return e
}

func notified(user, day string) envelope {
	e := event("NotificationSent", t0, "p", "", user)
	e.Data.Day = day
	return e
}

// fails folds the events and returns what the check says against granted.
func fails(granted []string, events ...envelope) string {
	c := newLogCheck()
	for _, e := range events {
		c.apply(e)
	}
	return strings.Join(c.failures(granted), "\n")
}

func TestLogCheckPassesAGoodLog(t *testing.T) {
	got := fails([]string{"r1", "r2", "r3", "r4"},
		created("p", 2),
		placed(t0, "p", "r1", time.Minute),
		placed(t0.Add(time.Second), "p", "r2", time.Minute),
		event("PurchaseCompleted", t0.Add(2*time.Second), "p", "r1", "u-r1"),
		event("ReservationReleased", t0.Add(3*time.Second), "p", "r2", "u-r2"),
		placed(t0.Add(4*time.Second), "p", "r3", time.Minute),
		placed(t0.Add(2*time.Minute), "p", "r4", time.Minute), // r3 ran out: its unit is free
		event("ReservationExpired", t0.Add(2*time.Minute), "p", "r3", "u-r3"),
		event("PurchaseCompleted", t0.Add(2*time.Minute), "p", "r4", "u-r4"),
		notified("a", "2026-12-02"), notified("b", "2026-12-02"), notified("a", "2026-12-03"),
	)
	if got != "" {
		t.Fatalf("a good log fails: %s", got)
	}
}

func TestLogCheckSaysWhichInvariantFails(t *testing.T) {
	for name, c := range map[string]struct {
		granted []string
		events  []envelope
		want    string
	}{
		"a hold past the stock": {nil, []envelope{created("p", 1), placed(t0, "p", "r1", time.Minute),
			placed(t0.Add(time.Second), "p", "r2", time.Minute)}, "oversold"},
		"a sale past the stock": {nil, []envelope{created("p", 1),
			event("PurchaseCompleted", t0, "p", "r1", "u"), event("PurchaseCompleted", t0, "p", "r2", "u")}, "oversold"},
		"a second notification in a day": {nil, []envelope{notified("a", "2026-12-02"), notified("a", "2026-12-02")},
			"notified twice in a day: 1 users, first a on 2026-12-02"},
		"a hold never closed": {nil, []envelope{created("p", 1), placed(t0, "p", "r1", time.Minute)},
			"holds neither purchased, released nor expired: 1, first r1"},
		"a hold answered 201 and not in the log": {[]string{"r9"}, []envelope{created("p", 1)},
			"holds answered 201 missing from the log: 1, first r9"},
	} {
		t.Run(name, func(t *testing.T) {
			if got := fails(c.granted, c.events...); !strings.Contains(got, c.want) {
				t.Fatalf("got %q, want it to say %q", got, c.want)
			}
		})
	}
}

func TestVerdictOfALongRunComparesTheLastMinuteWithTheSecond(t *testing.T) {
	const duration = 10 * time.Minute
	run := func(rss2, rss10 float64, p2, p10 time.Duration) []string {
		s := &soak{l: &Loader{Out: io.Discard}, stats: newSoakStats(t0, soakWindow, duration)}
		for w, rss := range map[int]float64{1: rss2, 9: rss10} {
			s.stats.resident(t0.Add(time.Duration(w)*soakWindow), rss)
		}
		for w, d := range map[int]time.Duration{1: p2, 9: p10} {
			for range 100 {
				s.stats.record("GET /v1/promos/{id}", t0.Add(time.Duration(w)*soakWindow), d, 200, nil)
			}
		}
		return s.verdict(duration)
	}
	if got := run(100, 119, 10*time.Millisecond, 11*time.Millisecond); len(got) != 0 {
		t.Errorf("within 20 %%: %v", got)
	}
	got := strings.Join(run(100, 121, 10*time.Millisecond, 13*time.Millisecond), "\n")
	if !strings.Contains(got, "resident memory grew") || !strings.Contains(got, "p99 grew") {
		t.Errorf("over 20 %%: %q", got)
	}
	s := &soak{l: &Loader{Out: io.Discard}, stats: newSoakStats(t0, soakWindow, duration)}
	s.stats.record("POST /v1/promos", t0, time.Millisecond, 503, nil)
	if got := strings.Join(s.verdict(duration), ""); !strings.Contains(got, "1 answers 5xx") {
		t.Errorf("a 503: %q", got)
	}
}
