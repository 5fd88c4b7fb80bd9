package outbox_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestRelayStopsOnceItsLockConnectionDies: relay A holds the lock and is
// publishing its second page when its lock connection is killed
// (pg_terminate_backend); relay B, another instance, waits for the lock.
// A's publishes in flight complete, as they would at a crash; A must then
// begin no more than one publish a topic (one whose lease check came
// before the kill), and B takes over from the checkpoint. So each relay
// publishes each id at most once, and the ids on a topic twice are those
// of the pages A had in flight. Unfenced, A went on with every later page.
func TestRelayStopsOnceItsLockConnectionDies(t *testing.T) {
	const pages, page = 6, 500
	sizing := outbox.Sizing{ReadEvents: page, PageBytes: 1 << 30, InFlight: 2} // a page a read
	dbURL := pgtest.Schema(t)
	a, b := connectStore(t, dbURL), connectStore(t, dbURL) // two instances
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	appendNotifications(t, ctx, a, pages*page)

	rec := &recorder{byRelay: map[string]map[string][]string{}}
	pubA := &gatedPublisher{rec: rec, relay: "A", gateAt: 2, inFlight: make(chan struct{}), proceed: make(chan struct{})}
	pubB := &gatedPublisher{rec: rec, relay: "B"}
	leases := make(chan *postgres.Lease, 2)
	run := func(s *postgres.Store, pub message.Publisher) chan error {
		done := make(chan error, 1)
		r := outbox.NewRelay(s, pub, slog.New(slog.NewTextHandler(io.Discard, nil))).WithSizing(sizing)
		go func() {
			done <- s.Exclusive(ctx, outbox.Checkpoint, func(ctx context.Context, l *postgres.Lease) error {
				leases <- l
				return r.RunLeased(ctx, l)
			})
		}()
		return done
	}
	doneA := run(a, pubA)
	leaseA := <-leases
	doneB := run(b, pubB) // waits for the lock

	<-pubA.inFlight // A is publishing its second page
	terminate(t, ctx, dbURL, leaseA.PID())
	pubA.killed.Store(true)
	leaseB := <-leases // B has the lock: A's session is gone
	close(pubA.proceed)
	if leaseB.Epoch() != leaseA.Epoch()+1 {
		t.Errorf("B took epoch %d after A's %d", leaseB.Epoch(), leaseA.Epoch())
	}
	waitFor(t, func() bool { return rec.distinct(outbox.NotificationsTopic) == pages*page })
	head, err := b.Head(ctx)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool { c, err := b.Checkpoint(ctx, outbox.Checkpoint); return err == nil && c == head })
	cancel()
	if err := <-doneA; !errors.Is(err, postgres.ErrLeaseLost) {
		t.Errorf("relay A ended with %v, want a lost lease", err)
	}
	<-doneB

	if late := pubA.late.Load(); late > 2 {
		t.Errorf("relay A began %d publishes after its lock connection died, want at most one a topic", late)
	}
	for _, topic := range []string{outbox.EventsTopic, outbox.NotificationsTopic} {
		if n := rec.distinct(topic); n != pages*page {
			t.Errorf("%s: %d distinct ids, want %d", topic, n, pages*page)
		}
		both, twice := rec.duplicates(topic)
		if twice > 0 {
			t.Errorf("%s: %d ids published twice by the same relay", topic, twice)
		}
		// The pages A had in flight: at most the page being published, the
		// ones read ahead, and the one a late publish began.
		if max := (sizing.InFlight + 2) * page; both > max {
			t.Errorf("%s: %d ids published by both relays, want at most %d (the pages in flight)", topic, both, max)
		}
		t.Logf("%s: %d ids, A published %d, B %d, both %d; A began %d publishes after the kill", topic, rec.distinct(topic),
			len(rec.ids("A", topic)), len(rec.ids("B", topic)), both, pubA.late.Load())
	}
}

