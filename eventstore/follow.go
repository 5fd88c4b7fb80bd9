package eventstore

import (
	"context"
	"fmt"
	"time"
)

// Follow tails the log from the cursor after from: it hands every page of up
// to batch events to handle, in log order, until ctx ends (ctx.Err()) or
// handle fails (its error). After a short page it waits for an append of
// this process or for poll, which also catches appends of other processes.
// A failed read is retried after poll, so a database outage only pauses it.
func Follow(ctx context.Context, s Store, from Cursor, batch int, poll time.Duration,
	handle func(ctx context.Context, events []Event) error) error {
	if batch <= 0 || poll <= 0 {
		return fmt.Errorf("%w: follow with batch %d, poll %v", ErrInvalidArgument, batch, poll)
	}
	cursor := from
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		// Take the channel before reading so an append in between still wakes us.
		appended := s.Appended()
		events, err := s.ReadSince(ctx, cursor, batch)
		if err != nil {
			appended = nil // a read error waits for poll only
		}
		if len(events) > 0 {
			if err := handle(ctx, events); err != nil {
				return err
			}
			cursor = events[len(events)-1].Cursor
		}
		if err == nil && len(events) == batch {
			continue // a full page: there may be more right now
		}
		if err := wait(ctx, appended, poll); err != nil {
			return err
		}
	}
}

// wait returns when appended is closed, poll has passed, or ctx ends.
func wait(ctx context.Context, appended <-chan struct{}, poll time.Duration) error {
	timer := time.NewTimer(poll)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-appended:
	case <-timer.C:
	}
	return nil
}
