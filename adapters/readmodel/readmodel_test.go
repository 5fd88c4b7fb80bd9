package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/adapters/readmodel"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

var now = time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)

func appendEvent(t *testing.T, s eventstore.Store, stream string, e domain.Event) eventstore.Cursor {
	t.Helper()
	ne, err := codec.Encode(e, now)
	if err != nil {
		t.Fatal(err)
	}
	c, err := s.Append(context.Background(), eventstore.Append{StreamID: stream, Expected: eventstore.Any, Events: []eventstore.NewEvent{ne}})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func notify(t *testing.T, s eventstore.Store, i int) eventstore.Cursor {
	user := fmt.Sprintf("u%d", i)
	return appendEvent(t, s, "notification-"+user, domain.NotificationSent{
		NotificationID: fmt.Sprintf("n%d", i), UserID: user, PromoID: "p1", Day: "2026-11-27", SentAt: now})
}

func start(t *testing.T, s eventstore.Store) *readmodel.ReadModel {
	t.Helper()
	rm := readmodel.New(s, domain.DefaultSegmentRules(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	rm.EncodeFixed(fixedOf)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- rm.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return rm
}

// fixedOf stands for the reply's encoder: what the model keeps of a promo
// for its readers.
func fixedOf(id string, _ *domain.PromoSpec) []byte { return []byte("fixed " + id) }

func TestRebuildSwapsInACopyThatAppliedEveryEventOnce(t *testing.T) {
	for _, name := range []string{"notifications", "all"} { // all: one reader for the three copies
		t.Run(name, func(t *testing.T) { rebuildWhileTheLogGrows(t, name) })
	}
}

func rebuildWhileTheLogGrows(t *testing.T, name string) {
	s := memory.New()
	rm := start(t, s)
	ctx := context.Background()
	for i := range 500 {
		notify(t, s, i)
		if i%5 == 0 {
			appendEvent(t, s, fmt.Sprintf("user-u%d", i), domain.UserRegistered{UserID: fmt.Sprintf("u%d", i), RegisteredAt: now})
		}
	}
	if err := rm.CatchUp(ctx); err != nil {
		t.Fatal(err)
	}
	if got := rm.NotificationsSent("p1"); got != 500 {
		t.Fatalf("before the rebuild: %d notifications, want 500", got)
	}

	if err := rm.Rebuild(ctx, name); err != nil {
		t.Fatal(err)
	}
	var last eventstore.Cursor
	for i := 500; i < 1000; i++ { // the log grows while the shadow catches up
		last = notify(t, s, i)
		if i%5 == 0 {
			last = appendEvent(t, s, fmt.Sprintf("user-u%d", i), domain.UserRegistered{UserID: fmt.Sprintf("u%d", i), RegisteredAt: now})
		}
		if got := rm.NotificationsSent("p1"); got < 500 {
			t.Fatalf("during the rebuild a query saw %d notifications: the old copy must answer until the swap", got)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		st, err := rm.Status(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if statusOf(st, "notifications") == "live" && statusOf(st, "users") == "live" && statusOf(st, "promos") == "live" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rebuild never finished")
		}
		time.Sleep(time.Millisecond)
	}
	if err := rm.WaitFor(ctx, last); err != nil {
		t.Fatal(err)
	}
	if got := rm.NotificationsSent("p1"); got != 1000 {
		t.Errorf("after the rebuild: %d notifications, want 1000 (each event applied once)", got)
	}
	for i := 0; i < 1000; i += 5 {
		if ns, ok := rm.Notifications(fmt.Sprintf("u%d", i)); !ok || len(ns) != 1 {
			t.Fatalf("after the rebuild u%d has %d notifications (known: %v), want 1", i, len(ns), ok)
		}
	}
}

func statusOf(st []app.ProjectionStatus, name string) string {
	for _, p := range st {
		if p.Name == name {
			return p.Status
		}
	}
	return "missing"
}

func TestRebuildOfAnUnknownModelIsNotFound(t *testing.T) {
	rm := start(t, memory.New())
	if err := rm.Rebuild(context.Background(), "nope"); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("rebuild nope: %v, want ErrNotFound", err)
	}
}

func TestHoldsFreeThemselvesByTime(t *testing.T) {
	s := memory.New()
	rm := start(t, s)
	spec := domain.PromoSpec{
		Store:        domain.Store{ID: "techshop", Name: "TechShop", Location: domain.Location{Lat: 19.4326, Lng: -99.1332}},
		Product:      domain.Product{ID: "xyz", Name: "XYZ"},
		RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
		Segments: []domain.Segment{domain.SegmentNewUsers}, RadiusM: 2000,
		StartsAt: now, EndsAt: now.Add(time.Hour), Stock: 2,
	}
	p, err := domain.CreatePromo("p1", spec, now)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := p.Reserve(domain.ReserveRequest{ReservationID: "r1", UserID: "ana", Eligible: true, Now: now, TTL: time.Minute}); err != nil {
		t.Fatal(err)
	}
	var last eventstore.Cursor
	for _, e := range p.Changes() {
		last = appendEvent(t, s, "promo-p1", e)
	}
	if err := rm.WaitFor(context.Background(), last); err != nil {
		t.Fatal(err)
	}
	if v, _ := rm.Promo("p1", now.Add(59*time.Second)); v.Stock.Available != 1 || v.Stock.Held != 1 {
		t.Errorf("within the minute: %+v, want 1 held, 1 available", v.Stock)
	}
	if v, _ := rm.Promo("p1", now.Add(time.Minute)); v.Stock.Available != 2 || v.Stock.Held != 0 {
		t.Errorf("at the minute, with no event: %+v, want 0 held, 2 available", v.Stock)
	}
	if hs := rm.ExpiredHolds(now.Add(time.Minute)); len(hs) != 1 || hs[0].ReservationID != "r1" {
		t.Errorf("expired holds for the sweeper: %v, want r1", hs)
	}
	if r, ok := rm.Reservation("r1", now.Add(time.Minute)); !ok || r.Status != domain.ReservationStatusExpired {
		t.Errorf("reservation at the minute: %+v %v, want expired", r, ok)
	}
}
