// Package domain holds the rules of Flash Promo: promos and their holds, the
// listing guard, users and their segments, and notifications. It imports only
// the standard library and takes time as a parameter, never from the clock.
package domain

import (
	"errors"
	"time"
)

// Sentinels, one per rule that can refuse a command. app/ sorts them into
// kinds (invalid, not found, conflict, forbidden, gone) with errors.Is.
var (
	ErrInvalid             = errors.New("invalid")
	ErrPromoNotActive      = errors.New("promo is not active")
	ErrSoldOut             = errors.New("promo is sold out")
	ErrAlreadyPurchased    = errors.New("user already purchased this promo")
	ErrNotEligible         = errors.New("user is not eligible for this promo")
	ErrNotOwner            = errors.New("reservation belongs to another user")
	ErrReservationNotFound = errors.New("reservation not found")
	ErrReservationClosed   = errors.New("reservation is closed")
	ErrReservationExpired  = errors.New("reservation expired")
	ErrPromoConflict       = errors.New("promo conflicts with another promo")
	ErrHoldCooldown        = errors.New("this user's hold ran out unused a moment ago")
	// ErrUserNotFound guards behaviour on a user that was never registered;
	// app/ should have answered 404 before reaching the domain.
	ErrUserNotFound = errors.New("user not found")
)

// HoldCooldownError refuses a user who let a hold of the promo run out
// less than the cooldown ago; Wait is how long until Until, when they may
// hold it again.
type HoldCooldownError struct {
	Until time.Time
	Wait  time.Duration
}

func (e *HoldCooldownError) Error() string {
	return ErrHoldCooldown.Error() + ": hold it again from " + e.Until.UTC().Format(time.RFC3339)
}

// Unwrap lets callers test errors.Is(err, ErrHoldCooldown).
func (e *HoldCooldownError) Unwrap() error { return ErrHoldCooldown }

// ValidationError names the JSON field of a bad value, so the API can say
// which one it refused.
type ValidationError struct {
	Field  string
	Reason string
}

func (e *ValidationError) Error() string { return e.Field + ": " + e.Reason }

// Unwrap lets callers test errors.Is(err, ErrInvalid) without knowing fields.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

func invalid(field, reason string) *ValidationError {
	return &ValidationError{Field: field, Reason: reason}
}

// under prefixes a nested value's field with its parent, e.g. "lat" under
// "store.location" becomes "store.location.lat".
func under(parent string, err error) error {
	var v *ValidationError
	if err == nil || !errors.As(err, &v) {
		return err
	}
	return invalid(parent+"."+v.Field, v.Reason)
}
