package readmodel

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// A promo's eligible-user set holds exactly the users in its audience from
// its start, and lists the users a search of the geo index finds, at every
// moment from its start on, while users register, move and buy, and
// promos of shared audiences (same store, radius and segments, as a
// series' occurrences) are created in any order of their starts,
// activated, ended and cancelled.
func TestEligibleUserSetsListAsTheSearch(t *testing.T) {
	for seed := range uint64(4) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 7))
			users := NewUsers(domain.DefaultSegmentRules())
			day := 24 * time.Hour
			now := scaleNow
			stores := []domain.Location{metroPoint(r), metroPoint(r), metroCenter}
			var live []string
			activated := 0
			specs := map[string]domain.PromoSpec{}
			nUsers, fromSet := 0, 0
			for step := range 3000 {
				now = now.Add(time.Duration(r.IntN(120)) * time.Minute)
				switch k := r.IntN(20); {
				case k < 6 || nUsers == 0:
					id := scaleUserID(nUsers)
					nUsers++
					users.Apply(domain.UserRegistered{UserID: id, RegisteredAt: now.Add(-time.Duration(r.IntN(40)) * day)})
					if r.IntN(5) > 0 {
						users.Apply(domain.UserLocationUpdated{UserID: id, Location: metroPoint(r)})
					}
				case k < 11:
					users.Apply(domain.UserLocationUpdated{UserID: scaleUserID(r.IntN(nUsers)), Location: metroPoint(r)})
				case k < 15:
					users.Apply(domain.UserPurchaseRecorded{UserID: scaleUserID(r.IntN(nUsers)), PurchaseID: fmt.Sprint("b", step),
						PurchasedAt: now.Add(time.Duration(r.IntN(60*24)-40*24) * time.Hour)})
				case k < 18: // a promo of one of few audiences, starting before or after others of it
					id := fmt.Sprint("p", step)
					e := scalePromo(id, stores[r.IntN(len(stores))], []float64{3000, 60000}[r.IntN(2)], segmentSets[r.IntN(len(segmentSets))])
					e.StartsAt = now.Add(time.Duration(r.IntN(10*24)-2*24) * time.Hour)
					e.EndsAt = e.StartsAt.Add(2 * time.Hour)
					users.Apply(e)
					live = append(live, id)
					specs[id] = domain.LoadPromo([]domain.Event{e}).Spec()
				case k < 19: // activated: a minute of the log later, out of its audience
					if len(live) > 0 {
						id := live[r.IntN(len(live))]
						users.Apply(domain.PromoActivated{PromoID: id})
						activated++
						if r.IntN(3) == 0 {
							users.logTime(now)
							users.logTime(now.Add(listedFor + time.Second))
							live = slices.DeleteFunc(live, func(p string) bool { return !users.cand.has(p) })
							if users.cand.has(id) {
								t.Fatalf("step %d: %s keeps its set a minute after its activation", step, id)
							}
						}
					}
				default:
					if len(live) > 0 {
						i := r.IntN(len(live))
						if r.IntN(2) == 0 {
							users.Apply(domain.PromoEnded{PromoID: live[i]})
						} else {
							users.Apply(domain.PromoCancelled{PromoID: live[i]})
						}
						live = slices.Delete(live, i, i+1)
					}
				}
				if step%50 != 0 {
					continue
				}
				for _, a := range users.cand.audiences {
					if got, want := a.members.ToArray(), tight(users, a); !slices.Equal(got, want) {
						t.Fatalf("step %d: an audience of %d promos holds %d users, %d are in it from its start", step, len(a.promos), len(got), len(want))
					}
				}
				for _, id := range live {
					spec := specs[id]
					for _, at := range []time.Time{spec.StartsAt, spec.StartsAt.Add(time.Hour), now} {
						if _, ok := users.cand.members(id, at); !ok {
							continue // no set (before its start, or created too close to it): the search answers
						}
						fromSet++
						if got, want := users.eligible(id, spec, at), users.eligible("", spec, at); !slices.Equal(got, want) {
							t.Fatalf("step %d, %s at %v: the set lists %d users, the search %d", step, id, at, len(got), len(want))
						}
					}
				}
			}
			if fromSet < 100 || activated < 20 {
				t.Fatalf("only %d answers came from a set, %d promos activated: the case proves little", fromSet, activated)
			}
			t.Logf("%d users, %d answers from a set, %d promos activated, %d audiences live", nUsers, fromSet, activated, len(users.cand.audiences))
		})
	}
}

