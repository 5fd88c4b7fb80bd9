package domain_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/flashpromo/flashpromo/domain"
)

func TestValidationError(t *testing.T) {
	var err error = &domain.ValidationError{Field: "radius_m", Reason: "must be in (0, 50000]"}
	if err.Error() != "radius_m: must be in (0, 50000]" {
		t.Fatalf("Error() = %q", err.Error())
	}
	wrapped := fmt.Errorf("create promo: %w", err)
	var v *domain.ValidationError
	if !errors.Is(wrapped, domain.ErrInvalid) || !errors.As(wrapped, &v) || v.Field != "radius_m" {
		t.Fatalf("%v does not unwrap to ErrInvalid and the field", wrapped)
	}
}

func TestSentinelsAreDistinct(t *testing.T) {
	all := []error{domain.ErrInvalid, domain.ErrPromoNotActive, domain.ErrSoldOut, domain.ErrAlreadyPurchased,
		domain.ErrNotEligible, domain.ErrNotOwner, domain.ErrReservationNotFound, domain.ErrReservationClosed,
		domain.ErrReservationExpired, domain.ErrPromoConflict, domain.ErrUserNotFound}
	for i, a := range all {
		for j, b := range all {
			if i != j && errors.Is(a, b) {
				t.Fatalf("%v is %v", a, b)
			}
		}
	}
}

func TestConflictNamesTheOtherPromo(t *testing.T) {
	l := domain.LoadListing(listingID, nil)
	must(t, l.Claim("techshop", "audifonos-xyz", "p1", startsAt, endsAt))
	err := l.Claim("techshop", "audifonos-xyz", "p2", startsAt, endsAt)
	if !errors.Is(err, domain.ErrPromoConflict) || err.Error() != "promo conflicts with another promo: promo p1 overlaps that window" {
		t.Fatalf("err = %v", err)
	}
}
