package domain_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

func zone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func date(t *testing.T, s string) domain.Date {
	t.Helper()
	d, err := domain.ParseDate("date", s)
	must(t, err)
	return d
}

func hhmm(t *testing.T, s string) domain.TimeOfDay {
	t.Helper()
	c, err := domain.ParseTimeOfDay("window.start", s)
	must(t, err)
	return c
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

// TestLocalInstant: a local time is the instant the zone's clocks first
// show it: the earlier of a time that happens twice, the moment of the
// change for one that never happens.
func TestLocalInstant(t *testing.T) {
	for _, c := range []struct {
		zone, date, clock string
		want              string
	}{
		// New York springs forward at 02:00 EST (07:00Z) to 03:00 EDT.
		{"America/New_York", "2026-03-08", "01:30", "2026-03-08T06:30:00Z"},
		{"America/New_York", "2026-03-08", "02:00", "2026-03-08T07:00:00Z"}, // never shown: the change
		{"America/New_York", "2026-03-08", "02:30", "2026-03-08T07:00:00Z"},
		{"America/New_York", "2026-03-08", "03:00", "2026-03-08T07:00:00Z"},
		{"America/New_York", "2026-03-08", "03:30", "2026-03-08T07:30:00Z"},
		{"America/New_York", "2026-03-08", "17:00", "2026-03-08T21:00:00Z"},
		{"America/New_York", "2026-03-07", "17:00", "2026-03-07T22:00:00Z"},
		// New York falls back at 02:00 EDT (06:00Z) to 01:00 EST.
		{"America/New_York", "2026-11-01", "00:30", "2026-11-01T04:30:00Z"},
		{"America/New_York", "2026-11-01", "01:00", "2026-11-01T05:00:00Z"}, // twice: the first
		{"America/New_York", "2026-11-01", "01:30", "2026-11-01T05:30:00Z"},
		{"America/New_York", "2026-11-01", "02:00", "2026-11-01T07:00:00Z"},
		// Madrid: 02:00 CET -> 03:00 CEST on 29 March, 03:00 CEST -> 02:00 CET on 25 October.
		{"Europe/Madrid", "2026-03-29", "02:30", "2026-03-29T01:00:00Z"},
		{"Europe/Madrid", "2026-03-29", "03:30", "2026-03-29T01:30:00Z"},
		{"Europe/Madrid", "2026-10-25", "02:30", "2026-10-25T00:30:00Z"},
		{"Europe/Madrid", "2026-10-25", "03:00", "2026-10-25T02:00:00Z"},
		// No daylight saving: Tokyo, and Mexico City since 2022.
		{"Asia/Tokyo", "2026-03-08", "02:30", "2026-03-07T17:30:00Z"},
		{"America/Mexico_City", "2026-04-05", "17:00", "2026-04-05T23:00:00Z"},
		{"America/Mexico_City", "2026-10-25", "01:30", "2026-10-25T07:30:00Z"},
		{"UTC", "2026-03-08", "02:30", "2026-03-08T02:30:00Z"},
	} {
		t.Run(c.zone+" "+c.date+" "+c.clock, func(t *testing.T) {
			got := domain.LocalInstant(date(t, c.date), hhmm(t, c.clock), zone(t, c.zone))
			if !got.Equal(utc(c.want)) {
				t.Errorf("got %s, want %s", got.UTC().Format(time.RFC3339), c.want)
			}
		})
	}
}

// TestLocalInstantKeepsOrder: over every minute of the days of change, a
// later local time is never an earlier instant, so ends_at > starts_at
// whenever a window has any length.
func TestLocalInstantKeepsOrder(t *testing.T) {
	for _, c := range []struct{ zone, date string }{
		{"America/New_York", "2026-03-08"}, {"America/New_York", "2026-11-01"},
		{"Europe/Madrid", "2026-03-29"}, {"Europe/Madrid", "2026-10-25"},
		{"Australia/Lord_Howe", "2026-04-05"}, {"Australia/Lord_Howe", "2026-10-04"}, // half-hour changes
	} {
		loc, d := zone(t, c.zone), date(t, c.date)
		prev := time.Time{}
		for m := range 24 * 60 {
			at := domain.LocalInstant(d, domain.TimeOfDay{Hour: m / 60, Minute: m % 60}, loc)
			if at.Before(prev) {
				t.Fatalf("%s %s %02d:%02d is %s, before the minute earlier %s", c.zone, c.date, m/60, m%60, at, prev)
			}
			prev = at
		}
	}
}

// seriesSpec is a daily 17:00-19:00 series in zone from..until.
func seriesSpec(t *testing.T, zoneName, from, until string) domain.SeriesSpec {
	t.Helper()
	p := validSpec()
	p.StartsAt, p.EndsAt = time.Time{}, time.Time{}
	return domain.SeriesSpec{Promo: p, Zone: zone(t, zoneName), Start: hhmm(t, "17:00"), End: hhmm(t, "19:00"),
		Days: domain.AllDays(), From: date(t, from), Until: date(t, until)}
}

func numbered() domain.NewPromoIDs {
	n := 0
	return func() string { n++; return fmt.Sprintf("occ-%d", n) }
}

// windows lists a series' occurrences as "date start end" in UTC.
func windows(s *domain.PromoSeries) []string {
	var out []string
	for _, o := range s.Created().Occurrences {
		out = append(out, o.Date+" "+o.StartsAt.UTC().Format("15:04")+"-"+o.EndsAt.UTC().Format("15:04"))
	}
	return out
}

func TestCreatePromoSeries(t *testing.T) {
	longAgo := utc("2026-01-01T00:00:00Z")
	for _, c := range []struct {
		name  string
		spec  func(*domain.SeriesSpec)
		zone  string
		from  string
		until string
		now   time.Time
		want  []string
	}{
		{name: "New York across spring forward", zone: "America/New_York", from: "2026-03-07", until: "2026-03-09",
			want: []string{"2026-03-07 22:00-00:00", "2026-03-08 21:00-23:00", "2026-03-09 21:00-23:00"}},
		{name: "New York across fall back", zone: "America/New_York", from: "2026-10-31", until: "2026-11-02",
			want: []string{"2026-10-31 21:00-23:00", "2026-11-01 22:00-00:00", "2026-11-02 22:00-00:00"}},
		{name: "Madrid across fall back", zone: "Europe/Madrid", from: "2026-10-24", until: "2026-10-25",
			want: []string{"2026-10-24 15:00-17:00", "2026-10-25 16:00-18:00"}},
		{name: "Mexico City keeps its offset", zone: "America/Mexico_City", from: "2026-04-04", until: "2026-04-05",
			want: []string{"2026-04-04 23:00-01:00", "2026-04-05 23:00-01:00"}},
		{name: "a window in the skipped hour has no occurrence that day", zone: "America/New_York",
			from: "2026-03-07", until: "2026-03-08",
			spec: func(s *domain.SeriesSpec) {
				s.Start, s.End = domain.TimeOfDay{Hour: 2}, domain.TimeOfDay{Hour: 2, Minute: 45}
			},
			want: []string{"2026-03-07 07:00-07:45"}},
		{name: "a window starting in the skipped hour starts at the change", zone: "America/New_York",
			from: "2026-03-08", until: "2026-03-08",
			spec: func(s *domain.SeriesSpec) {
				s.Start, s.End = domain.TimeOfDay{Hour: 2, Minute: 30}, domain.TimeOfDay{Hour: 3, Minute: 30}
			},
			want: []string{"2026-03-08 07:00-07:30"}},
		{name: "a window over the repeated hour lasts an hour more", zone: "America/New_York",
			from: "2026-11-01", until: "2026-11-01",
			spec: func(s *domain.SeriesSpec) { s.Start, s.End = domain.TimeOfDay{Hour: 1}, domain.TimeOfDay{Hour: 2} },
			want: []string{"2026-11-01 05:00-07:00"}},
		{name: "weekdays only", zone: "America/Mexico_City", from: "2026-11-27", until: "2026-12-06",
			spec: func(s *domain.SeriesSpec) { s.Days = []string{"fri", "mon", "wed"} },
			want: []string{"2026-11-27 23:00-01:00", "2026-11-30 23:00-01:00", "2026-12-02 23:00-01:00", "2026-12-04 23:00-01:00"}},
		{name: "ended ones skipped, today's running one kept", zone: "America/Mexico_City", from: "2026-11-25", until: "2026-11-28",
			now:  utc("2026-11-28T00:59:00Z"), // 18:59 on the 27th in Mexico City
			want: []string{"2026-11-27 23:00-01:00", "2026-11-28 23:00-01:00"}},
		{name: "today's ended one skipped", zone: "America/Mexico_City", from: "2026-11-27", until: "2026-11-28",
			now:  utc("2026-11-28T01:00:00Z"),
			want: []string{"2026-11-28 23:00-01:00"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := seriesSpec(t, c.zone, c.from, c.until)
			if c.spec != nil {
				c.spec(&spec)
			}
			now := c.now
			if now.IsZero() {
				now = longAgo
			}
			s, promos, err := domain.CreatePromoSeries("s1", spec, now, numbered())
			must(t, err)
			if got := windows(s); strings.Join(got, ", ") != strings.Join(c.want, ", ") {
				t.Fatalf("occurrences\n  %v\nwant\n  %v", got, c.want)
			}
			if len(promos) != len(c.want) {
				t.Fatalf("%d promos for %d occurrences", len(promos), len(c.want))
			}
			for i, p := range promos {
				o := s.Created().Occurrences[i]
				ps := p.Spec()
				if p.ID() != o.PromoID || !ps.StartsAt.Equal(o.StartsAt) || !ps.EndsAt.Equal(o.EndsAt) ||
					p.SeriesID() != "s1" || p.TimeZone() != c.zone || ps.Stock != 50 || !ps.EndsAt.After(ps.StartsAt) {
					t.Errorf("promo %d: %s %+v series %q, want occurrence %+v", i, p.ID(), ps, p.SeriesID(), o)
				}
			}
			if s.Status() != domain.SeriesStatusActive || len(s.Changes()) != 1 {
				t.Errorf("status %s, %d changes", s.Status(), len(s.Changes()))
			}
		})
	}
}

func TestCreatePromoSeriesRefusesBadInput(t *testing.T) {
	now := utc("2026-11-27T12:00:00Z")
	for _, c := range []struct {
		name  string
		id    string
		spec  func(*domain.SeriesSpec)
		field string
	}{
		{"bad id", "a b", nil, "id"},
		{"promo price not below", "", func(s *domain.SeriesSpec) { s.Promo.PromoPrice = s.Promo.RegularPrice }, "promo_price.amount"},
		{"no segments", "", func(s *domain.SeriesSpec) { s.Promo.Segments = nil }, "segments"},
		{"radius", "", func(s *domain.SeriesSpec) { s.Promo.RadiusM = 50001 }, "radius_m"},
		{"stock", "", func(s *domain.SeriesSpec) { s.Promo.Stock = 0 }, "stock"},
		{"no zone", "", func(s *domain.SeriesSpec) { s.Zone = nil }, "time_zone"},
		{"end equal to start", "", func(s *domain.SeriesSpec) { s.End = s.Start }, "window.end"},
		{"end before start", "", func(s *domain.SeriesSpec) { s.Start, s.End = s.End, s.Start }, "window.end"},
		{"no days", "", func(s *domain.SeriesSpec) { s.Days = []string{} }, "days"},
		{"unknown day", "", func(s *domain.SeriesSpec) { s.Days = []string{"mon", "funday"} }, "days"},
		{"day twice", "", func(s *domain.SeriesSpec) { s.Days = []string{"mon", "mon"} }, "days"},
		{"until before from", "", func(s *domain.SeriesSpec) { s.Until = s.From.AddDays(-1) }, "until"},
		{"span of 367 days", "", func(s *domain.SeriesSpec) { s.Until = s.From.AddDays(367) }, "until"},
		{"beyond RFC 3339's years", "", func(s *domain.SeriesSpec) { s.From, s.Until = date(t, "9999-12-30"), date(t, "9999-12-31") }, "until"},
		{"nothing left to come", "", func(s *domain.SeriesSpec) { s.From, s.Until = date(t, "2026-11-01"), date(t, "2026-11-26") }, "until"},
	} {
		t.Run(c.name, func(t *testing.T) {
			spec := seriesSpec(t, "America/Mexico_City", "2026-11-27", "2026-12-27")
			if c.spec != nil {
				c.spec(&spec)
			}
			id := "s1"
			if c.id != "" {
				id = c.id
			}
			s, promos, err := domain.CreatePromoSeries(id, spec, now, numbered())
			wantField(t, err, c.field)
			if s != nil || promos != nil {
				t.Fatal("a refused series made something")
			}
		})
	}
	t.Run("366 days apart is allowed", func(t *testing.T) {
		spec := seriesSpec(t, "UTC", "2027-01-01", "2028-01-02")
		s, promos, err := domain.CreatePromoSeries("s1", spec, now, numbered())
		must(t, err)
		if len(promos) != 367 || len(s.Created().Occurrences) != 367 {
			t.Fatalf("%d promos, want 367 (both ends included)", len(promos))
		}
	})
}

func TestParseTimeOfDayAndDate(t *testing.T) {
	for _, s := range []string{"25:00", "5pm", "17:0", "17:00:00", "24:00", "-1:00", "17-00", "", "1７:00", "12:60"} {
		if _, err := domain.ParseTimeOfDay("window.start", s); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("clock %q: %v, want invalid", s, err)
		}
	}
	for _, s := range []string{"00:00", "23:59", "07:05"} {
		if c, err := domain.ParseTimeOfDay("window.start", s); err != nil || c.String() != s {
			t.Errorf("clock %q: %v %v", s, c, err)
		}
	}
	for _, s := range []string{"2026-2-01", "2026-02-30", "27/11/2026", "2026-11-27T00:00:00Z", ""} {
		if _, err := domain.ParseDate("from", s); !errors.Is(err, domain.ErrInvalid) {
			t.Errorf("date %q: %v, want invalid", s, err)
		}
	}
}

