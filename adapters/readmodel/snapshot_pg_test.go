package readmodel_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/adapters/readmodel"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// firstRead remembers the cursor a read model's reader starts from.
type firstRead struct {
	*postgres.Store
	once  sync.Once
	first eventstore.Cursor
}

func (f *firstRead) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	f.once.Do(func() { f.first = after })
	return f.Store.ReadSince(ctx, after, limit)
}

// runUntilCaughtUp starts a read model on store, with snapshots in pg when
// withSnapshots, and waits until it has the log up to last (CatchUp would
// not do: another session's open transaction may hold the log's readable
// head back). stop ends its Run
// (which saves the snapshots on the way out) and waits for it.
func runUntilCaughtUp(t *testing.T, store eventstore.Store, pg *postgres.Store, withSnapshots bool, last eventstore.Cursor) (rm *readmodel.ReadModel, stop func()) {
	t.Helper()
	rm = readmodel.New(store, domain.DefaultSegmentRules(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	rm.EncodeFixed(fixedOf) // kept by the promos restored too
	if withSnapshots {
		rm.UseSnapshots(pg, readmodel.SnapshotPolicy{Interval: time.Hour, Events: 1 << 30}) // saves only on the way out
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rm.Run(ctx) }()
	stopped := false
	stop = func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	wait, cancelWait := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancelWait()
	if err := rm.WaitFor(wait, last); err != nil {
		t.Fatal(err)
	}
	return rm, stop
}

func notifyUsers(w *world, n int, day string) {
	for i := range n {
		u := w.uids[w.r.IntN(len(w.uids))]
		id := uuid.NewString()
		if i%50 == 0 {
			id = fmt.Sprintf("legacy-%d", w.r.Int())
		}
		pid := w.pids[w.r.IntN(len(w.pids))]
		w.append("notification-"+day+"-"+u, domain.NotificationSent{NotificationID: id, UserID: u, PromoID: pid, Day: day,
			Title: "t " + pid, Body: "b", SentAt: now.Add(time.Duration(w.r.IntN(1e6)) * time.Microsecond)})
	}
}

// sameAnswers checks that a read model started from snapshots answers as
// one that replayed the whole log, and as the log says.
func sameAnswers(t *testing.T, w *world, got, replayed *readmodel.ReadModel) {
	t.Helper()
	w.check(got, now)
	for _, u := range append(w.uids, "nobody") {
		n1, ok1 := got.Notifications(u)
		n2, ok2 := replayed.Notifications(u)
		if ok1 != ok2 || !reflect.DeepEqual(n1, n2) {
			t.Fatalf("notifications of %s:\n got %+v\nwant %+v", u, n1, n2)
		}
		if a, b := got.Unnotified([]string{u}, "2026-11-28"), replayed.Unnotified([]string{u}, "2026-11-28"); !reflect.DeepEqual(a, b) {
			t.Fatalf("unnotified %s: %v, want %v", u, a, b)
		}
	}
	for _, p := range w.pids {
		v1, ok1 := got.Promo(p, now)
		v2, ok2 := replayed.Promo(p, now)
		if ok1 != ok2 || !reflect.DeepEqual(v1, v2) {
			t.Fatalf("promo %s:\n got %+v\nwant %+v", p, v1, v2)
		}
	}
}

// A start from snapshots reads only the log after them, and answers as a
// full replay; snapshots that are corrupt, or of another format, are passed
// over for a full replay with the same answers.
func TestStartFromSnapshots(t *testing.T) {
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, pgtest.Schema(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	pg := postgres.New(pool)
	w := &world{t: t, r: rand.New(rand.NewPCG(11, 7)), store: pg, crowds: crowds[:1],
		users: map[string][]domain.Event{}, promos: map[string][]domain.Event{}}
	for range 30 {
		w.createPromo(now)
	}
	for range 300 {
		w.registerUser(now)
	}
	notifyUsers(w, 400, "2026-11-27")
	w.promoEvent(w.pids[0], domain.ReservationPlaced{ReservationID: "r1", PromoID: w.pids[0], UserID: w.uids[0], ExpiresAt: now.Add(time.Minute)})

	// A first run folds the log and saves its snapshots as it stops.
	_, stop := runUntilCaughtUp(t, pg, pg, true, w.last)
	stop()
	saved := w.last
	for _, name := range []string{"promos", "users", "notifications"} {
		found, err := pg.LoadSnapshot(ctx, name, func(format int, at eventstore.Cursor, r io.Reader) error {
			if at != saved {
				t.Errorf("snapshot %s at %v, want %v (the log's last event)", name, at, saved)
			}
			_, err := io.Copy(io.Discard, r)
			return err
		})
		if err != nil || !found {
			t.Fatalf("snapshot %s: found %v, %v", name, found, err)
		}
	}

	// More events after the snapshots.
	for range 300 {
		w.change(now)
	}
	notifyUsers(w, 200, "2026-11-28")
	w.promoEvent(w.pids[0], domain.ReservationReleased{ReservationID: "r1", PromoID: w.pids[0], UserID: w.uids[0]})

	replayed, _ := runUntilCaughtUp(t, pg, pg, false, w.last)
	from := &firstRead{Store: pg}
	restored, stopRestored := runUntilCaughtUp(t, from, pg, true, w.last)
	if from.first != saved {
		t.Fatalf("the reader started at %v, want the snapshots' cursor %v", from.first, saved)
	}
	sameAnswers(t, w, restored, replayed)
	stopRestored() // saves again, at the new end of the log

	// Spoil one snapshot at a time: the notifications' bytes, then the
	// users' format. Each time the models start from the log's start.
	for _, spoil := range []string{
		`UPDATE snapshot_parts SET data = overlay(data placing '\xdeadbeef'::bytea from 200) WHERE name = 'notifications'`,
		`UPDATE snapshots SET format = format + 1 WHERE name = 'users'`,
	} {
		_, stop := runUntilCaughtUp(t, pg, pg, true, w.last)
		stop() // fresh snapshots, all three usable
		if _, err := pool.Exec(ctx, spoil); err != nil {
			t.Fatal(err)
		}
		notifyUsers(w, 50, "2026-11-28")
		from := &firstRead{Store: pg}
		fallback, _ := runUntilCaughtUp(t, from, pg, true, w.last)
		if from.first != (eventstore.Cursor{}) {
			t.Fatalf("after %s the reader started at %v, want the start of the log", spoil, from.first)
		}
		replayed, _ := runUntilCaughtUp(t, pg, pg, false, w.last)
		sameAnswers(t, w, fallback, replayed)
	}
}