// tight lists the users an audience holds when kept exactly: those placed
// within its radius and in its segments from its earliest start on.
func tight(m *Users, a *audience) []uint32 {
	var out []uint32
	for i := range uint32(m.n) {
		u := m.at(i)
		if !u.placed() {
			continue
		}
		if _, ok := domain.Reaches(a.wanted, a.center, a.radiusM, m.rules.SetFrom(m.profile(u), a.from), u.loc); ok {
			out = append(out, i)
		}
	}
	return out
}

// A promo keeps its set a minute of the log's time after its activation,
// while its fan-out lists it.
func TestSetLivesAMinuteOfTheLogAfterActivation(t *testing.T) {
	users := NewUsers(domain.DefaultSegmentRules())
	loadScaleUsers(users, 2000, 3)
	users.Apply(scalePromo("p", metroCenter, 60000, segmentSets[2]))
	users.logTime(scaleNow)
	users.Apply(domain.PromoActivated{PromoID: "p"})
	for _, c := range []struct {
		after time.Duration
		kept  bool
	}{{0, true}, {listedFor, true}, {listedFor + time.Second, false}} {
		users.logTime(scaleNow.Add(c.after))
		if members, ok := users.cand.members("p", scaleNow); ok != c.kept || ok && len(members) == 0 {
			t.Fatalf("%v after the activation: %d members, set kept %v, want %v", c.after, len(members), ok, c.kept)
		}
	}
}

// logWorld is a read model following a memory store.
type logWorld struct {
	t     *testing.T
	ctx   context.Context
	store eventstore.Store
	rm    *ReadModel
}

// newLogWorld runs a read model on a fresh memory store, with a retention
// whose clock is now (nil: none).
func newLogWorld(t *testing.T, now func() time.Time) *logWorld {
	store := memory.New()
	rm := New(store, domain.DefaultSegmentRules(), slog.New(slog.DiscardHandler))
	if now != nil {
		rm.UseRetention(Retention{Notifications: 30 * 24 * time.Hour, Now: now})
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rm.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &logWorld{t, ctx, store, rm}
}

// put appends e to stream as happened at at, and waits for the models.
func (w *logWorld) put(stream string, e domain.Event, at time.Time) {
	ne, err := codec.Encode(e, at)
	if err != nil {
		w.t.Fatal(err)
	}
	c, err := w.store.Append(w.ctx, eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: []eventstore.NewEvent{ne}})
	if err != nil {
		w.t.Fatal(err)
	}
	if err := w.rm.WaitFor(w.ctx, c); err != nil {
		w.t.Fatal(err)
	}
}

// hasSet tells whether the promo has an eligible-user set.
func (w *logWorld) hasSet(promo string) bool {
	u := w.rm.users.current()
	u.mu.RLock()
	defer u.mu.RUnlock()
	return u.cand.has(promo)
}

// Through the log: the users model is fed a promo's activation, and the
// promo leaves its set once the log's time is a minute past it.
func TestActivationOnTheLogEndsTheSetAMinuteLater(t *testing.T) {
	w := newLogWorld(t, nil)
	w.put("user-u1", domain.UserRegistered{UserID: "u1", RegisteredAt: scaleNow}, scaleNow)
	w.put("user-u1", domain.UserLocationUpdated{UserID: "u1", Location: metroCenter}, scaleNow)
	e := scalePromo("p", metroCenter, 2000, segmentSets[0])
	e.StartsAt = scaleNow.Add(time.Hour) // created an hour ahead
	w.put("promo-p", e, scaleNow)
	if !w.hasSet("p") {
		t.Fatal("a promo created an hour ahead has no set")
	}
	start := e.StartsAt
	w.put("promo-p", domain.PromoActivated{PromoID: "p"}, start)
	if !w.hasSet("p") {
		t.Fatal("the promo has no set at its activation")
	}
	w.put("user-u2", domain.UserRegistered{UserID: "u2", RegisteredAt: scaleNow}, start.Add(listedFor/2))
	if !w.hasSet("p") {
		t.Fatal("the promo left its set half a minute after its activation")
	}
	w.put("user-u3", domain.UserRegistered{UserID: "u3", RegisteredAt: scaleNow}, start.Add(listedFor+time.Second))
	if w.hasSet("p") {
		t.Fatal("the promo keeps its set a minute after its activation on the log")
	}
}