// TestSeriesClaim: the series takes every occurrence's window; one overlap
// with another promo refuses it all, naming the first date that overlaps.
func TestSeriesClaim(t *testing.T) {
	spec := seriesSpec(t, "America/Mexico_City", "2026-11-27", "2026-12-03")
	l := domain.LoadListing(listingID, []domain.Event{
		slot("other-1", utc("2026-11-30T23:30:00Z"), utc("2026-12-01T00:30:00Z")),
		slot("other-2", utc("2026-12-02T00:59:00Z"), utc("2026-12-02T02:00:00Z")),
	})
	s, _, err := domain.CreatePromoSeries("s1", spec, utc("2026-11-27T12:00:00Z"), numbered())
	must(t, err)
	err = s.Claim(l)
	if !errors.Is(err, domain.ErrPromoConflict) || !strings.Contains(err.Error(), "2026-11-30") {
		t.Fatalf("claim: %v, want promo_conflict naming 2026-11-30", err)
	}
	free := domain.LoadListing(listingID, []domain.Event{slot("other-3", utc("2026-12-01T01:00:00Z"), utc("2026-12-01T23:00:00Z"))})
	must(t, s.Claim(free))
	if n := len(free.Changes()); n != 7 {
		t.Fatalf("%d claims, want one for each of 7 days", n)
	}
}

