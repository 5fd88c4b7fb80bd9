package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// The group commit of promo commands, on a fake repository that holds one
// promo's stream and can hold, fail or race an append, and a read model
// that finds everyone but "stranger" eligible.

var queueNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type stillClock struct{}

func (stillClock) Now() time.Time { return queueNow }

var shop = domain.Location{Lat: -23.5614, Lng: -46.6559}

type fakeRepo struct {
	mu      sync.Mutex
	history []domain.Event // the promo's stream
	saves   [][]domain.Event
	loads   int

	// beforeSave runs before the n-th Save (from 0) checks its version;
	// an error fails that Save.
	beforeSave func(n int) error
	calls      atomic.Int64
}

func newFakeRepo(t *testing.T, stock int) *fakeRepo {
	t.Helper()
	p, err := domain.CreatePromo("p", domain.PromoSpec{
		Store:        domain.Store{ID: "s", Name: "Loja", Location: shop},
		Product:      domain.Product{ID: "x", Name: "Café"},
		RegularPrice: domain.Money{Amount: 1000, Currency: "BRL"},
		PromoPrice:   domain.Money{Amount: 500, Currency: "BRL"},
		Segments:     []domain.Segment{domain.SegmentNewUsers},
		RadiusM:      2000,
		StartsAt:     queueNow.Add(-time.Minute),
		EndsAt:       queueNow.Add(time.Hour),
		Stock:        stock,
	}, queueNow)
	if err != nil {
		t.Fatal(err)
	}
	return &fakeRepo{history: p.Changes()}
}

func (r *fakeRepo) LoadPromo(_ context.Context, id string) (*domain.Promo, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.loads++
	if id != "p" {
		return nil, ErrNotFound
	}
	return domain.LoadPromo(append([]domain.Event(nil), r.history...)), nil
}

func (r *fakeRepo) LoadUser(context.Context, string) (*domain.User, error) { return nil, ErrNotFound }

func (r *fakeRepo) LoadListing(_ context.Context, id string) (*domain.Listing, error) {
	return domain.LoadListing(id, nil), nil
}

func (r *fakeRepo) LoadSeries(context.Context, string) (*domain.PromoSeries, error) {
	return nil, ErrNotFound
}

func (r *fakeRepo) Save(_ context.Context, aggregates ...Aggregate) (Written, error) {
	n := int(r.calls.Add(1) - 1)
	if r.beforeSave != nil {
		if err := r.beforeSave(n); err != nil {
			return nil, err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var saved []domain.Event
	for _, a := range aggregates {
		if _, ok := a.(*domain.Promo); !ok {
			return nil, fmt.Errorf("fake repository saves promos only, not %T", a)
		}
		if a.Version() != int64(len(r.history)) {
			return nil, fmt.Errorf("%w: at %d, expected %d", ErrConcurrent, len(r.history), a.Version())
		}
		saved = append(saved, a.Changes()...)
	}
	r.history = append(r.history, saved...)
	r.saves = append(r.saves, saved)
	for _, a := range aggregates {
		a.Commit()
	}
	return len(r.history), nil // where the fake log is: opaque to app
}

func (r *fakeRepo) Notify(context.Context, []domain.NotificationSent) ([]domain.NotificationSent, error) {
	return nil, nil
}

func (r *fakeRepo) saved() [][]domain.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]domain.Event(nil), r.saves...)
}

// fakeRead is the read model as far as promo commands need it.
type fakeRead struct {
	promoReads // unused methods panic
	waits      atomic.Int64
}

func (*fakeRead) User(id string, _ time.Time) (UserView, bool) {
	if id == "stranger" {
		return UserView{ID: id, Location: &shop}, true // in no segment
	}
	return UserView{ID: id, Location: &shop, Segments: []domain.Segment{domain.SegmentNewUsers}}, true
}

func (r *fakeRead) WaitFor(context.Context, Written) error {
	r.waits.Add(1)
	return nil
}

func (*fakeRead) NotificationsSent(string) int { return 0 }

type queueHarness struct {
	t    *testing.T
	app  *promoDesk
	repo *fakeRepo
	read *fakeRead
	ids  atomic.Int64
}

