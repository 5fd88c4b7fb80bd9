package domain

import (
	"fmt"
	"slices"
	"time"
)

// A promo series is "the same window on many days": one request that
// creates one ordinary promo (an occurrence) per chosen day. The series is
// its own aggregate, recording what was asked and which promos it made;
// each occurrence lives on in its own promo stream.

// maxSeriesSpan is how far apart from and until may be, in days.
const maxSeriesSpan = 366

// TimeOfDay is a local time of day, "17:00".
type TimeOfDay struct{ Hour, Minute int }

// ParseTimeOfDay reads "HH:MM" on a 24-hour clock, 00:00 to 23:59.
func ParseTimeOfDay(field, s string) (TimeOfDay, error) {
	bad := invalid(field, "must be a local time HH:MM, 00:00 to 23:59")
	if len(s) != 5 || s[2] != ':' {
		return TimeOfDay{}, bad
	}
	h, okH := twoDigits(s[0:2])
	m, okM := twoDigits(s[3:5])
	if !okH || !okM || h > 23 || m > 59 {
		return TimeOfDay{}, bad
	}
	return TimeOfDay{h, m}, nil
}

func twoDigits(s string) (int, bool) {
	if s[0] < '0' || s[0] > '9' || s[1] < '0' || s[1] > '9' {
		return 0, false
	}
	return int(s[0]-'0')*10 + int(s[1]-'0'), true
}

func (c TimeOfDay) String() string { return fmt.Sprintf("%02d:%02d", c.Hour, c.Minute) }

func (c TimeOfDay) minutes() int { return c.Hour*60 + c.Minute }

// Date is a calendar date with no zone, "2026-12-01".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate reads "YYYY-MM-DD".
func ParseDate(field, s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil || len(s) != len(time.DateOnly) {
		return Date{}, invalid(field, "must be a date YYYY-MM-DD")
	}
	return dateOf(t), nil
}

func dateOf(t time.Time) Date { return Date{t.Year(), t.Month(), t.Day()} }

func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// midnightUTC is the date as an instant with no daylight saving, for
// counting days.
func (d Date) midnightUTC() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays is the date n days after d (before, for a negative n).
func (d Date) AddDays(n int) Date { return dateOf(d.midnightUTC().AddDate(0, 0, n)) }

func (d Date) weekday() time.Weekday { return d.midnightUTC().Weekday() }

// daysUntil is the number of days from d to e (negative when e is before d).
func (d Date) daysUntil(e Date) int {
	return int(e.midnightUTC().Sub(d.midnightUTC()) / (24 * time.Hour))
}

// dayNames are the contract's names of the days, in the order of the week it
// uses (Monday first).
var dayNames = []weekdayName{
	{"mon", time.Monday}, {"tue", time.Tuesday}, {"wed", time.Wednesday}, {"thu", time.Thursday},
	{"fri", time.Friday}, {"sat", time.Saturday}, {"sun", time.Sunday},
}

type weekdayName struct {
	name string
	day  time.Weekday
}

// AllDays is every day of the week, the default of a series.
func AllDays() []string {
	out := make([]string, len(dayNames))
	for i, d := range dayNames {
		out[i] = d.name
	}
	return out
}

// SeriesSpec is what an admin asks for when creating a series: a promo body
// (its StartsAt and EndsAt unused) and when its occurrences are.
type SeriesSpec struct {
	Promo       PromoSpec
	Zone        *time.Location
	Start, End  TimeOfDay // local times of each occurrence's window
	Days        []string
	From, Until Date // local dates, both included
}

// Occurrence is one promo of a series: its local date and its window.
type Occurrence struct {
	PromoID  string    `json:"promo_id"`
	Date     string    `json:"date"`
	StartsAt time.Time `json:"starts_at"`
	EndsAt   time.Time `json:"ends_at"`
}

// SeriesStatus is "active" until the series is cancelled.
type SeriesStatus string

const (
	SeriesStatusActive    SeriesStatus = "active"
	SeriesStatusCancelled SeriesStatus = "cancelled"
)

// PromoSeries is a series as created: what was asked and the promos made.
type PromoSeries struct {
	root
	created   PromoSeriesCreated
	cancelled bool
}

// NewPromoIDs makes the ids of a series' occurrences.
type NewPromoIDs func() string

