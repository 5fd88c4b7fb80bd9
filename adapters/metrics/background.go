package metrics

import "github.com/prometheus/client_golang/prometheus"

// Relay implements outbox.Observer: what the relay published, the publishes
// the bus refused (by cause; each is retried), and the messages it gave up
// on. Its lag is in Operations, the same on every instance.
type Relay struct {
	published *prometheus.CounterVec
	failed    *prometheus.CounterVec
	dead      *prometheus.CounterVec
	cause     func(error) string
}

// NewRelay registers the relay's metrics in reg; cause names a failure
// (the bus adapter's error code, for instance).
func NewRelay(reg prometheus.Registerer, cause func(error) string) *Relay {
	r := &Relay{
		published: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flashpromo_relay_published_total",
			Help: "Messages the relay published and the bus acknowledged, by topic (a retried batch counts again).",
		}, []string{"topic"}),
		failed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flashpromo_relay_publish_failures_total",
			Help: "Publishes the bus refused, by topic and cause; the relay retries each.",
		}, []string{"topic", "cause"}),
		dead: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flashpromo_relay_dead_letters_total",
			Help: "Messages the relay gave up on and sent to flashpromo.deadletter, by topic and reason.",
		}, []string{"topic", "reason"}),
		cause: cause,
	}
	reg.MustRegister(r.published, r.failed, r.dead)
	return r
}

func (r *Relay) Published(topic string, n int) { r.published.WithLabelValues(topic).Add(float64(n)) }

func (r *Relay) PublishFailed(topic string, err error) {
	r.failed.WithLabelValues(topic, r.cause(err)).Inc()
}

// DeadLetter counts a message given up on, by the topic it was bound for
// and the reason (unencodable, or the broker's refusal: message_too_large, ...).
func (r *Relay) DeadLetter(topic, reason string) { r.dead.WithLabelValues(topic, reason).Inc() }

// Fanout implements ports.FanoutObserver: the shards an instance finished
// or failed (a failed shard comes again), and the users it notified.
type Fanout struct {
	shards   *prometheus.CounterVec
	notified prometheus.Counter
}

// NewFanout registers the fan-out's metrics in reg.
func NewFanout(reg prometheus.Registerer) *Fanout {
	f := &Fanout{
		shards: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "flashpromo_fanout_shards_total",
			Help: "Fan-out shards this instance handled, by outcome (done; failed: it comes again; repeat: a copy of one it finished lately, acked as it is).",
		}, []string{"outcome"}),
		notified: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "flashpromo_fanout_notified_total",
			Help: "Users this instance's fan-out notified (each once a day, whichever instance does it).",
		}),
	}
	f.shards.WithLabelValues("done")
	f.shards.WithLabelValues("failed")
	f.shards.WithLabelValues("repeat")
	reg.MustRegister(f.shards, f.notified)
	return f
}

func (f *Fanout) ShardDone(notified int) {
	f.shards.WithLabelValues("done").Inc()
	f.notified.Add(float64(notified))
}

func (f *Fanout) ShardFailed() { f.shards.WithLabelValues("failed").Inc() }

func (f *Fanout) ShardRepeated() { f.shards.WithLabelValues("repeat").Inc() }