func newQueueHarness(t *testing.T, stock int) *queueHarness {
	h := &queueHarness{t: t, repo: newFakeRepo(t, stock), read: &fakeRead{}}
	ids := func() string { return fmt.Sprintf("r%d", h.ids.Add(1)) }
	h.app = &promoDesk{cfg: Config{HoldTTL: time.Minute, Zone: time.UTC, Rules: domain.DefaultSegmentRules()},
		clock: stillClock{}, ids: ids, repo: h.repo, read: h.read, locks: newLocks()}
	h.app.promos = newPromoQueues(h.app.runBatch)
	t.Cleanup(func() {
		eventually(t, "the promo's queue is dropped", func() bool { _, busy := h.app.promos.queued("p"); return !busy })
	})
	return h
}

type reply struct {
	Reserved
	err error
}

// holdFirstSave makes the first append wait until the returned release is
// called, and reserves for first: the commands queued meanwhile form the
// next batch, in the order they are queued.
func (h *queueHarness) holdFirstSave(first string, then func(n int) error) (<-chan reply, func()) {
	entered, release := make(chan struct{}), make(chan struct{})
	h.repo.beforeSave = func(n int) error {
		if n == 0 {
			close(entered)
			<-release
			return nil
		}
		if then != nil {
			return then(n)
		}
		return nil
	}
	r := make(chan reply, 1)
	go func() { r <- h.reserveNow(first) }()
	<-entered
	return r, sync.OnceFunc(func() { close(release) })
}

// reserve queues a reservation and returns its answer to come.
func (h *queueHarness) reserve(user string) <-chan reply {
	return h.queue(func(ctx context.Context) (Reserved, error) {
		return h.app.reserve(ctx, Reserve{PromoID: "p", UserID: user})
	})
}

// queue runs f in a goroutine and, while the worker is held in an append,
// returns once f's command has joined the promo's queue, so that queued
// commands keep their order.
func (h *queueHarness) queue(f func(ctx context.Context) (Reserved, error)) <-chan reply {
	before, busy := h.app.promos.queued("p")
	if !busy {
		h.t.Fatal("queue needs a worker held in an append (holdFirstSave)")
	}
	out := make(chan reply, 1)
	go func() {
		r, err := f(context.Background())
		out <- reply{r, err}
	}()
	eventually(h.t, "the command is queued", func() bool { n, _ := h.app.promos.queued("p"); return n == before+1 })
	return out
}

// reserveNow reserves and waits for the answer.
func (h *queueHarness) reserveNow(user string) reply {
	r, err := h.app.reserve(context.Background(), Reserve{PromoID: "p", UserID: user})
	return reply{r, err}
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !ok(); time.Sleep(100 * time.Microsecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
	}
}

func placed(events []domain.Event) []string {
	var users []string
	for _, e := range events {
		if p, ok := e.(domain.ReservationPlaced); ok {
			users = append(users, p.UserID)
		}
	}
	return users
}

func TestQueuedReservationsAreDecidedInOrderAndAppendedOnce(t *testing.T) {
	h := newQueueHarness(t, 3)
	first, release := h.holdFirstSave("u0", nil)
	a := h.reserve("u1")
	stranger := h.reserve("stranger")
	again := h.reserve("u1") // sees the hold of a, not stored yet
	b := h.reserve("u2")
	soldOut := h.reserve("u3")
	if n, _ := h.app.promos.queued("p"); n != 5 {
		t.Fatalf("%d commands queued, want 5", n)
	}
	release()

	if r := <-first; r.err != nil || r.Existing || r.UserID != "u0" {
		t.Fatalf("u0: %+v", r)
	}
	ra := <-a
	if ra.err != nil || ra.Existing || ra.UserID != "u1" || ra.Status != domain.ReservationStatusHeld {
		t.Fatalf("u1: %+v", ra)
	}
	if r := <-stranger; !errors.Is(r.err, domain.ErrNotEligible) {
		t.Fatalf("stranger: %+v, want not eligible", r)
	}
	if r := <-again; r.err != nil || !r.Existing || r.ID != ra.ID {
		t.Fatalf("u1 again: %+v, want u1's hold %s, existing", r, ra.ID)
	}
	if r := <-b; r.err != nil || r.Existing || r.UserID != "u2" || r.ID == ra.ID {
		t.Fatalf("u2: %+v", r)
	}
	if r := <-soldOut; !errors.Is(r.err, domain.ErrSoldOut) {
		t.Fatalf("u3: %+v, want sold out", r)
	}

	saves := h.repo.saved()
	if len(saves) != 2 {
		t.Fatalf("%d appends, want 2: %v", len(saves), saves)
	}
	if got := fmt.Sprint(placed(saves[1])); got != "[u1 u2]" {
		t.Fatalf("second append placed %s, want [u1 u2]", got)
	}
	if n := h.read.waits.Load(); n != 2 {
		t.Fatalf("waited %d times for the read models, want once per append", n)
	}
}

