// Package service is the wiring of Flash Promo: it builds the event store,
// the bus, the read models, the application and the HTTP handler from a
// Config, connects them and runs them. Commands run it (cmd/flashpromo);
// no layer imports it (internal/layers). Its tests are the component tests:
// the whole service in process, over HTTP, on a fake clock.
package service

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"golang.org/x/sync/errgroup"

	"github.com/flashpromo/flashpromo/adapters"
	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/adapters/metrics"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/adapters/readmodel"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/ports"
	"github.com/flashpromo/flashpromo/ports/auth"
)

// Service is the whole server, wired: build it with New, start its
// background work with Run, serve its Handler, and Close it last.
type Service struct {
	cfg     Config
	app     app.Application
	store   eventstore.Store
	bus     *bus
	read    *readmodel.ReadModel
	handler http.Handler
	probes  *ports.Probes
	ops     *metrics.Operations
	log     *slog.Logger
	close   func() // undoes New

	relayMetrics  *metrics.Relay
	fanoutMetrics *metrics.Fanout
}

// openStore opens Postgres, migrated, or the embedded in-memory store, and
// says which in the log's first line.
func openStore(ctx context.Context, url string, tracer pgx.QueryTracer, log *slog.Logger) (eventstore.Store, func(), error) {
	if url == "" {
		log.Info("event store: embedded in-memory (set FLASHPROMO_DATABASE_URL for Postgres); state lasts as long as the process")
		return memory.New(), func() {}, nil
	}
	log.Info("event store: postgres")
	if err := postgres.Migrate(ctx, url); err != nil {
		return nil, nil, fmt.Errorf("migrate: %w", err)
	}
	pool, err := postgres.Connect(ctx, url, func(c *pgxpool.Config) { c.ConnConfig.Tracer = tracer })
	if err != nil {
		return nil, nil, err
	}
	return postgres.New(pool), pool.Close, nil
}

// New builds every part and connects them: the event store (Postgres,
// migrated, or in memory), the bus, the read models, the application and
// the HTTP handler. Nothing runs until Run.
func New(ctx context.Context, cfg Config, clock app.Clock, log *slog.Logger) (_ *Service, err error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	var closers []func() // undone in reverse order
	closeAll := func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	defer func() {
		if err != nil {
			closeAll()
		}
	}()
	store, closeStore, err := openStore(ctx, cfg.DatabaseURL, cfg.tracer, log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, closeStore)
	b, err := openBus(ctx, cfg, log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, b.close)
	repo, err := adapters.NewRepository(store, clock, 10_000)
	if err != nil {
		return nil, err
	}
	closers = append(closers, repo.Close)
	zone, _ := time.LoadLocation(cfg.Timezone) // validated
	if cfg.AdminToken == "" {
		cfg.AdminToken = randomToken()
		log.Warn("FLASHPROMO_ADMIN_TOKEN is not set; admin endpoints take this token for this run", "admin_token", cfg.AdminToken)
	}
	registry := metrics.NewRegistry()
	read := readmodel.New(store, cfg.Rules, log)
	read.UseRetention(readmodel.Retention{Notifications: cfg.NotificationsRetention, EndedPromos: endedPromosRetention, Now: clock.Now})
	read.EncodeFixed(ports.VisibleFixed)
	if pg, ok := store.(*postgres.Store); ok {
		read.UseSnapshots(pg, readmodel.SnapshotPolicy{Interval: cfg.SnapshotInterval, Events: cfg.SnapshotEvents})
	}
	application := app.New(app.Deps{
		Config:      app.Config{HoldTTL: cfg.HoldTTL, ReholdCooldown: cfg.cooldown(), Zone: zone, Rules: cfg.Rules},
		Clock:       clock,
		IDs:         codec.NewID,
		Repo:        repo,
		Read:        read,
		Log:         adapters.EventLog{Store: store},
		Projections: read,
		Logger:      log,
		Observer:    metrics.NewObserver(registry),
	})
	ops := metrics.NewOperations(registry, metrics.OperationsConfig{Read: read, Log: store, Relay: b.relayCheckpoint(), Clock: clock})
	verifier, err := newVerifier(ctx, cfg, clock, log)
	if err != nil {
		return nil, err
	}
	closers = append(closers, verifier.Close)
	probes := &ports.Probes{Database: databaseProbe(store), Kafka: b.reachable}
	handler := ports.NewHTTPHandler(application, ports.HTTPConfig{
		Verifier: verifier, ReserveRate: cfg.ReserveRate, Registry: registry, Log: log, Probes: probes,
	})
	return &Service{cfg: cfg, app: application, store: store, bus: b, read: read, handler: handler, log: log,
		probes: probes, ops: ops, close: closeAll,
		relayMetrics: metrics.NewRelay(registry, kafka.Cause), fanoutMetrics: metrics.NewFanout(registry)}, nil
}

// databaseProbe says whether the event store answers: "embedded" for the
// in-memory one.
func databaseProbe(store eventstore.Store) func(context.Context) string {
	if _, ok := store.(*postgres.Store); !ok {
		return func(context.Context) string { return "embedded" }
	}
	return func(ctx context.Context) string {
		if _, err := store.Head(ctx); err != nil {
			return "down"
		}
		return "up"
	}
}

