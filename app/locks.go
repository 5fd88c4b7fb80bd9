package app

import (
	"hash/maphash"
	"slices"
	"sync"
)

// locks serialise commands on one aggregate inside the process, so that
// they do not fail each other's version checks and a cached aggregate is
// touched by one goroutine at a time. A promo's batches (promoqueue.go) run
// under its lock, which keeps its creation out of them. The version check
// stays the guard between processes. Keys share a fixed
// set of stripes, so memory does not grow with the number of aggregates; a
// handler holds one stripe at a time, or several taken by lockAll in stripe
// order, so sharing cannot deadlock.
type locks struct {
	seed    maphash.Seed
	stripes [1024]sync.Mutex
}

func newLocks() *locks { return &locks{seed: maphash.MakeSeed()} }

func (l *locks) lock(key string) func() {
	m := &l.stripes[l.stripe(key)]
	m.Lock()
	return m.Unlock
}

func (l *locks) stripe(key string) uint64 {
	return maphash.String(l.seed, key) % uint64(len(l.stripes))
}

// lockAll locks every key (a series' promos): the stripes in their order,
// each once, so that two keys sharing a stripe do not lock it twice.
func (l *locks) lockAll(keys []string) func() {
	stripes := make([]uint64, len(keys))
	for i, k := range keys {
		stripes[i] = l.stripe(k)
	}
	slices.Sort(stripes)
	stripes = slices.Compact(stripes)
	for _, s := range stripes {
		l.stripes[s].Lock()
	}
	return func() {
		for _, s := range slices.Backward(stripes) {
			l.stripes[s].Unlock()
		}
	}
}
