package app_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// lagging hands its reader nothing appended once it is frozen, as the log
// looks to an instance whose read models have fallen behind.
type lagging struct {
	eventstore.Store
	frozen atomic.Bool
}

func (l *lagging) ReadSince(ctx context.Context, after eventstore.Cursor, limit int) ([]eventstore.Event, error) {
	events, err := l.Store.ReadSince(ctx, after, limit)
	if l.frozen.Load() { // checked after the read: whatever it found may be new
		return nil, err
	}
	return events, err
}

// Holds placed on one instance are bought and released on another whose
// read models have not seen them: the reservation id names its promo, so
// neither asks the read model.
func TestPurchaseAndReleaseDoNotNeedTheReadModel(t *testing.T) {
	store := memory.New()
	a := crowdApp(t, store, 2)
	crowdPromo(t, a, "hot", 10, crowdNow)
	behind := &lagging{Store: store}
	b, read := benchApp(t, behind, fixedClock{crowdNow})
	if err := read.CatchUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	behind.frozen.Store(true)

	held := make([]app.Reserved, 2)
	for i := range held {
		r, err := a.Commands.Reserve.Handle(t.Context(), app.Reserve{PromoID: "hot", UserID: crowdUser(i)})
		if err != nil {
			t.Fatal(err)
		}
		if _, known := read.Reservation(r.ID, crowdNow); known {
			t.Fatalf("the second instance knows hold %s: its read model does not lag", r.ID)
		}
		held[i] = r
	}
	var wg sync.WaitGroup // each waits for the read models that lag, in vain
	var bought, released app.ReservationView
	var errBuy, errRelease error
	wg.Go(func() {
		bought, errBuy = b.Commands.Purchase.Handle(t.Context(), app.Purchase{ReservationID: held[0].ID, UserID: crowdUser(0)})
	})
	wg.Go(func() {
		released, errRelease = b.Commands.Release.Handle(t.Context(), app.Release{ReservationID: held[1].ID, UserID: crowdUser(1)})
	})
	wg.Wait()
	if errBuy != nil || bought.Status != domain.ReservationStatusPurchased {
		t.Errorf("purchase on the lagging instance: %+v, %v", bought, errBuy)
	}
	if errRelease != nil || released.Status != domain.ReservationStatusReleased {
		t.Errorf("release on the lagging instance: %+v, %v", released, errRelease)
	}
}

// A hold placed by an older build has a bare UUID for its id: purchase finds
// its promo through the read model, as it did.
func TestOlderReservationIDsStillWork(t *testing.T) {
	store := memory.New()
	a, read := benchApp(t, store, fixedClock{crowdNow})
	registerUsers(t, a, 1)
	crowdPromo(t, a, "hot", 10, crowdNow)
	repo, err := adapters.NewRepository(store, fixedClock{crowdNow}, 10)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	p, err := repo.LoadPromo(t.Context(), "hot")
	if err != nil {
		t.Fatal(err)
	}
	const older = "019ad1c2-7a3b-7c4d-8e5f-0123456789ab"
	if _, _, err := p.Reserve(domain.ReserveRequest{ReservationID: older, UserID: crowdUser(0), Eligible: true,
		Now: crowdNow, TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	cur, err := repo.Save(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if err := read.WaitFor(t.Context(), cur); err != nil {
		t.Fatal(err)
	}
	bought, err := a.Commands.Purchase.Handle(t.Context(), app.Purchase{ReservationID: older, UserID: crowdUser(0)})
	if err != nil || bought.Status != domain.ReservationStatusPurchased {
		t.Fatalf("purchase of an older hold: %+v, %v", bought, err)
	}
}