// newVerifier checks callers' credentials, and says in the log which it accepts.
func newVerifier(ctx context.Context, cfg Config, clock app.Clock, log *slog.Logger) (*auth.Verifier, error) {
	v, err := auth.New(ctx, auth.Config{
		AdminToken: cfg.AdminToken, JWTSecret: cfg.Auth.JWTSecret, JWKSURL: cfg.Auth.JWKSURL, JWKSFile: cfg.Auth.JWKSFile,
		Issuer: cfg.Auth.Issuer, Audience: cfg.Auth.Audience, Now: clock.Now,
	}, log)
	if err != nil {
		return nil, err
	}
	log.Info("credentials accepted: " + v.Describe())
	return v, nil
}

// Handler serves the API, the probes, the metrics and the console.
func (s *Service) Handler() http.Handler { return s.handler }

// Close closes the bus, then the store; call it after Run has returned.
func (s *Service) Close() { s.close() }

// Run catches the read models up with the log, then keeps them, the
// scheduler and the fan-out going until ctx ends. ready is called once the
// read models have caught up, so requests are answered from a full model.
func (s *Service) Run(ctx context.Context, ready func()) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return ignoreCancel(s.read.Run(ctx)) })
	caughtUp := make(chan struct{})
	go s.reportCatchUp(ctx, caughtUp, 5*time.Second)
	err := s.read.CatchUp(ctx)
	close(caughtUp)
	if err != nil {
		return fmt.Errorf("catch up read models: %w", err)
	}
	s.prune()
	s.probes.CaughtUp.Store(true)
	ready()
	g.Go(func() error { ports.RunScheduler(ctx, s.app, s.cfg.Tick); return nil })
	g.Go(func() error { ports.Every(ctx, 5*time.Second, s.ops.Refresh); return nil })
	g.Go(func() error { ports.Every(ctx, time.Minute, func(context.Context) { s.prune() }); return nil }) // retention
	if s.bus.pub != nil {
		s.keep(ctx, g, "relay", s.relay)
	}
	s.keep(ctx, g, "fan-out", s.fanout)
	return g.Wait()
}

// reportCatchUp logs every so often how far the read models are through
// the log, until done is closed: a start on a long log says what it does.
func (s *Service) reportCatchUp(ctx context.Context, done <-chan struct{}, every time.Duration) {
	start := time.Now()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-done:
			s.log.Info("read models caught up", "took", time.Since(start).Round(time.Millisecond))
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st, err := s.read.Status(ctx)
		if err != nil || len(st) == 0 {
			continue
		}
		at, lag := st[0].Position, st[0].Lag // the furthest behind
		for _, p := range st[1:] {
			if p.Lag > lag {
				at, lag = p.Position, p.Lag
			}
		}
		s.log.Info("read models catching up", "position", at, "head", at+lag,
			"done", fmt.Sprintf("%.0f%%", 100*float64(at)/float64(max(1, at+lag))),
			"elapsed", time.Since(start).Round(time.Second))
	}
}

// keep runs f until ctx ends, and again after it fails: a database or a
// broker that is away for a while must not stop the instance.
func (s *Service) keep(ctx context.Context, g *errgroup.Group, name string, f func(context.Context) error) {
	g.Go(func() error {
		for {
			err := f(ctx)
			if ctx.Err() != nil {
				return nil
			}
			s.log.Error("background work stopped; starting it again", "work", name, "err", err)
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(time.Second):
			}
		}
	})
}

// relay publishes the log to Kafka; on Postgres one instance at a time,
// fenced by the lease (ADR 0014).
func (s *Service) relay(ctx context.Context) error {
	if err := s.bus.ensureTopics(ctx, 10*time.Second); err != nil {
		return err
	}
	r := outbox.NewRelay(s.store, s.bus.pub, s.log).WithObserver(s.relayMetrics)
	if pg, ok := s.store.(*postgres.Store); ok {
		return pg.Exclusive(ctx, outbox.Checkpoint, func(ctx context.Context, l *postgres.Lease) error { return r.RunLeased(ctx, l) })
	}
	return r.Run(ctx)
}

// fanout runs the fan-out's planner and workers until ctx ends, fed as
// the bus says: Kafka's consumer groups, or the log and a channel.
func (s *Service) fanout(ctx context.Context) error {
	feed, closeFeed, err := s.bus.fanoutFeed(ctx, s.store, s.log)
	if err != nil {
		return err
	}
	defer closeFeed()
	feed.Marshaler, feed.CatchUp, feed.Log, feed.Observe = codec.Envelopes{}, s.read.CatchUp, s.log, s.fanoutMetrics
	feed.Parts = 1
	if s.bus.pub != nil {
		feed.Parts = s.cfg.FanoutShards
	}
	router, err := ports.NewFanoutRouter(s.app, feed)
	if err != nil {
		return err
	}
	return router.Run(ctx)
}

func ignoreCancel(err error) error {
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}