// CreatePromoSeries validates spec, works out its occurrences from now on
// and returns the series with one new promo per occurrence, in date order.
// An occurrence that has ended by now is skipped; one whose window never
// shows on the clocks of its day (inside a daylight-saving gap) too. A
// series left with none is invalid: it would promote nothing.
func CreatePromoSeries(id string, spec SeriesSpec, now time.Time, newID NewPromoIDs) (*PromoSeries, []*Promo, error) {
	if err := validateID("id", id); err != nil {
		return nil, nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, nil, err
	}
	var (
		occurrences []Occurrence
		promos      []*Promo
	)
	for _, w := range spec.windows() {
		if !w.EndsAt.After(now) {
			continue
		}
		ps := spec.Promo
		ps.StartsAt, ps.EndsAt = w.StartsAt, w.EndsAt
		p, err := createPromo(newID(), ps, now, seriesOf{id, spec.Zone.String()})
		if err != nil {
			return nil, nil, err
		}
		w.PromoID = p.ID()
		occurrences = append(occurrences, w)
		promos = append(promos, p)
	}
	if len(occurrences) == 0 {
		return nil, nil, invalid("until", "no occurrence of the series ends after now")
	}
	s := &PromoSeries{}
	s.record(PromoSeriesCreated{
		SeriesID: id, Store: spec.Promo.Store, Product: spec.Promo.Product,
		RegularPrice: spec.Promo.RegularPrice, PromoPrice: spec.Promo.PromoPrice,
		Segments: slices.Clone(spec.Promo.Segments), RadiusM: spec.Promo.RadiusM, Stock: spec.Promo.Stock,
		TimeZone: spec.Zone.String(), Window: SeriesWindow{spec.Start.String(), spec.End.String()},
		Days: spec.days(), From: spec.From.String(), Until: spec.Until.String(),
		Occurrences: occurrences,
	})
	return s, promos, nil
}

// Validate checks the promo body first, then the series' own fields, in
// the order of the JSON body.
func (s SeriesSpec) Validate() error {
	p := s.Promo
	for _, check := range []func() error{p.validateStore, p.validateProduct, p.validatePrices,
		p.validateSegments, p.validateRadius, p.validateStock, s.validateWhen} {
		if err := check(); err != nil {
			return err
		}
	}
	return nil
}

func (s SeriesSpec) validateWhen() error {
	switch {
	case s.Zone == nil:
		return invalid("time_zone", "must be set")
	case s.End.minutes() <= s.Start.minutes():
		return invalid("window.end", "must be after window.start")
	case len(s.Days) == 0:
		return invalid("days", "must not be empty")
	}
	for i, d := range s.Days {
		if !slices.ContainsFunc(dayNames, func(n weekdayName) bool { return n.name == d }) {
			return invalid("days", "unknown day "+d+": one of mon, tue, wed, thu, fri, sat, sun")
		}
		if slices.Contains(s.Days[:i], d) {
			return invalid("days", "duplicate day "+d)
		}
	}
	span := s.From.daysUntil(s.Until)
	switch {
	case span < 0:
		return invalid("until", "must not be before from")
	case span > maxSeriesSpan:
		return invalid("until", "must be at most 366 days after from")
	case s.Until.Year > 9998: // an occurrence's UTC times must stay within RFC 3339's years
		return invalid("until", "must be before 9999-01-01")
	}
	return nil
}

// days are the chosen days in the order of the week.
func (s SeriesSpec) days() []string {
	var out []string
	for _, d := range dayNames {
		if slices.Contains(s.Days, d.name) {
			out = append(out, d.name)
		}
	}
	return out
}

// windows are the occurrences of every chosen day from From to Until, in
// order, without promo ids; days whose window never shows on the clocks
// are left out.
func (s SeriesSpec) windows() []Occurrence {
	chosen := map[time.Weekday]bool{}
	for _, d := range dayNames {
		if slices.Contains(s.Days, d.name) {
			chosen[d.day] = true
		}
	}
	var out []Occurrence
	for d := s.From; d.daysUntil(s.Until) >= 0; d = d.AddDays(1) {
		if !chosen[d.weekday()] {
			continue
		}
		start, end := LocalInstant(d, s.Start, s.Zone), LocalInstant(d, s.End, s.Zone)
		if !end.After(start) {
			continue
		}
		out = append(out, Occurrence{Date: d.String(), StartsAt: start.UTC(), EndsAt: end.UTC()})
	}
	return out
}

