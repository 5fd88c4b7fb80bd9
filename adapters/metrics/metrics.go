// Package metrics records the application's handlers in Prometheus.
package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/flashpromo/flashpromo/app"
)

// Observer implements app.Observer.
type Observer struct {
	handled *prometheus.HistogramVec
}

// NewRegistry is a registry with the Go runtime and process collectors.
func NewRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// NewObserver registers the handler metrics in reg.
func NewObserver(reg prometheus.Registerer) *Observer {
	o := &Observer{handled: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "flashpromo_handler_duration_seconds",
		Help:    "Commands and queries by handler and outcome (ok or the error code).",
		Buckets: []float64{.0001, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1, 5},
	}, []string{"handler", "outcome"})}
	reg.MustRegister(o.handled)
	return o
}

func (o *Observer) Observe(handler string, took time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		_, outcome = app.Classify(err)
	}
	o.handled.WithLabelValues(handler, outcome).Observe(took.Seconds())
}
