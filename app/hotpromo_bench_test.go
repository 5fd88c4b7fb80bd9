package app_test

// A flash crowd on one promo (issue 4, target 2): stock 1,000, 20,000
// reservation requests from 5,000 distinct eligible users, 64 at a time,
// through the application with the real repository and the real read
// models (eligibility is their memory lookup, and every decision waits for
// them to read its own write). Beside it, the peers' baseline: one
// conditional UPDATE of the stock row per request.
//
//	go test ./app/ -run '^$' -bench 'FlashCrowd' -benchtime 3x
//	go test ./app/ -run '^$' -bench 'ConditionalUpdate' -benchtime 1x
//
// Each run is one whole crowd on a fresh promo; decisions/s, p50-ms and
// p99-ms are over every request of every run, appends/run counts the
// appends of a run (the group commit puts many holds in each).
//
// Set FLASHPROMO_REQUIRE_DB=1 to fail rather than skip without Postgres.

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/flashpromo/flashpromo/adapters"
	"github.com/flashpromo/flashpromo/adapters/readmodel"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

const (
	crowdStock    = 1000
	crowdRequests = 20000
	crowdUsers    = 5000
	crowdConns    = 64
)

var crowdNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

type fixedClock struct{ t time.Time }

func (c fixedClock) Now() time.Time { return c.t }

type noObserver struct{}

func (noObserver) Observe(string, time.Duration, error) {}

var storeLocation = domain.Location{Lat: -23.5614, Lng: -46.6559}

// crowdApp is the application on store with the real read models running;
// it registers the crowd's users unless users is 0. wrap, if given, wraps
// its repository.
func crowdApp(tb testing.TB, store eventstore.Store, users int, wrap ...func(app.Repository) app.Repository) app.Application {
	tb.Helper()
	a, read := benchApp(tb, store, fixedClock{crowdNow}, wrap...)
	if users == 0 {
		if err := read.CatchUp(context.Background()); err != nil {
			tb.Fatal(err)
		}
		return a
	}
	registerUsers(tb, a, users)
	return a
}

// benchApp is the application on store with the real read models running.
func benchApp(tb testing.TB, store eventstore.Store, clock app.Clock, wrap ...func(app.Repository) app.Repository) (app.Application, *readmodel.ReadModel) {
	tb.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	repo, err := adapters.NewRepository(store, clock, 10_000)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(repo.Close)
	rules := domain.DefaultSegmentRules()
	read := readmodel.New(store, rules, log)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- read.Run(ctx) }()
	tb.Cleanup(func() { cancel(); <-done })
	var r app.Repository = repo
	for _, w := range wrap {
		r = w(r)
	}
	a := app.New(app.Deps{
		Config: app.Config{HoldTTL: time.Minute, ReholdCooldown: time.Minute, Zone: time.UTC, Rules: rules},
		Clock:  clock, IDs: uuid.NewString, Repo: r, Read: read, Log: adapters.EventLog{Store: store},
		Projections: read, Logger: log, Observer: noObserver{},
	})
	return a, read
}

// registerUsers registers users new users within 100 m of the store, in
// batches of the contract's size.
func registerUsers(tb testing.TB, a app.Application, users int) {
	tb.Helper()
	for from := 0; from < users; from += 10_000 {
		entries := make([]app.RegisterUser, 0, 10_000)
		for i := from; i < min(from+10_000, users); i++ {
			at := domain.Location{Lat: storeLocation.Lat + float64(i%100)*1e-5, Lng: storeLocation.Lng}
			entries = append(entries, app.RegisterUser{UserID: crowdUser(i), RegisteredAt: crowdNow.Add(-24 * time.Hour), Location: &at})
		}
		if _, err := a.Commands.RegisterUsers.Handle(context.Background(), app.RegisterUsers{Users: entries}); err != nil {
			tb.Fatal(err)
		}
	}
}

func crowdUser(i int) string { return fmt.Sprintf("crowd-user-%07d", i) }

// crowdPromo creates a promo that is due at now and covers the crowd.
func crowdPromo(tb testing.TB, a app.Application, id string, stock int, now time.Time) {
	tb.Helper()
	_, err := a.Commands.CreatePromo.Handle(context.Background(), app.CreatePromo{ID: id, Spec: domain.PromoSpec{
		Store:        domain.Store{ID: "store-" + id, Name: "Loja", Location: storeLocation},
		Product:      domain.Product{ID: "product-1", Name: "Café"},
		RegularPrice: domain.Money{Amount: 1000, Currency: "BRL"},
		PromoPrice:   domain.Money{Amount: 500, Currency: "BRL"},
		Segments:     []domain.Segment{domain.SegmentNewUsers},
		RadiusM:      2000,
		StartsAt:     now.Add(-time.Minute),
		EndsAt:       now.Add(time.Hour),
		Stock:        stock,
	}})
	if err != nil {
		tb.Fatal(err)
	}
}

// crowdResult is one run of the crowd.
type crowdResult struct {
	took      time.Duration
	latencies []time.Duration
}

