package app

import (
	"context"
	"errors"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// Kind sorts errors for the ports: each kind is one HTTP status.
type Kind int

const (
	KindInternal Kind = iota
	KindInvalid
	KindNotFound
	KindForbidden
	KindConflict
	KindGone
	KindUnavailable
)

var (
	// ErrNotFound: no such promo, user or reservation.
	ErrNotFound = errors.New("not found")
	// ErrUnknownPosition: an events page after a position that names no event.
	ErrUnknownPosition = errors.New("after: no event at that position")
	// ErrUnavailable: a backing service (the database) cannot be reached.
	ErrUnavailable = errors.New("a backing service is unavailable, retry later")
)

// Problem is an error sorted into a kind with the contract's code.
type Problem struct {
	Kind Kind
	Code string
	Err  error
}

func (p *Problem) Error() string { return p.Err.Error() }
func (p *Problem) Unwrap() error { return p.Err }

var codes = []struct {
	err  error
	kind Kind
	code string
}{
	{domain.ErrInvalid, KindInvalid, "invalid_request"},
	{ErrNotFound, KindNotFound, "not_found"},
	{domain.ErrReservationNotFound, KindNotFound, "not_found"},
	{domain.ErrUserNotFound, KindNotFound, "not_found"},
	{domain.ErrNotEligible, KindForbidden, "not_eligible"},
	{domain.ErrNotOwner, KindForbidden, "not_owner"},
	{domain.ErrSoldOut, KindConflict, "sold_out"},
	{domain.ErrPromoNotActive, KindConflict, "promo_not_active"},
	{domain.ErrPromoConflict, KindConflict, "promo_conflict"},
	{domain.ErrAlreadyPurchased, KindConflict, "already_purchased"},
	{domain.ErrHoldCooldown, KindConflict, "hold_cooldown"},
	{domain.ErrReservationClosed, KindConflict, "reservation_closed"},
	{domain.ErrReservationExpired, KindGone, "reservation_expired"},
	{ErrUnknownPosition, KindInvalid, "invalid_request"},
	{ErrUnavailable, KindUnavailable, "unavailable"},
	{ErrConcurrent, KindUnavailable, "unavailable"}, // lost every retry to other writers: retry later
	{context.DeadlineExceeded, KindUnavailable, "unavailable"},
}

// Classify returns the kind and code of err; unknown errors are internal.
func Classify(err error) (Kind, string) {
	var p *Problem
	if errors.As(err, &p) {
		return p.Kind, p.Code
	}
	for _, c := range codes {
		if errors.Is(err, c.err) {
			return c.kind, c.code
		}
	}
	return KindInternal, "internal"
}

// RetryAfter is how long the caller of a refused command should wait
// before trying again, when the refusal says so (a hold's cooldown).
func RetryAfter(err error) (time.Duration, bool) {
	var cd *domain.HoldCooldownError
	if errors.As(err, &cd) {
		return cd.Wait, true
	}
	return 0, false
}

// Invalid is a bad-input error naming what is wrong.
func Invalid(field, reason string) error {
	return &domain.ValidationError{Field: field, Reason: reason}
}