// On a quiet log, the service's prune brings the clock's time: a promo
// leaves its set a minute after its activation though nothing else came.
func TestPruneEndsTheSetOnAQuietLog(t *testing.T) {
	clock := scaleNow.Add(-time.Hour) // the promo is created now, to start in an hour
	w := newLogWorld(t, func() time.Time { return clock })
	e := scalePromo("p", metroCenter, 2000, segmentSets[0])
	e.StartsAt = scaleNow
	w.put("promo-p", e, scaleNow.Add(-time.Hour)) // an hour ahead
	w.put("promo-p", domain.PromoActivated{PromoID: "p"}, scaleNow)
	for _, c := range []struct {
		after time.Duration
		kept  bool
	}{{time.Second, true}, {listedFor + time.Second, false}} {
		clock = scaleNow.Add(c.after)
		w.rm.Prune()
		if w.hasSet("p") != c.kept {
			t.Fatalf("a prune %v after the activation, nothing else on the log: set kept %v, want %v", c.after, !c.kept, c.kept)
		}
	}
}

// Promos of one audience are created and started while the prune's clock
// takes started ones out of it from another goroutine: every set that is
// listed was searched (never a set left without members).
func TestSchedulingWhileThePruneTakesPromosOut(t *testing.T) {
	users := NewUsers(domain.DefaultSegmentRules())
	loadScaleUsers(users, 3000, 7)
	stop := make(chan struct{})
	var clock sync.WaitGroup
	clock.Go(func() {
		for k := 0; ; k++ {
			select {
			case <-stop:
				return
			default:
				users.logTime(scaleNow.Add(time.Duration(k) * time.Second))
			}
		}
	})
	for i := range 2000 {
		id := fmt.Sprint("p", i)
		e := scalePromo(id, metroCenter, 30000, segmentSets[i%2])
		e.StartsAt = scaleNow.Add(time.Duration(i%7) * time.Minute)
		users.Apply(e)
		users.Apply(domain.PromoActivated{PromoID: id})
		users.mu.RLock()
		for _, a := range users.cand.audiences {
			if a.members == nil {
				users.mu.RUnlock()
				t.Fatalf("after %s, an audience of %d promos has no set", id, len(a.promos))
			}
		}
		users.mu.RUnlock()
	}
	close(stop)
	clock.Wait()
}

// A promo created to start within a minute gets no set: its fan-out would
// search as soon as a set would have been searched.
func TestNoSetForAPromoStartingAtOnce(t *testing.T) {
	w := newLogWorld(t, nil)
	w.put("user-u1", domain.UserRegistered{UserID: "u1", RegisteredAt: scaleNow}, scaleNow)
	for _, c := range []struct {
		id    string
		start time.Duration
		set   bool
	}{{"past", -time.Hour, false}, {"now", 0, false}, {"in-a-minute", listedFor, false}, {"in-two", 2 * listedFor, true}} {
		e := scalePromo(c.id, metroCenter, 2000, segmentSets[0])
		e.StartsAt = scaleNow.Add(c.start)
		w.put("promo-"+c.id, e, scaleNow)
		if w.hasSet(c.id) != c.set {
			t.Errorf("a promo starting %v after its creation: set %v, want %v", c.start, !c.set, c.set)
		}
	}
}

// A replay searches no set for a promo that started before the clock's
// now, however far ahead of its start the log created it; one that starts
// after now gets its set.
func TestReplaySearchesNoSetForThePast(t *testing.T) {
	w := newLogWorld(t, func() time.Time { return scaleNow.Add(24 * time.Hour) })
	for _, c := range []struct {
		id    string
		start time.Duration // after scaleNow; created at scaleNow
		set   bool
	}{{"yesterday", time.Hour, false}, {"tomorrow", 48 * time.Hour, true}} {
		e := scalePromo(c.id, metroCenter, 2000, segmentSets[0])
		e.StartsAt = scaleNow.Add(c.start)
		w.put("promo-"+c.id, e, scaleNow)
		if w.hasSet(c.id) != c.set {
			t.Errorf("%s, created on the log a while ahead: set %v, want %v", c.id, !c.set, c.set)
		}
	}
}
