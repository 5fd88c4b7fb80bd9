package service

import "time"

// endedPromosRetention is how long an ended or cancelled promo stays in the
// read models after its ends_at; GET /v1/promos/{id} reads it from the store
// after that.
const endedPromosRetention = 24 * time.Hour

func (s *Service) prune() {
	start := time.Now()
	if notifications, promos := s.read.Prune(); notifications+promos > 0 {
		s.log.Info("read models pruned", "notifications", notifications, "promos", promos,
			"took", time.Since(start).Round(time.Millisecond))
	}
}
