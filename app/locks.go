package app

import (
	"hash/maphash"
	"sync"
)

// locks serialise commands on one aggregate inside the process, so that
// they do not fail each other's version checks and a cached aggregate is
// touched by one goroutine at a time. A promo's batches (promoqueue.go) run
// under its lock, which keeps its creation out of them. The version check
// stays the guard between processes. Keys share a fixed
// set of stripes, so memory does not grow with the number of aggregates; a
// handler holds one stripe at a time, so sharing cannot deadlock.
type locks struct {
	seed    maphash.Seed
	stripes [1024]sync.Mutex
}

func newLocks() *locks { return &locks{seed: maphash.MakeSeed()} }

func (l *locks) lock(key string) func() {
	m := &l.stripes[maphash.String(l.seed, key)%uint64(len(l.stripes))]
	m.Lock()
	return m.Unlock
}
