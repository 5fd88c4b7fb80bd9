package readmodel

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// stepClock is a clock the test moves.
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *stepClock) set(t time.Time) { c.mu.Lock(); c.now = t; c.mu.Unlock() }

// sizes counts the entries the models hold for what the retention bounds.
type sizes struct {
	notices, noticeUsers, words, sends, promos, promoHolds, reservations int
}

// notifiedUsers counts the users with a notice kept; the caller holds the lock.
func notifiedUsers(n *Notifications) int {
	k := 0
	for _, last := range n.last {
		if last >= 0 {
			k++
		}
	}
	return k
}

func sizesOf(rm *ReadModel) sizes {
	n, p := rm.notifications.current(), rm.promos.current()
	n.mu.RLock()
	defer n.mu.RUnlock()
	p.mu.RLock()
	defer p.mu.RUnlock()
	holds := 0
	for _, r := range p.promos {
		holds += len(r.holds)
	}
	return sizes{n.len(), notifiedUsers(n), len(n.msgs), len(n.sends), len(p.promos), holds, len(p.reservations)}
}

const (
	retentionUsers = 200
	retentionDays  = 20
)

var retentionDay0 = time.Date(2026, 1, 1, 17, 0, 0, 0, time.UTC)

// One promo a day notifies every user: with the retention the models hold
// as much on the last day as some days in, however many days pass; a start
// that replays the whole log holds the same; and neither the promo's
// count nor today's once-a-day check is lost.
func TestRetentionKeepsTheModelsFlat(t *testing.T) {
	clock := &stepClock{now: retentionDay0}
	store := memory.New()
	rm, stop := startRetained(t, store, clock)
	defer stop()
	for u := range retentionUsers {
		appendAt(t, store, clock.Now(), fmt.Sprintf("user-u%d", u), domain.UserRegistered{UserID: fmt.Sprintf("u%d", u), RegisteredAt: clock.Now()})
	}
	var seen []sizes
	for d := range retentionDays {
		dailyPromo(t, store, clock, d)
		if err := rm.CatchUp(context.Background()); err != nil {
			t.Fatal(err)
		}
		rm.Prune()
		seen = append(seen, sizesOf(rm))
	}
	settled, last := seen[7], seen[retentionDays-1]
	if last != settled || last.notices == 0 || last.promos == 0 {
		t.Fatalf("sizes on day 7 %+v, on day %d %+v: want the same, not empty", settled, retentionDays-1, last)
	}
	if want := 3 * retentionUsers; last.notices != want { // the 72 hours hold today's fan-out and the two before
		t.Errorf("notices kept %d, want %d", last.notices, want)
	}
	if last.promos != 1 { // today's: yesterday's ended 25 hours ago
		t.Errorf("promos kept %d, want 1", last.promos)
	}
	if got := rm.NotificationsSent("p0"); got != retentionUsers {
		t.Errorf("the first promo's count %d, want %d: a count is of every notification", got, retentionUsers)
	}
	today := clock.Now().Format(time.DateOnly)
	if got := rm.Unnotified([]string{"u0", "u1"}, today); len(got) != 0 {
		t.Errorf("users notified today look unnotified: %v", got)
	}
	if got := rm.notifications.current().of("u0"); len(got) != 3 {
		t.Errorf("u0 keeps %d notifications, want 3", len(got))
	}

	again, stopAgain := startRetained(t, store, clock) // a start replays the whole log
	defer stopAgain()
	if err := again.CatchUp(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := sizesOf(again); got.notices != last.notices || got.promos != last.promos || got.reservations != last.reservations {
		t.Errorf("replayed with the retention: %+v, want as live %+v", got, last)
	}

	restored := NewNotifications() // a snapshot holds what the model holds
	if err := decode(restored, encode(t, rm.notifications.current())); err != nil {
		t.Fatal(err)
	}
	if restored.len() != last.notices || notifiedUsers(restored) != last.noticeUsers {
		t.Errorf("snapshot of the pruned model: %d notices of %d users, want %d of %d",
			restored.len(), notifiedUsers(restored), last.notices, last.noticeUsers)
	}
}

func startRetained(t *testing.T, store eventstore.Store, clock *stepClock) (*ReadModel, func()) {
	t.Helper()
	rm := New(store, domain.DefaultSegmentRules(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	rm.UseRetention(Retention{Notifications: 72 * time.Hour, EndedPromos: 24 * time.Hour, Now: clock.Now})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rm.Run(ctx) }()
	return rm, func() { cancel(); <-done }
}

// dailyPromo is day d: a promo from 17:00 to 19:00 with a few purchases,
// and every user notified at its activation. The clock ends at 20:00.
func dailyPromo(t *testing.T, store eventstore.Store, clock *stepClock, d int) {
	t.Helper()
	at := retentionDay0.AddDate(0, 0, d)
	clock.set(at)
	pid, stream := fmt.Sprintf("p%d", d), fmt.Sprintf("promo-p%d", d)
	created := scalePromo(pid, domain.Location{Lat: 19.43, Lng: -99.13}, 2000, segmentSets[0])
	created.StartsAt, created.EndsAt = at, at.Add(2*time.Hour)
	appendAt(t, store, at, stream, created)
	appendAt(t, store, at, stream, domain.PromoActivated{PromoID: pid})
	for k := range 5 {
		rid := fmt.Sprintf("%s-r%d", pid, k)
		appendAt(t, store, at, stream, domain.ReservationPlaced{ReservationID: rid, PromoID: pid, UserID: fmt.Sprintf("u%d", k), ExpiresAt: at.Add(time.Minute)})
		appendAt(t, store, at, stream, domain.PurchaseCompleted{ReservationID: rid, PromoID: pid, UserID: fmt.Sprintf("u%d", k)})
	}
	for u := range retentionUsers {
		user := fmt.Sprintf("u%d", u)
		appendAt(t, store, at, "notification-"+at.Format(time.DateOnly)+"-"+user, domain.NotificationSent{
			NotificationID: uuid.NewString(), UserID: user, PromoID: pid, Day: at.Format(time.DateOnly),
			Title: "Flash Promo " + pid, Body: "b", SentAt: at})
	}
	clock.set(at.Add(3 * time.Hour))
	appendAt(t, store, clock.Now(), stream, domain.PromoEnded{PromoID: pid})
}

func appendAt(t *testing.T, s eventstore.Store, at time.Time, stream string, e domain.Event) {
	t.Helper()
	ne, err := codec.Encode(e, at)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Append(context.Background(), eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: []eventstore.NewEvent{ne}}); err != nil {
		t.Fatal(err)
	}
}

// A prune waits until the oldest notice is pruneSlack past the retention:
// the service prunes every minute, and each prune that drops anything
// copies every notice kept.
func TestPruneWaitsForAnHoursWorth(t *testing.T) {
	m := NewNotifications()
	sent := retentionDay0
	for u := range 3 {
		m.Apply(domain.NotificationSent{NotificationID: uuid.NewString(), UserID: fmt.Sprintf("u%d", u), PromoID: "p",
			Day: sent.Format(time.DateOnly), Title: "t", Body: "b", SentAt: sent})
	}
	if n := m.prune(sent.Add(pruneSlack / 2).UnixNano()); n != 0 {
		t.Fatalf("a prune half the slack past the oldest notice dropped %d, want 0", n)
	}
	if n := m.prune(sent.Add(pruneSlack + time.Minute).UnixNano()); n != 3 {
		t.Fatalf("a prune past the slack dropped %d, want 3", n)
	}
}