// TestLeaseSaveCheckpointOnlyForTheHolder: a holder whose epoch was taken
// over saves no checkpoint; the new holder does.
func TestLeaseSaveCheckpointOnlyForTheHolder(t *testing.T) {
	dbURL := pgtest.Schema(t)
	a, b := connectStore(t, dbURL), connectStore(t, dbURL)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	took, release := make(chan *postgres.Lease), make(chan struct{})
	doneA := make(chan error, 1)
	go func() {
		doneA <- a.Exclusive(ctx, "job", func(ctx context.Context, l *postgres.Lease) error {
			took <- l
			<-release
			if err := l.Check(ctx); !errors.Is(err, postgres.ErrLeaseLost) {
				return fmt.Errorf("check after the takeover: %v", err)
			}
			return l.SaveCheckpoint(ctx, "job", eventstore.Cursor{Tx: 9, Position: 9})
		})
	}()
	leaseA := <-took
	if err := leaseA.SaveCheckpoint(ctx, "job", eventstore.Cursor{Tx: 1, Position: 1}); err != nil {
		t.Fatal(err)
	}
	terminate(t, ctx, dbURL, leaseA.PID())
	err := b.Exclusive(ctx, "job", func(ctx context.Context, l *postgres.Lease) error {
		close(release)
		if err := <-doneA; !errors.Is(err, postgres.ErrLeaseLost) {
			t.Errorf("the former holder's save: %v, want a lost lease", err)
		}
		return l.SaveCheckpoint(ctx, "job", eventstore.Cursor{Tx: 2, Position: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	if c, err := b.Checkpoint(ctx, "job"); err != nil || c != (eventstore.Cursor{Tx: 2, Position: 2}) {
		t.Errorf("checkpoint %v (%v), want the new holder's {2 2}", c, err)
	}
}

// terminate kills a backend, as a failover or an administrator would.
func terminate(t *testing.T, ctx context.Context, dbURL string, pid uint32) {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var done bool
	if err := conn.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int64(pid)).Scan(&done); err != nil || !done {
		t.Fatalf("terminate backend %d: %v, %v", pid, done, err)
	}
}

func connectStore(t *testing.T, dbURL string) *postgres.Store {
	t.Helper()
	pool, err := postgres.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return postgres.New(pool)
}

// appendNotifications appends n notifications in one transaction.
func appendNotifications(t testing.TB, ctx context.Context, s eventstore.Store, n int) {
	appends := make([]eventstore.Append, n)
	for i := range n {
		note := domain.NotificationSent{NotificationID: fmt.Sprintf("n%d", i), UserID: fmt.Sprintf("u%d", i), PromoID: "p1",
			Day: "2026-11-27", Title: "Flash Promo", Body: "499.00 MXN", SentAt: at}
		e, err := codec.EncodeWithID(note.NotificationID, note, at)
		if err != nil {
			t.Fatal(err)
		}
		appends[i] = eventstore.Append{StreamID: "notification-2026-11-27-" + note.UserID, Expected: eventstore.NoStream, Events: []eventstore.NewEvent{e}}
	}
	if _, err := s.Append(ctx, appends...); err != nil {
		t.Fatal(err)
	}
}

// recorder keeps the ids each relay published on each topic.
type recorder struct {
	mu      sync.Mutex
	byRelay map[string]map[string][]string // relay -> topic -> ids
}

func (r *recorder) add(relay, topic string, msgs []*message.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.byRelay[relay] == nil {
		r.byRelay[relay] = map[string][]string{}
	}
	for _, m := range msgs {
		r.byRelay[relay][topic] = append(r.byRelay[relay][topic], m.UUID)
	}
}

func (r *recorder) ids(relay, topic string) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.byRelay[relay][topic]
}

func (r *recorder) distinct(topic string) int {
	seen := map[string]bool{}
	for _, relay := range []string{"A", "B"} {
		for _, id := range r.ids(relay, topic) {
			seen[id] = true
		}
	}
	return len(seen)
}

// duplicates counts the ids both relays published and those one relay
// published more than once.
func (r *recorder) duplicates(topic string) (both, twice int) {
	count := func(relay string) map[string]int {
		n := map[string]int{}
		for _, id := range r.ids(relay, topic) {
			n[id]++
		}
		return n
	}
	a, b := count("A"), count("B")
	for _, n := range []map[string]int{a, b} {
		for _, k := range n {
			if k > 1 {
				twice++
			}
		}
	}
	for id := range a {
		if b[id] > 0 {
			both++
		}
	}
	return both, twice
}

// gatedPublisher records for one relay. Its gateAt-th publish of
// envelopes signals inFlight, and from then on every publish waits for
// proceed before it completes; late counts those begun once killed is set.
type gatedPublisher struct {
	rec      *recorder
	relay    string
	gateAt   int
	inFlight chan struct{}
	proceed  chan struct{}
	killed   atomic.Bool
	late     atomic.Int32

	mu      sync.Mutex
	calls   int
	tripped bool
}

func (p *gatedPublisher) Publish(topic string, msgs ...*message.Message) error {
	if p.killed.Load() {
		p.late.Add(1)
	}
	if p.gate(topic) {
		<-p.proceed
	}
	p.rec.add(p.relay, topic, msgs)
	return nil
}

// gate says whether this publish waits for proceed.
func (p *gatedPublisher) gate(topic string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if topic == outbox.EventsTopic && p.gateAt > 0 {
		p.calls++
		if p.calls == p.gateAt {
			p.tripped = true
			close(p.inFlight)
		}
	}
	return p.tripped
}

func (p *gatedPublisher) Close() error { return nil }
