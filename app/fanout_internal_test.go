package app

import (
	"testing"
	"time"
)

// The shards of one fan-out search once; another promo, or the same one
// later, searches again.
func TestShardSearchSearchesOncePerFanout(t *testing.T) {
	var s shardSearch
	searches := 0
	search := func() []string { searches++; return []string{"ana", "bea"} }
	now := time.Date(2026, 11, 28, 17, 0, 0, 0, time.UTC)
	for shard := range 12 {
		if got := s.memo("p1", now.Add(time.Duration(shard)*time.Millisecond), search)(); len(got) != 2 {
			t.Fatalf("shard %d got %v", shard, got)
		}
	}
	if searches != 1 {
		t.Fatalf("12 shards of one promo searched %d times, want 1", searches)
	}
	s.memo("p2", now, search)()
	s.memo("p2", now.Add(shardSearchFor), search)()
	if searches != 3 {
		t.Fatalf("searches = %d, want 3 (another promo, then the same after %s)", searches, shardSearchFor)
	}
}
