package app

import (
	"context"
	"errors"
)

// Tick is the scheduler's beat: activate and end the promos whose time has
// come. Every instance ticks; the version check lets one record each event.
type Tick struct{}

// Ticked counts what a tick did.
type Ticked struct{ Activated, Ended int }

func (a *promoDesk) tick(ctx context.Context, _ Tick) (Ticked, error) {
	var t Ticked
	activate, end := a.read.Due(a.clock.Now())
	var errs []error
	for _, id := range activate {
		if _, err := a.activatePromo(ctx, ActivatePromo{id}); err != nil {
			errs = append(errs, err)
			continue
		}
		t.Activated++
	}
	for _, id := range end {
		if _, err := a.endPromo(ctx, EndPromo{id}); err != nil {
			errs = append(errs, err)
			continue
		}
		t.Ended++
	}
	return t, errors.Join(errs...)
}
