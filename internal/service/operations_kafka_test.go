package service

import (
	"fmt"
	"testing"

	"github.com/flashpromo/flashpromo/adapters/outbox"
)

// The relay's lag is 0 once it has published the log, and grows while the
// broker is away and commands go on.
func TestRelayLagMetricFollowsTheBroker(t *testing.T) {
	broker := startBroker(t, "127.0.0.1:0")
	s := startServer(t, newFakeClock(t0), onKafka(broker.Addrs()))
	s.newUser("before", near)
	consume(t, broker.Addrs(), outbox.EventsTopic, 2)
	s.relayDone()
	if got := s.metric("flashpromo_relay_lag_events"); got != 0 {
		t.Errorf("relay lag once it published the log = %v, want 0", got)
	}
	broker.Close()
	for i := range 5 {
		s.newUser(fmt.Sprintf("during%d", i), near)
	}
	if got := s.metric("flashpromo_relay_lag_events"); got < 5 {
		t.Errorf("relay lag with 10 events unpublished = %v, want at least 5", got)
	}
}