func TestAFailedAppendFailsOnlyItsBatch(t *testing.T) {
	h := newQueueHarness(t, 2)
	down := fmt.Errorf("%w: connection refused", ErrUnavailable)
	first, release := h.holdFirstSave("u0", func(n int) error {
		if n == 1 {
			return down
		}
		return nil
	})
	stranger := h.reserve("stranger") // refused on stored state: stands
	a := h.reserve("u1")              // recorded: fails with the append
	again := h.reserve("u1")          // answered from a's unstored hold: fails
	soldOut := h.reserve("u2")        // sold out only by a's unstored hold: fails
	release()

	if r := <-first; r.err != nil {
		t.Fatalf("u0, the batch before: %v", r.err)
	}
	if r := <-stranger; !errors.Is(r.err, domain.ErrNotEligible) {
		t.Fatalf("stranger: %+v, want not eligible", r)
	}
	for name, c := range map[string]<-chan reply{"u1": a, "u1 again": again, "u2": soldOut} {
		if r := <-c; !errors.Is(r.err, ErrUnavailable) {
			t.Fatalf("%s: %+v, want the append's error", name, r)
		}
	}

	// Nothing of the failed batch stands: u1 and u2 find the unit free.
	if r := h.reserveNow("u2"); r.err != nil || r.Existing {
		t.Fatalf("u2 after the failure: %+v", r)
	}
	if r := h.reserveNow("u1"); !errors.Is(r.err, domain.ErrSoldOut) {
		t.Fatalf("u1 after the failure: %+v, want sold out", r)
	}
	if got := fmt.Sprint(placed(h.repo.history)); got != "[u0 u2]" {
		t.Fatalf("stream placed %s, want [u0 u2]", got)
	}
}

func TestAnAppendThatLostARaceDecidesTheBatchAgain(t *testing.T) {
	h := newQueueHarness(t, 2)
	first, release := h.holdFirstSave("u0", func(n int) error {
		if n == 1 { // another instance places u1's hold first
			h.repo.mu.Lock()
			h.repo.history = append(h.repo.history, domain.ReservationPlaced{ReservationID: "elsewhere",
				PromoID: "p", UserID: "u1", ExpiresAt: queueNow.Add(time.Minute), Price: domain.Money{Amount: 500, Currency: "BRL"}})
			h.repo.mu.Unlock()
		}
		return nil
	})
	a := h.reserve("u1")
	b := h.reserve("u2")
	release()
	<-first

	if r := <-a; r.err != nil || !r.Existing || r.ID != "elsewhere" {
		t.Fatalf("u1: %+v, want the other instance's hold", r)
	}
	if r := <-b; !errors.Is(r.err, domain.ErrSoldOut) {
		t.Fatalf("u2: %+v, want sold out (u0 and u1 hold the two units)", r)
	}
	if got := fmt.Sprint(placed(h.repo.history)); got != "[u0 u1]" {
		t.Fatalf("stream placed %s, want [u0 u1]", got)
	}
}

