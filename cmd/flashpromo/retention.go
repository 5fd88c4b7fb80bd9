package main

import (
	"context"
	"time"
)

// endedPromosRetention is how long an ended or cancelled promo stays in the
// read models after its ends_at; GET /v1/promos/{id} reads it from the store
// after that.
const endedPromosRetention = 24 * time.Hour

// pruneEvery drops from the read models what their retention no longer
// keeps, every interval until ctx ends.
func (s *service) pruneEvery(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.prune()
		}
	}
}

func (s *service) prune() {
	start := time.Now()
	if notifications, promos := s.read.Prune(); notifications+promos > 0 {
		s.log.Info("read models pruned", "notifications", notifications, "promos", promos,
			"took", time.Since(start).Round(time.Millisecond))
	}
}