// runCrowd sends the crowd's requests from crowdConns goroutines; reserve
// tells whether a request got a new hold, an existing one, or a refusal.
// It checks that exactly stock holds were granted, one per user at most.
func runCrowd(tb testing.TB, reserve func(ctx context.Context, user string) (granted bool, err error)) crowdResult {
	tb.Helper()
	var (
		next      atomic.Int64
		mu        sync.Mutex
		holders   = map[string]int{}
		latencies = make([]time.Duration, crowdRequests)
		failed    atomic.Pointer[error]
		wg        sync.WaitGroup
	)
	start := time.Now()
	for range crowdConns {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= crowdRequests {
					return
				}
				user := crowdUser(i % crowdUsers)
				t0 := time.Now()
				granted, err := reserve(context.Background(), user)
				latencies[i] = time.Since(t0)
				if err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
				if granted {
					mu.Lock()
					holders[user]++
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	if err := failed.Load(); err != nil {
		tb.Fatalf("a request failed: %v", *err)
	}
	total := 0
	for user, n := range holders {
		if n != 1 {
			tb.Fatalf("%s was granted %d holds", user, n)
		}
		total += n
	}
	if total != crowdStock {
		tb.Fatalf("%d holds granted, want exactly %d", total, crowdStock)
	}
	return crowdResult{took: took, latencies: latencies}
}

func report(b *testing.B, runs []crowdResult) {
	var took time.Duration
	var all []time.Duration
	for _, r := range runs {
		took += r.took
		all = append(all, r.latencies...)
	}
	slices.Sort(all)
	b.ReportMetric(float64(len(runs)*crowdRequests)/took.Seconds(), "decisions/s")
	b.ReportMetric(float64(all[len(all)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func benchmarkFlashCrowd(b *testing.B, store eventstore.Store) {
	appends := &countingRepo{}
	a := crowdApp(b, store, crowdUsers, appends.wrap)
	reserve := func(promo string) func(ctx context.Context, user string) (bool, error) {
		return func(ctx context.Context, user string) (bool, error) {
			r, err := a.Commands.Reserve.Handle(ctx, app.Reserve{PromoID: promo, UserID: user})
			if errors.Is(err, domain.ErrSoldOut) {
				return false, nil
			}
			return err == nil && !r.Existing, err
		}
	}
	var runs []crowdResult
	var saves int64
	n := 0
	for range b.N {
		b.StopTimer()
		n++
		promo := fmt.Sprintf("crowd-%d", n)
		crowdPromo(b, a, promo, crowdStock, crowdNow)
		appends.saves.Store(0)
		b.StartTimer()
		runs = append(runs, runCrowd(b, reserve(promo)))
		b.StopTimer()
		saves += appends.saves.Load()
		v, err := a.Queries.Promo.Handle(context.Background(), app.GetPromo{ID: promo})
		if err != nil {
			b.Fatal(err)
		}
		if v.Stock.Held != crowdStock || v.Stock.Available != 0 {
			b.Fatalf("read model: %+v, want %d held and none available", v.Stock, crowdStock)
		}
		b.StartTimer()
	}
	report(b, runs)
	b.ReportMetric(float64(saves)/float64(b.N), "appends/run")
}

func BenchmarkFlashCrowdMemory(b *testing.B) {
	benchmarkFlashCrowd(b, memory.New())
}

func BenchmarkFlashCrowdPostgres(b *testing.B) {
	url := pgtest.Schema(b)
	pool, err := postgres.Connect(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	benchmarkFlashCrowd(b, postgres.New(pool))
}

// BenchmarkConditionalUpdate is the peers' way, as a strong engineer of
// their stack writes it, on the same Postgres: per request one transaction
// of a single conditional UPDATE that takes a unit only while one is left
// (Django's filter(held__lt=F("total")-F("sold")).update(held=F("held")+1)),
// then the hold's row, whose key is one hold per user and promo (a user
// who holds already rolls the unit back). Its pool has one connection per
// client, as 64 workers with persistent connections would (conns=4 is the
// size of the service's default pool on two cores).
func BenchmarkConditionalUpdate(b *testing.B) {
	for _, conns := range []int{crowdConns, 4} {
		b.Run(fmt.Sprintf("conns=%d", conns), func(b *testing.B) { benchmarkConditionalUpdate(b, conns) })
	}
}

// errHeld rolls back the unit of a user who holds one already.
var errHeld = errors.New("holds one already")

func benchmarkConditionalUpdate(b *testing.B, conns int) {
	url := pgtest.Schema(b)
	ctx := context.Background()
	pool, err := postgres.Connect(ctx, url, func(c *pgxpool.Config) { c.MaxConns = int32(conns) })
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	_, err = pool.Exec(ctx, `
CREATE TABLE stock (promo_id text PRIMARY KEY, total int NOT NULL, held int NOT NULL DEFAULT 0, sold int NOT NULL DEFAULT 0,
    CHECK (held + sold <= total));
CREATE TABLE holds (promo_id text NOT NULL, user_id text NOT NULL, id uuid NOT NULL,
    expires_at timestamptz NOT NULL, PRIMARY KEY (promo_id, user_id))`)
	if err != nil {
		b.Fatal(err)
	}
	reserve := func(promo string) func(ctx context.Context, user string) (bool, error) {
		return func(ctx context.Context, user string) (granted bool, err error) {
			err = pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
				tag, err := tx.Exec(ctx, `UPDATE stock SET held = held + 1 WHERE promo_id = $1 AND held + sold < total`, promo)
				if err != nil || tag.RowsAffected() == 0 {
					return err // sold out
				}
				tag, err = tx.Exec(ctx, `INSERT INTO holds (promo_id, user_id, id, expires_at) VALUES ($1, $2, $3, $4)
ON CONFLICT DO NOTHING`, promo, user, uuid.New(), crowdNow.Add(time.Minute))
				if err == nil && tag.RowsAffected() == 0 {
					return errHeld
				}
				granted = err == nil
				return err
			})
			if errors.Is(err, errHeld) {
				return false, nil
			}
			return granted, err
		}
	}
	var runs []crowdResult
	n := 0
	for range b.N {
		b.StopTimer()
		n++
		promo := fmt.Sprintf("crowd-%d", n)
		if _, err := pool.Exec(ctx, `INSERT INTO stock (promo_id, total) VALUES ($1, $2)`, promo, crowdStock); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		runs = append(runs, runCrowd(b, reserve(promo)))
	}
	report(b, runs)
}
