package metrics

import "github.com/prometheus/client_golang/prometheus"

// NewDeadLetters registers the count of messages the relay gave up on, by
// the topic they were bound for and the reason (unencodable, or the
// broker's refusal: message_too_large, ...), and returns what counts one.
func NewDeadLetters(reg prometheus.Registerer) func(topic, reason string) {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flashpromo_relay_dead_letters_total",
		Help: "Messages the relay gave up on and sent to flashpromo.deadletter, by topic and reason.",
	}, []string{"topic", "reason"})
	reg.MustRegister(c)
	return func(topic, reason string) { c.WithLabelValues(topic, reason).Inc() }
}
