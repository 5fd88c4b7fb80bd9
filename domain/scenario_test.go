package domain_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// The promo of API.md's example: 17:00-19:00 in Mexico City (UTC-6).
var (
	startsAt = time.Date(2026, 11, 27, 23, 0, 0, 0, time.UTC)
	endsAt   = time.Date(2026, 11, 28, 1, 0, 0, 0, time.UTC)
	during   = startsAt.Add(30 * time.Minute)
	before   = startsAt.Add(-time.Hour)
	ttl      = time.Minute
)

const promoID = "promo-1"

var (
	techShop = domain.Store{ID: "techshop", Name: "TechShop", Location: domain.Location{Lat: 19.4326, Lng: -99.1332}}
	xyz      = domain.Product{ID: "audifonos-xyz", Name: "Audífonos XYZ"}
	regular  = domain.Money{Amount: 99900, Currency: "MXN"}
	price    = domain.Money{Amount: 49900, Currency: "MXN"}
)

func validSpec() domain.PromoSpec {
	return domain.PromoSpec{
		Store: techShop, Product: xyz, RegularPrice: regular, PromoPrice: price,
		Segments: []domain.Segment{domain.SegmentNewUsers, domain.SegmentFrequentBuyers},
		RadiusM:  2000, StartsAt: startsAt, EndsAt: endsAt, Stock: 50,
	}
}

// created is the PromoCreated of validSpec with the given stock.
func created(stock int) domain.PromoCreated {
	s := validSpec()
	return domain.PromoCreated{PromoID: promoID, Store: s.Store, Product: s.Product,
		RegularPrice: s.RegularPrice, PromoPrice: s.PromoPrice, Segments: s.Segments,
		RadiusM: s.RadiusM, StartsAt: s.StartsAt, EndsAt: s.EndsAt, Stock: stock}
}

// given builds a history: a promo of the given stock, then events.
func given(stock int, events ...domain.Event) []domain.Event {
	return append([]domain.Event{created(stock)}, events...)
}

func placed(resID, user string, expiresAt time.Time) domain.ReservationPlaced {
	return domain.ReservationPlaced{ReservationID: resID, PromoID: promoID, UserID: user,
		ExpiresAt: expiresAt, Price: price}
}

func purchased(resID, user string) domain.PurchaseCompleted {
	return domain.PurchaseCompleted{ReservationID: resID, PromoID: promoID, UserID: user}
}

func released(resID, user string) domain.ReservationReleased {
	return domain.ReservationReleased{ReservationID: resID, PromoID: promoID, UserID: user}
}

func expired(resID, user string) domain.ReservationExpired {
	return domain.ReservationExpired{ReservationID: resID, PromoID: promoID, UserID: user}
}

type recorder interface{ Changes() []domain.Event }

// then checks the outcome of one command: with wantErr, that err matches it
// (errors.Is) and nothing was recorded; without, that err is nil and exactly
// want was recorded.
func then(t *testing.T, agg recorder, err, wantErr error, want ...domain.Event) {
	t.Helper()
	got := agg.Changes()
	if wantErr != nil {
		if !errors.Is(err, wantErr) {
			t.Fatalf("error = %v, want %v", err, wantErr)
		}
		if len(got) != 0 {
			t.Fatalf("a refused command recorded %#v", got)
		}
		return
	}
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("recorded\n  %#v\nwant\n  %#v", got, want)
	}
}

// wantField checks that err is a *ValidationError naming field.
func wantField(t *testing.T, err error, field string) {
	t.Helper()
	var v *domain.ValidationError
	if !errors.As(err, &v) || !errors.Is(err, domain.ErrInvalid) {
		t.Fatalf("error = %v, want a *ValidationError", err)
	}
	if v.Field != field {
		t.Fatalf("field = %q (%v), want %q", v.Field, err, field)
	}
}
