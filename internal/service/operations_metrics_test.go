package service

import (
	"net/http"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters/readmodel"
)

// The operators' metrics follow a promo: its fan-out is in the backlog until
// it is over, then timed once; its holds are counted while they near their
// end; every read model reports its lag.
func TestOperationsMetricsFollowAPromo(t *testing.T) {
	a := ctStart(t)
	for _, u := range []string{"ana", "beto", "caro"} {
		a.register(u, 72*time.Hour, near)
	}
	a.createPromo("p1", promoBody(a.now(), a.now().Add(2*time.Hour), 5))
	a.untilSent("p1", 3)
	a.fanoutDone()
	a.advance(time.Second) // the last notification came within this second of the activation
	if got := a.metric("flashpromo_fanout_backlog_promos"); got != 1 {
		t.Errorf("backlog while the fan-out may go on = %v, want 1", got)
	}
	if got := a.metric("flashpromo_promo_activation_to_last_notification_seconds_count"); got != 0 {
		t.Errorf("fan-outs timed before they are over = %v, want 0", got)
	}
	a.advance(readmodel.FanoutSettle)
	if got := a.metric("flashpromo_fanout_backlog_promos"); got != 0 {
		t.Errorf("backlog once the fan-out settled = %v, want 0", got)
	}
	for range 2 { // timed once, however often scraped
		if got := a.metric("flashpromo_promo_activation_to_last_notification_seconds_count"); got != 1 {
			t.Errorf("fan-outs timed = %v, want 1", got)
		}
	}
	if got := a.metric("flashpromo_promo_activation_to_last_notification_seconds_sum"); got < 0 || got > 1 {
		t.Errorf("activation to last notification = %vs, want within the second the test let pass", got)
	}

	if r := a.reserve("p1", "ana"); r.Status != http.StatusCreated {
		t.Fatalf("reserve: %d %s", r.Status, r.Raw)
	}
	if got := a.metric("flashpromo_holds_expiring"); got != 1 {
		t.Errorf("holds expiring within a minute = %v, want 1", got)
	}
	a.advance(61 * time.Second)
	if got := a.metric("flashpromo_holds_expiring"); got != 0 {
		t.Errorf("holds expiring after the hold ran out = %v, want 0", got)
	}
	for _, p := range []string{"promos", "users", "notifications"} {
		if got := a.metric("flashpromo_projection_lag_events", "projection", p); got != 0 {
			t.Errorf("lag of %s once caught up = %v, want 0", p, got)
		}
	}
	if a.hasMetric("flashpromo_relay_lag_events") {
		t.Errorf("a relay lag is reported though nothing is relayed in-process")
	}
}
