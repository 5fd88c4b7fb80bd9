package readmodel

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
)

// Snapshots keeps a copy of each read model with the cursor it was taken
// at, so a start loads the copies and reads only the log after them. The
// Postgres event store is one; the in-memory store needs none, since its log
// dies with the process.
type Snapshots interface {
	// SaveSnapshot replaces the snapshot called name with the bytes write
	// writes, in one transaction.
	SaveSnapshot(ctx context.Context, name string, format int, at eventstore.Cursor, write func(io.Writer) error) error
	// LoadSnapshot calls read with the snapshot called name; false if there
	// is none.
	LoadSnapshot(ctx context.Context, name string, read func(format int, at eventstore.Cursor, r io.Reader) error) (bool, error)
}

// SnapshotPolicy says when the models are saved: once the reader has caught
// up with the log, at most every Interval and only when at least Events
// events were read since the last save; and when Run ends, if anything was
// read since. A zero Interval turns snapshots off, loading included.
type SnapshotPolicy struct {
	Interval time.Duration
	Events   int
}

// saveByPolicy saves the models, until ctx ends, whenever the policy says:
// the reader has caught up with the log (a save in the middle of a long
// catch-up would soon be stale), Events were read since the last save, and
// Interval has passed since it.
func (rm *ReadModel) saveByPolicy(ctx context.Context, read *atomic.Int64) {
	var saved time.Time
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if read.Load() < int64(rm.policy.Events) || time.Since(saved) < rm.policy.Interval {
			continue
		}
		head, err := rm.store.Head(ctx)
		if err != nil || rm.behind(head) {
			continue
		}
		read.Store(0)
		saved = time.Now()
		rm.saveAll(context.WithoutCancel(ctx))
	}
}

// snapshotFormat is the layout of every model's bytes; a snapshot of
// another format is ignored and the model replayed from the log. Change it
// whenever a model's encoding or meaning changes.
const snapshotFormat = 5

// UseSnapshots makes Run start from the models' snapshots and save them by
// the policy. Call it before Run.
func (rm *ReadModel) UseSnapshots(s Snapshots, p SnapshotPolicy) {
	if p.Interval <= 0 {
		return
	}
	rm.snapshots, rm.policy = s, p
}

// restore loads every model's snapshot and returns where the shared reader
// starts: the oldest of their cursors (the start of the log if one has no
// usable snapshot).
func (rm *ReadModel) restore(ctx context.Context) eventstore.Cursor {
	models := rm.snapshotters()
	at := make([]eventstore.Cursor, len(models))
	var g sync.WaitGroup
	for i, r := range models {
		g.Go(func() {
			var err error
			if at[i], err = r.restore(ctx, rm.snapshots); err != nil {
				rm.log.Warn("read model snapshot unusable; replaying the log", "model", r.modelName(), "err", err)
			}
		})
	}
	g.Wait()
	return slices.MinFunc(at, func(a, b eventstore.Cursor) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
}

// saveAll snapshots every model, each at its own cursor, unless a save is
// running already. Each copy is taken under its runner's lock, which holds
// the live reader back for the time of a copy, not of the encoding.
func (rm *ReadModel) saveAll(ctx context.Context) {
	if rm.snapshots == nil || !rm.saving.TryLock() {
		return
	}
	defer rm.saving.Unlock()
	start := time.Now()
	for _, r := range rm.snapshotters() {
		if err := r.save(ctx, rm.snapshots); err != nil {
			rm.log.Error("read model snapshot not saved", "model", r.modelName(), "err", err)
			return
		}
	}
	rm.log.Info("read model snapshots saved", "took", time.Since(start).Round(time.Millisecond))
}

type snapshotter interface {
	modelName() string
	restore(context.Context, Snapshots) (eventstore.Cursor, error)
	save(context.Context, Snapshots) error
}

func (rm *ReadModel) snapshotters() []snapshotter {
	return []snapshotter{rm.promos, rm.users, rm.notifications}
}

// snapshotting is what a model does for snapshots: freeze takes a
// consistent copy under the runner's lock (cheaply: most of a model only
// grows) and returns what encodes it later without the lock; thaw fills an
// empty model.
type snapshotting interface {
	freeze() func(*snapWriter)
	thaw(*snapReader)
}

func (r *runner[M]) modelName() string { return r.name }

func (r *runner[M]) save(ctx context.Context, s Snapshots) error {
	m, ok := any(r.current()).(snapshotting)
	if !ok {
		return nil
	}
	r.mu.Lock()
	at, encode := r.cursor, m.freeze()
	r.mu.Unlock()
	if at == (eventstore.Cursor{}) {
		return nil // nothing folded yet
	}
	return s.SaveSnapshot(ctx, r.name, snapshotFormat, at, func(w io.Writer) error {
		sw := newSnapWriter(w)
		encode(sw)
		return sw.close()
	})
}

// restore puts the model of the snapshot in place, with its cursor; on any
// error the model stays empty at the start of the log.
func (r *runner[M]) restore(ctx context.Context, s Snapshots) (eventstore.Cursor, error) {
	if _, ok := any(r.current()).(snapshotting); !ok {
		return eventstore.Cursor{}, nil
	}
	start := time.Now()
	m := r.fresh()
	var at eventstore.Cursor
	found, err := s.LoadSnapshot(ctx, r.name, func(format int, c eventstore.Cursor, rd io.Reader) error {
		if format != snapshotFormat {
			return fmt.Errorf("format %d, this build reads %d", format, snapshotFormat)
		}
		sr := newSnapReader(rd)
		any(m).(snapshotting).thaw(sr)
		at = c
		return sr.close()
	})
	if err != nil || !found {
		return eventstore.Cursor{}, err
	}
	r.mu.Lock()
	r.model.Store(m)
	r.cursor = at
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.mu.Unlock()
	r.log.Info("read model restored from its snapshot", "model", r.name, "position", at.Position,
		"took", time.Since(start).Round(time.Millisecond))
	return at, nil
}