func TestSeriesSameSpecAndCancel(t *testing.T) {
	spec := seriesSpec(t, "America/Mexico_City", "2026-11-27", "2026-12-03")
	spec.Days = []string{"sun", "fri"}
	s, _, err := domain.CreatePromoSeries("s1", spec, utc("2026-11-27T12:00:00Z"), numbered())
	must(t, err)
	again := spec
	again.Days = []string{"fri", "sun"} // a set
	if !s.SameSpec(again) {
		t.Error("the same body is not the same series")
	}
	for name, change := range map[string]func(*domain.SeriesSpec){
		"zone":  func(s *domain.SeriesSpec) { s.Zone = zone(t, "America/Monterrey") },
		"days":  func(s *domain.SeriesSpec) { s.Days = []string{"fri"} },
		"end":   func(s *domain.SeriesSpec) { s.End = domain.TimeOfDay{Hour: 20} },
		"until": func(s *domain.SeriesSpec) { s.Until = s.Until.AddDays(1) },
		"stock": func(s *domain.SeriesSpec) { s.Promo.Stock++ },
	} {
		other := spec
		other.Days = append([]string(nil), spec.Days...)
		change(&other)
		if s.SameSpec(other) {
			t.Errorf("another %s is the same series", name)
		}
	}
	s = domain.LoadPromoSeries(s.Changes())
	s.Cancel()
	s.Cancel()
	then(t, s, nil, nil, domain.PromoSeriesCancelled{SeriesID: "s1"})
	if s.Status() != domain.SeriesStatusCancelled {
		t.Errorf("status %s", s.Status())
	}
}
