package ports

import "sync"

// recentShards is how many finished shards a worker remembers: the copies
// of a shard come right behind it on its partition, and 4096 are the
// shards of 128 fan-outs of 32.
const recentShards = 4096

// recentSet remembers the last ids added, up to a bound, forgetting the
// oldest first. The fan-out's worker keeps the shards it finished there,
// by message UUID (the activation's event id and the shard's number), so a
// copy of one is acked without a search: a produce the broker stored and
// then answered with an error, which the writer sends again, stores the
// shards again, and a commit lost in a rebalance delivers one again. A
// copy of a shard forgotten, or finished by another instance, is handled
// again, which the store's once-a-day rule makes harmless.
//
// watermill's Deduplicator does not fit: it records a message before the
// handler runs, so a shard that failed would be dropped when it comes again.
type recentSet struct {
	mu   sync.Mutex
	ids  map[string]struct{}
	ring []string // ids in the order added; next is overwritten first
	next int
}

func newRecentSet(size int) *recentSet {
	return &recentSet{ids: make(map[string]struct{}, size), ring: make([]string, size)}
}

func (r *recentSet) has(id string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.ids[id]
	return ok
}

// add remembers id; an empty one (no message UUID) is not an id.
func (r *recentSet) add(id string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.ids[id]; ok || id == "" {
		return
	}
	delete(r.ids, r.ring[r.next])
	r.ring[r.next] = id
	r.ids[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