// LocalInstant is the instant the clocks of zone first show c on day d:
//   - a time that happens twice (clocks set back) is its first, earlier
//     instant;
//   - a time that does not happen (clocks set forward past it) is the
//     instant of the change, when the clocks jump past it.
//
// Both keep the order of local times (a later time of day is never an
// earlier instant), so a window's end is never before its start; a window
// that lies wholly in a gap has no length at all.
func LocalInstant(d Date, c TimeOfDay, zone *time.Location) time.Time {
	t := time.Date(d.Year, d.Month, d.Day, c.Hour, c.Minute, 0, 0, zone)
	want := wall(d, c)
	switch got := wallOf(t); {
	case got > want: // in a gap, read with the offset before it: the change is when its zone began
		start, _ := t.ZoneBounds()
		return start
	case got < want: // in a gap, read with the offset after it: the change is when its zone ends
		_, end := t.ZoneBounds()
		return end
	}
	// The same time may have happened earlier, before the zone of t began.
	start, _ := t.ZoneBounds()
	if start.IsZero() {
		return t
	}
	_, before := start.Add(-time.Second).Zone()
	_, after := t.Zone()
	if earlier := t.Add(time.Duration(after-before) * time.Second); earlier.Before(start) && wallOf(earlier) == want {
		return earlier
	}
	return t
}

// wall is a local date and time as minutes since an epoch, to compare.
func wall(d Date, c TimeOfDay) int64 {
	return d.midnightUTC().Unix()/60 + int64(c.minutes())
}

func wallOf(t time.Time) int64 {
	return wall(dateOf(t), TimeOfDay{t.Hour(), t.Minute()})
}

// LoadPromoSeries rehydrates a series from its stream.
func LoadPromoSeries(history []Event) *PromoSeries {
	s := &PromoSeries{}
	for _, e := range history {
		s.apply(e)
	}
	s.loaded(len(history))
	return s
}

// Created is the series as created, occurrences included.
func (s *PromoSeries) Created() PromoSeriesCreated {
	c := s.created
	c.Segments = slices.Clone(c.Segments)
	c.Days = slices.Clone(c.Days)
	c.Occurrences = slices.Clone(c.Occurrences)
	return c
}

// Status is active until the series is cancelled.
func (s *PromoSeries) Status() SeriesStatus {
	if s.cancelled {
		return SeriesStatusCancelled
	}
	return SeriesStatusActive
}

// SameSpec tells an idempotent retry of a create (same body) from a
// conflicting reuse of its id.
func (s *PromoSeries) SameSpec(spec SeriesSpec) bool {
	c := s.created
	p := spec.Promo
	return c.Store == p.Store && c.Product == p.Product && c.RegularPrice == p.RegularPrice &&
		c.PromoPrice == p.PromoPrice && sameSegments(c.Segments, p.Segments) && c.RadiusM == p.RadiusM &&
		c.Stock == p.Stock && spec.Zone != nil && c.TimeZone == spec.Zone.String() &&
		c.Window == (SeriesWindow{spec.Start.String(), spec.End.String()}) &&
		slices.Equal(c.Days, spec.days()) && c.From == spec.From.String() && c.Until == spec.Until.String()
}

// Claim takes every occurrence's window in the listing of the series'
// store and product, in date order; the first that overlaps another promo
// refuses the whole series, naming its date.
func (s *PromoSeries) Claim(l *Listing) error {
	c := s.created
	for _, o := range c.Occurrences {
		if err := l.Claim(c.Store.ID, c.Product.ID, o.PromoID, o.StartsAt, o.EndsAt); err != nil {
			return fmt.Errorf("the occurrence of %s: %w", o.Date, err)
		}
	}
	return nil
}

// Cancel records that the series is cancelled; app/ cancels its
// occurrences that have not ended, in the same append.
func (s *PromoSeries) Cancel() {
	if s.cancelled {
		return
	}
	s.record(PromoSeriesCancelled{SeriesID: s.id})
}

func (s *PromoSeries) record(e Event) {
	s.apply(e)
	s.changes = append(s.changes, e)
}

// apply is the only place that changes a series' state.
func (s *PromoSeries) apply(e Event) {
	switch e := e.(type) {
	case PromoSeriesCreated:
		s.id = e.SeriesID
		s.created = e
	case PromoSeriesCancelled:
		s.cancelled = true
	}
}
