package metrics

import (
	"context"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/eventstore"
)

// ReadSide is what the operators' gauges read from the read models.
type ReadSide interface {
	Status(ctx context.Context) ([]app.ProjectionStatus, error)
	// FanoutsOver forgets the fan-outs over at now and returns, for each
	// that notified anyone, the time from activation to last notification,
	// and how many are still going.
	FanoutsOver(now time.Time) (took []time.Duration, going int)
	HoldsExpiring(now time.Time, within time.Duration) int
}

// Log is where the relay's place is kept.
type Log interface {
	Head(ctx context.Context) (eventstore.Cursor, error)
	Checkpoint(ctx context.Context, name string) (eventstore.Cursor, error)
}

// OperationsConfig says what Operations reads.
type OperationsConfig struct {
	Read  ReadSide
	Log   Log
	Relay string // the relay's checkpoint; empty when nothing is relayed
	Clock app.Clock
}

// Operations is what operators watch, brought up to date on every scrape
// (and by Run, so that fan-outs are timed even when no one scrapes).
type Operations struct {
	cfg OperationsConfig
	mu  sync.Mutex // one refresh at a time

	fanoutSeconds prometheus.Histogram
	backlog       prometheus.Gauge
	projectionLag *prometheus.GaugeVec
	relayLag      prometheus.Gauge
	expiring      prometheus.Gauge
	all           []prometheus.Collector
}

// holdsWithin is how far ahead the expiring holds are counted.
const holdsWithin = time.Minute

// NewOperations registers the operators' metrics in reg.
func NewOperations(reg prometheus.Registerer, cfg OperationsConfig) *Operations {
	o := &Operations{cfg: cfg,
		fanoutSeconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "flashpromo_promo_activation_to_last_notification_seconds",
			Help:    "Per promo whose fan-out is over: from its PromoActivated to its last NotificationSent, as the read models saw them.",
			Buckets: []float64{.5, 1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 300, 600, 1800},
		}),
		backlog: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "flashpromo_fanout_backlog_promos",
			Help: "Activated promos whose fan-out is not over yet.",
		}),
		projectionLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "flashpromo_projection_lag_events",
			Help: "Events (estimated by position) between a read model and the head of the log.",
		}, []string{"projection"}),
		relayLag: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "flashpromo_relay_lag_events",
			Help: "Events (estimated by position) between the relay's checkpoint and the head of the log.",
		}),
		expiring: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "flashpromo_holds_expiring",
			Help: "Open holds that run out within the next minute.",
		}),
	}
	o.all = []prometheus.Collector{o.fanoutSeconds, o.backlog, o.projectionLag, o.expiring}
	if cfg.Relay != "" {
		o.all = append(o.all, o.relayLag)
	}
	reg.MustRegister(o)
	return o
}

func (o *Operations) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range o.all {
		c.Describe(ch)
	}
}

func (o *Operations) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	o.Refresh(ctx)
	for _, c := range o.all {
		c.Collect(ch)
	}
}

// Refresh brings every metric up to date. A gauge the log cannot answer
// for now (the database is away) keeps its last value.
func (o *Operations) Refresh(ctx context.Context) {
	o.mu.Lock()
	defer o.mu.Unlock()
	now := o.cfg.Clock.Now()
	took, going := o.cfg.Read.FanoutsOver(now)
	for _, d := range took {
		o.fanoutSeconds.Observe(d.Seconds())
	}
	o.backlog.Set(float64(going))
	o.expiring.Set(float64(o.cfg.Read.HoldsExpiring(now, holdsWithin)))
	if st, err := o.cfg.Read.Status(ctx); err == nil {
		for _, p := range st {
			o.projectionLag.WithLabelValues(p.Name).Set(float64(p.Lag))
		}
	}
	if o.cfg.Relay != "" {
		o.refreshRelay(ctx)
	}
}

func (o *Operations) refreshRelay(ctx context.Context) {
	at, err := o.cfg.Log.Checkpoint(ctx, o.cfg.Relay)
	if err != nil {
		return
	}
	head, err := o.cfg.Log.Head(ctx)
	if err != nil {
		return
	}
	lag := int64(0)
	if at.Less(head) { // positions are not dense, so lag is an estimate
		lag = max(1, head.Position-at.Position)
	}
	o.relayLag.Set(float64(lag))
}
