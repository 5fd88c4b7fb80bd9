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
//
// While handle works on a full page, the next page is already being read
// (from the cursor of the page's last event, as a read after handle would),
// so a long catch-up overlaps the database's work with the handler's.
func Follow(ctx context.Context, s Store, from Cursor, batch int, poll time.Duration,
	handle func(ctx context.Context, events []Event) error) error {
	if batch <= 0 || poll <= 0 {
		return fmt.Errorf("%w: follow with batch %d, poll %v", ErrInvalidArgument, batch, poll)
	}
	reads, stop := context.WithCancel(ctx)
	var inFlight chan page
	defer func() { // the read ahead ends with Follow
		stop()
		if inFlight != nil {
			<-inFlight
		}
	}()
	cursor := from
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		if inFlight == nil {
			inFlight = readPage(reads, s, cursor, batch)
		}
		p := <-inFlight
		inFlight = nil
		full := p.err == nil && len(p.events) == batch
		if len(p.events) > 0 {
			cursor = p.events[len(p.events)-1].Cursor
			if full {
				inFlight = readPage(reads, s, cursor, batch)
			}
			if err := handle(ctx, p.events); err != nil {
				return err
			}
		}
		if full {
			continue // a full page: there may be more right now
		}
		appended := p.appended
		if p.err != nil {
			appended = nil // a read error waits for poll only
		}
		if err := wait(ctx, appended, poll); err != nil {
			return err
		}
	}
}

// page is one read of the log, with the channel of appends taken before it.
type page struct {
	events   []Event
	err      error
	appended <-chan struct{}
}

// readPage reads the page after cursor in the background.
func readPage(ctx context.Context, s Store, cursor Cursor, batch int) chan page {
	done := make(chan page, 1)
	// Take the channel before reading so an append in between still wakes us.
	appended := s.Appended()
	go func() {
		events, err := s.ReadSince(ctx, cursor, batch)
		done <- page{events: events, err: err, appended: appended}
	}()
	return done
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
