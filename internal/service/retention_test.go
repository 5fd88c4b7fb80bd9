package service

import (
	"net/http"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// A promo a day past its end leaves the read models and is read from the
// store; a notification past the retention leaves the user's list, while
// the promo's count stays.
func TestRetentionOfPromosAndNotifications(t *testing.T) {
	t.Run("memory", func(t *testing.T) { retentionOfPromosAndNotifications(t, ctStart(t)) })
	t.Run("postgres", func(t *testing.T) { retentionOfPromosAndNotifications(t, ctStart(t, onPostgres(pgtest.Schema(t)))) })
}

func retentionOfPromosAndNotifications(t *testing.T, a *testServer) {
	a.register("ana", 72*time.Hour, near)
	a.createPromo("p1", promoBody(a.now(), a.now().Add(2*time.Hour), 5))
	a.untilNotified("ana", 1)
	r := a.reserve("p1", "ana")
	if r.Status != http.StatusCreated {
		t.Fatalf("reserve: %d %s", r.Status, r.Raw)
	}
	hold := r.Body["id"].(string)
	before := a.promo("p1")
	a.advance(3 * time.Hour)
	a.untilStatus("p1", "ended")
	expired := a.untilEvent("ReservationExpired", "promo_id", "p1") // the sweeper's, the promo's last event
	eventually(t, "the promo's view has its last event", func() bool { return ctNum(t, a.promo("p1")["version"]) == ctNum(t, expired["version"]) })
	ended := a.promo("p1")

	a.advance(22 * time.Hour) // 23 hours past its end: still in memory
	a.svc.prune()
	if !ctContains(ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos", nil, ctAdmin).Body["promos"]), "p1") {
		t.Fatalf("p1 left the list a day before its time")
	}
	a.advance(2 * time.Hour)
	a.svc.prune()
	if ctContains(ctObjects(t, a.expect(http.StatusOK, "GET", "/v1/promos", nil, ctAdmin).Body["promos"]), "p1") {
		t.Errorf("p1 is still listed a day past its end")
	}
	if got := a.promo("p1"); ctJSON(got, "") != ctJSON(ended, "") { // from the store now
		t.Errorf("p1 read from the store %s, from memory it was %s", ctJSON(got, ""), ctJSON(ended, ""))
	}
	if got := a.reservation(hold); got["status"] != "expired" || got["promo_id"] != "p1" { // from the promo's stream too
		t.Errorf("ana's hold read from the store: %v", got)
	}
	if ctNum(t, ctAt(before, "notifications.sent")) != 1 {
		t.Errorf("p1 sent %v before, want 1", ctAt(before, "notifications.sent"))
	}
	a.refuse(http.StatusNotFound, "not_found", "GET", "/v1/promos/never-was", nil, ctAdmin)

	if n := len(a.notes("ana")); n != 1 {
		t.Fatalf("ana's notifications within the retention: %d, want 1", n)
	}
	a.advance(30 * 24 * time.Hour) // the default retention
	a.svc.prune()
	if n := len(a.notes("ana")); n != 0 {
		t.Errorf("ana's notifications past the retention: %d, want 0", n)
	}
	if got := ctNum(t, ctAt(a.promo("p1"), "notifications.sent")); got != 1 {
		t.Errorf("p1's count after its notifications left memory: %v, want 1", got)
	}
}