func TestACommandThatFailsAfterRecordingLeavesNothingInItsBatch(t *testing.T) {
	h := newQueueHarness(t, 5)
	first, release := h.holdFirstSave("u0", nil)
	a := h.reserve("u1")
	broken := errors.New("failed after recording")
	bad := h.queue(func(ctx context.Context) (Reserved, error) {
		_, err := h.app.onPromo(ctx, "p", &promoCommand{decide: func(p *domain.Promo) ([]Aggregate, error) {
			if err := p.Activate(queueNow); err != nil {
				return nil, err
			}
			return nil, broken
		}})
		return Reserved{}, err
	})
	b := h.reserve("u2")
	release()
	<-first

	if r := <-bad; !errors.Is(r.err, broken) {
		t.Fatalf("the failing command: %v, want its own error", r.err)
	}
	for name, c := range map[string]<-chan reply{"u1": a, "u2": b} {
		if r := <-c; r.err != nil || r.Existing {
			t.Fatalf("%s: %+v", name, r)
		}
	}
	saves := h.repo.saved()
	if len(saves) != 2 || len(saves[1]) != 2 || fmt.Sprint(placed(saves[1])) != "[u1 u2]" {
		t.Fatalf("appends %v, want the second to place u1 and u2 only", saves)
	}
}

func TestACancelledCommandLeavesItsBatch(t *testing.T) {
	h := newQueueHarness(t, 5)
	first, release := h.holdFirstSave("u0", nil)
	ctx, cancel := context.WithCancel(context.Background())
	gone := h.queue(func(context.Context) (Reserved, error) {
		return h.app.reserve(ctx, Reserve{PromoID: "p", UserID: "u1"})
	})
	b := h.reserve("u2")
	cancel()
	release()
	<-first
	if r := <-gone; !errors.Is(r.err, context.Canceled) {
		t.Fatalf("cancelled: %v", r.err)
	}
	if r := <-b; r.err != nil {
		t.Fatalf("u2: %v", r.err)
	}
	if got := fmt.Sprint(placed(h.repo.history)); got != "[u0 u2]" {
		t.Fatalf("stream placed %s, want [u0 u2]", got)
	}
}

func TestAPanicFailsItsBatchAndTheNextBatchRuns(t *testing.T) {
	h := newQueueHarness(t, 5)
	first, release := h.holdFirstSave("u0", nil)
	a := h.reserve("u1")
	bad := h.queue(func(ctx context.Context) (Reserved, error) {
		_, err := h.app.onPromo(ctx, "p", &promoCommand{decide: func(*domain.Promo) ([]Aggregate, error) { panic("a bug") }})
		return Reserved{}, err
	})
	release()
	<-first
	for name, c := range map[string]<-chan reply{"u1": a, "the bug": bad} {
		if r := <-c; r.err == nil || !strings.Contains(r.err.Error(), "a bug") {
			t.Fatalf("%s: %v, want the panic as an error", name, r.err)
		}
	}
	if r := h.reserveNow("u1"); r.err != nil {
		t.Fatalf("u1 after the panic: %v", r.err)
	}
}

func TestAnUnknownPromoAnswersEveryCommandNotFound(t *testing.T) {
	h := newQueueHarness(t, 1)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if _, err := h.app.reserve(context.Background(), Reserve{PromoID: "nope", UserID: "u1"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("got %v, want not found", err)
			}
		})
	}
	wg.Wait()
	eventually(t, "the queue is dropped", func() bool { _, busy := h.app.promos.queued("nope"); return !busy })
}

func TestABatchTakesAtMostMaxPromoBatchAndCancelAlone(t *testing.T) {
	q := newPromoQueues(nil)
	q.pending["p"] = nil // a worker is busy
	cmd := func(alone bool) *promoCommand { return &promoCommand{alone: alone} }
	for range maxPromoBatch + 3 {
		q.submit("p", cmd(false))
	}
	q.submit("p", cmd(true))
	q.submit("p", cmd(false))
	for _, want := range []int{maxPromoBatch, 3, 1, 1} {
		if got := len(q.next("p")); got != want {
			t.Fatalf("batch of %d, want %d", got, want)
		}
	}
	if b := q.next("p"); b != nil {
		t.Fatalf("a batch of %d after the queue drained", len(b))
	}
	if _, busy := q.queued("p"); busy {
		t.Fatal("the drained promo is still known")
	}
}
