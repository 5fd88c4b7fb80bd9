package readmodel_test

import (
	"cmp"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/golang/geo/s1"
	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// world is what the log says, kept the plain way: every stream's events,
// rehydrated by the domain when the test needs the truth.
type world struct {
	t      *testing.T
	r      *rand.Rand
	store  eventstore.Store
	last   eventstore.Cursor
	users  map[string][]domain.Event
	promos map[string][]domain.Event
	uids   []string
	pids   []string
	crowds []domain.Location
}

func (w *world) append(stream string, e domain.Event) {
	w.last = appendEvent(w.t, w.store, stream, e)
}

func (w *world) userEvent(id string, e domain.Event) {
	w.users[id] = append(w.users[id], e)
	w.append("user-"+id, e)
}

func (w *world) promoEvent(id string, e domain.Event) {
	w.promos[id] = append(w.promos[id], e)
	w.append("promo-"+id, e)
}

// Places where users and promos crowd: a metro area, the antimeridian, near
// the north pole, and a cell corner of S2 (face 4's centre).
var crowds = []domain.Location{
	{Lat: 19.4326, Lng: -99.1332},
	{Lat: -16.5, Lng: 179.995},
	{Lat: 89.97, Lng: 10},
	{Lat: 0, Lng: 180},
}

// near is a point at most spreadM from one of the crowds.
func (w *world) near(spreadM float64) domain.Location {
	c := w.crowds[w.r.IntN(len(w.crowds))]
	return w.toward(c, w.r.Float64()*spreadM)
}

// toward is a point about distM from c in a random direction.
func (w *world) toward(c domain.Location, distM float64) domain.Location {
	a := s2.PointFromLatLng(s2.LatLngFromDegrees(c.Lat, c.Lng))
	b := s2.PointFromLatLng(s2.LatLngFromDegrees(w.r.Float64()*180-90, w.r.Float64()*360-180))
	ll := s2.LatLngFromPoint(s2.InterpolateAtDistance(s1.Angle(distM/6371008.8), a, b))
	return domain.Location{Lat: ll.Lat.Degrees(), Lng: ll.Lng.Degrees()}
}

// somewhere is where a user goes: often right on the edge of a promo's
// circle (the exact check must decide there), else near a crowd.
func (w *world) somewhere() domain.Location {
	if len(w.pids) > 0 && w.r.IntN(3) == 0 {
		spec := domain.LoadPromo(w.promos[w.pids[w.r.IntN(len(w.pids))]]).Spec()
		edge := spec.RadiusM * (1 + (w.r.Float64()*2-1)*1e-9)
		if w.r.IntN(4) == 0 {
			edge = spec.RadiusM * w.r.Float64() * 1.3
		}
		return w.toward(spec.Store.Location, edge)
	}
	return w.near(60_000 / float64(len(w.crowds)))
}

var radii = []float64{1, 150, 2000, 2000, 2000, 9000, 50000}

var segmentSets = [][]domain.Segment{
	{domain.SegmentNewUsers}, {domain.SegmentFrequentBuyers},
	{domain.SegmentNewUsers, domain.SegmentFrequentBuyers},
}

func (w *world) createPromo(now time.Time) {
	id := fmt.Sprintf("p%d", len(w.pids))
	start := now.Add(time.Duration(w.r.IntN(6)-3) * time.Hour)
	w.pids = append(w.pids, id)
	w.promoEvent(id, domain.PromoCreated{
		PromoID: id, Store: domain.Store{ID: "s" + id, Name: "Store " + id, Location: w.near(40_000)},
		Product:      domain.Product{ID: "x", Name: "X"},
		RegularPrice: domain.Money{Amount: 1000, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 500, Currency: "MXN"},
		Segments: segmentSets[w.r.IntN(len(segmentSets))], RadiusM: radii[w.r.IntN(len(radii))],
		StartsAt: start, EndsAt: start.Add(time.Duration(1+w.r.IntN(6)) * time.Hour), Stock: 10,
	})
}

func (w *world) registerUser(now time.Time) {
	id := fmt.Sprintf("u%d", len(w.uids))
	w.uids = append(w.uids, id)
	w.userEvent(id, domain.UserRegistered{UserID: id, RegisteredAt: now.Add(-time.Duration(w.r.IntN(60*24)) * time.Hour)})
	if w.r.IntN(10) != 0 { // some users never say where they are
		w.userEvent(id, domain.UserLocationUpdated{UserID: id, Location: w.somewhere()})
	}
}

// change is one random event of the log after the start.
func (w *world) change(now time.Time) {
	switch k := w.r.IntN(20); {
	case k < 10:
		id := w.uids[w.r.IntN(len(w.uids))]
		w.userEvent(id, domain.UserLocationUpdated{UserID: id, Location: w.somewhere()})
	case k < 13:
		id := w.uids[w.r.IntN(len(w.uids))]
		w.userEvent(id, domain.UserPurchaseRecorded{UserID: id, PurchaseID: fmt.Sprintf("b%d", w.r.Int()),
			PurchasedAt: now.Add(-time.Duration(w.r.IntN(40*24)) * time.Hour)})
	case k < 14:
		id := w.uids[w.r.IntN(len(w.uids))]
		w.userEvent(id, domain.UserRegistered{UserID: id, RegisteredAt: now.Add(-time.Duration(w.r.IntN(60*24)) * time.Hour)})
	case k < 16:
		w.registerUser(now)
	case k < 18:
		w.createPromo(now)
	case k < 19:
		id := w.pids[w.r.IntN(len(w.pids))]
		w.promoEvent(id, domain.PromoCancelled{PromoID: id})
	default:
		id := w.pids[w.r.IntN(len(w.pids))]
		w.promoEvent(id, domain.PromoEnded{PromoID: id})
	}
}

// bruteVisible is the scan the index replaces: every promo, app.Sees.
func bruteVisible(promos []*domain.Promo, u app.UserView, at *domain.Location, now time.Time) []app.VisiblePromo {
	vs := []app.VisiblePromo{}
	for _, p := range promos {
		id := p.ID()
		if p.Status(now) != domain.PromoStatusActive {
			continue
		}
		spec := p.Spec()
		if d, ok := app.Sees(u, spec, at); ok {
			vs = append(vs, app.VisiblePromo{ID: id, Spec: &spec, Available: p.Stock(now).Available, DistanceM: d})
		}
	}
	slices.SortFunc(vs, func(a, b app.VisiblePromo) int {
		return cmp.Or(cmp.Compare(a.DistanceM, b.DistanceM), cmp.Compare(a.ID, b.ID))
	})
	return vs
}

func bruteEligible(users []app.UserView, spec domain.PromoSpec) []string {
	var ids []string
	for _, u := range users {
		if _, ok := app.Sees(u, spec, nil); ok {
			ids = append(ids, u.ID)
		}
	}
	return ids
}

// TestGeoIndexAnswersAsTheScan moves users and creates, cancels and ends
// promos at random, and compares every answer of the read model with the
// brute-force scan over the log's truth.
func TestGeoIndexAnswersAsTheScan(t *testing.T) {
	users, rounds, changes := 1500, 4, 1500
	if testing.Short() {
		users, rounds, changes = 300, 2, 300
	}
	for _, c := range []struct {
		seed   uint64
		crowds []domain.Location
	}{
		{1, crowds}, {2, crowds},
		{3, crowds[:1]}, // one city: a circle of 50 km holds most users
	} {
		t.Run(fmt.Sprint("seed", c.seed), func(t *testing.T) {
			s := memory.New()
			rm := start(t, s)
			w := &world{t: t, r: rand.New(rand.NewPCG(c.seed, 7)), store: s, crowds: c.crowds,
				users: map[string][]domain.Event{}, promos: map[string][]domain.Event{}}
			at := now
			for range users / 10 {
				w.createPromo(at)
			}
			for range users {
				w.registerUser(at)
			}
			for round := range rounds {
				if round > 0 {
					at = at.Add(time.Duration(w.r.IntN(90)) * time.Minute)
					for range changes {
						w.change(at)
					}
				}
				if err := rm.WaitFor(context.Background(), w.last); err != nil {
					t.Fatal(err)
				}
				w.check(rm, at)
			}
		})
	}
}

func (w *world) check(rm app.ReadModel, now time.Time) {
	t := w.t
	t.Helper()
	seen, eligible := 0, 0
	promos := make([]*domain.Promo, len(w.pids))
	for i, id := range w.pids {
		promos[i] = domain.LoadPromo(w.promos[id])
	}
	users := make([]app.UserView, len(w.uids))
	for i, id := range w.uids {
		want := app.NewUserView(domain.LoadUser(w.users[id]), now, domain.DefaultSegmentRules())
		users[i] = want
		got, ok := rm.User(id, now)
		if !ok || !reflect.DeepEqual(got, want) {
			t.Fatalf("user %s: %+v %v, want %+v", id, got, ok, want)
		}
		var at *domain.Location
		if w.r.IntN(5) == 0 {
			l := w.somewhere()
			at = &l
		}
		vs, ok := rm.VisiblePromos(id, at, now)
		for i := range vs { // each with its promo's fixed part, which the scan has not
			if string(vs[i].Fixed) != "fixed "+vs[i].ID {
				t.Fatalf("visible promo %s of %s has the fixed part %q", vs[i].ID, id, vs[i].Fixed)
			}
			vs[i].Fixed = nil
		}
		if wantVs := bruteVisible(promos, want, at, now); !ok || !reflect.DeepEqual(vs, wantVs) {
			t.Fatalf("visible promos of %s from %v at %v:\n got %+v\nwant %+v", id, at, now, vs, wantVs)
		}
		seen += len(vs)
	}
	for _, p := range promos {
		id, spec := p.ID(), p.Spec()
		got, want := rm.Eligible(id, spec, now), bruteEligible(users, spec)
		if !slices.Equal(got, want) { // both in order of registration
			t.Fatalf("eligible for %s (%v, %v m, %v):\n got %d %v\nwant %d %v", id, spec.Store.Location, spec.RadiusM, spec.Segments, len(got), got, len(want), want)
		}
		eligible += len(got)
	}
	if _, ok := rm.VisiblePromos("nobody", nil, now); ok {
		t.Fatal("an unknown user has visible promos")
	}
	t.Logf("at %v: %d users, %d promos; %d visible promos, %d eligible users", now.Format(time.TimeOnly), len(w.uids), len(w.pids), seen, eligible)
	if seen == 0 || eligible == 0 {
		t.Fatal("the case proves nothing: no one sees anything")
	}
}
