package service

import (
	"net/http"
	"testing"
	"time"
)

// A create retried with the same Idempotency-Key is the same promo; the key
// reused for another promo is a conflict.
func TestIdempotencyKeyMakesACreateSafeToRetry(t *testing.T) {
	s := startServer(t, newFakeClock(t0))
	body := promoBody(t0, t0.Add(time.Hour), 5)
	post := func(key string, body map[string]any) response {
		r, err := s.raw("POST", "/v1/promos", body, ctAdmin, "Idempotency-Key", key)
		return s.check("POST", "/v1/promos", r, err)
	}
	first := post("client-retry-1", body)
	if first.Status != http.StatusCreated {
		t.Fatalf("first create: %d %s", first.Status, first.Raw)
	}
	again := post("client-retry-1", body)
	if again.Status != http.StatusOK || again.Body["id"] != first.Body["id"] {
		t.Errorf("the retry: %d %v, want 200 and promo %v", again.Status, again.Body["id"], first.Body["id"])
	}
	other := promoBody(t0, t0.Add(2*time.Hour), 5)
	if r := post("client-retry-1", other); r.Status != http.StatusConflict || r.code() != "promo_conflict" {
		t.Errorf("the key reused with another body: %d %s", r.Status, r.Raw)
	}
	if n := len(s.allEvents("type=PromoCreated")); n != 1 {
		t.Errorf("%d promos created, want 1", n)
	}
}
