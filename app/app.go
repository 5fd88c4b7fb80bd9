// Package app holds the use cases: one handler per command and per query.
// It decides nothing itself: the domain decides, app loads, saves and asks.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// Clock tells the time; tests and the scheduler move it.
type Clock interface{ Now() time.Time }

// SystemClock is the wall clock.
type SystemClock struct{}

func (SystemClock) Now() time.Time { return time.Now() }

// Config holds the rules the operator sets.
type Config struct {
	HoldTTL time.Duration
	Zone    *time.Location // bounds the calendar day of "one notification a day"
	Rules   domain.SegmentRules

	// ReholdCooldown: after a user's hold ran out unused, how long before
	// they may hold that promo again (0: at once).
	ReholdCooldown time.Duration
}

// Aggregate is what a Repository saves.
type Aggregate interface {
	ID() string
	Version() int64
	Changes() []domain.Event
	Commit()
}

// ErrConcurrent means another writer changed an aggregate first; reload and retry.
var ErrConcurrent = errors.New("changed concurrently")

// Repository is every store the handlers write, in one value for New:
// aggregates loaded from their streams and saved with the versions they
// expect (ErrConcurrent otherwise), and notifications recorded unless their
// user had one that day. Each handler names the part it needs.
type Repository interface {
	seriesStore
	userStore
	notifier
}

// Written is where a save left the log, opaque to app: it only hands it
// from the repository to Sync, so that a command reads its own writes. It
// is nil when nothing was written.
type Written interface{}

// Sync lets a command wait until the read models have seen its events, so
// a client reads its own writes.
type Sync interface {
	WaitFor(ctx context.Context, w Written) error
}

// IDs makes new identifiers.
type IDs func() string

// retry runs f again while it fails with ErrConcurrent, a few times at most.
func retry(f func() error) error {
	var err error
	for range 8 {
		if err = f(); !errors.Is(err, ErrConcurrent) {
			return err
		}
	}
	return err
}

// waitRead waits briefly for the read models; the write stands either way.
func waitRead(ctx context.Context, s Sync, w Written) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	_ = s.WaitFor(ctx, w)
}
