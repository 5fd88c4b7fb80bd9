package domain_test

import (
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

var listingID = domain.ListingID("techshop", "audifonos-xyz")

func slot(promo string, from, to time.Time) domain.PromoSlotClaimed {
	return domain.PromoSlotClaimed{StoreID: "techshop", ProductID: "audifonos-xyz", PromoID: promo, StartsAt: from, EndsAt: to}
}

func slotReleased(promo string) domain.PromoSlotReleased {
	return domain.PromoSlotReleased{StoreID: "techshop", ProductID: "audifonos-xyz", PromoID: promo}
}

func TestListingIDIsUnambiguous(t *testing.T) {
	pairs := [][2]string{{"a-b", "c"}, {"a", "b-c"}, {"a", "b"}, {"1-a", "b"}, {"", "1-a-b"}, {"1", "a-b"}}
	seen := map[string][2]string{}
	for _, p := range pairs {
		id := domain.ListingID(p[0], p[1])
		if other, ok := seen[id]; ok {
			t.Fatalf("%v and %v share listing id %q", p, other, id)
		}
		seen[id] = p
	}
	if domain.ListingID("s", "p") != domain.ListingID("s", "p") {
		t.Fatal("ListingID is not stable")
	}
}

func TestClaim(t *testing.T) {
	a, b, c := startsAt, endsAt, endsAt.Add(2*time.Hour)
	tests := []struct {
		name     string
		given    []domain.Event
		promo    string
		from, to time.Time
		wantErr  error
		want     []domain.Event
	}{
		{"first claim", nil, "p1", a, b, nil, []domain.Event{slot("p1", a, b)}},
		{"same window conflicts", []domain.Event{slot("p1", a, b)}, "p2", a, b, domain.ErrPromoConflict, nil},
		{"partial overlap conflicts", []domain.Event{slot("p1", a, b)}, "p2", a.Add(time.Hour), c, domain.ErrPromoConflict, nil},
		{"a window inside conflicts", []domain.Event{slot("p1", a, c)}, "p2", b, b.Add(time.Minute), domain.ErrPromoConflict, nil},
		{"a window around conflicts", []domain.Event{slot("p1", b, b.Add(time.Minute))}, "p2", a, c, domain.ErrPromoConflict, nil},
		{"adjacent after does not conflict", []domain.Event{slot("p1", a, b)}, "p2", b, c, nil, []domain.Event{slot("p2", b, c)}},
		{"adjacent before does not conflict", []domain.Event{slot("p1", b, c)}, "p2", a, b, nil, []domain.Event{slot("p2", a, b)}},
		{"a released claim does not conflict", []domain.Event{slot("p1", a, b), slotReleased("p1")}, "p2", a, b, nil,
			[]domain.Event{slot("p2", a, b)}},
		{"claiming again is a no-op", []domain.Event{slot("p1", a, b)}, "p1", a, b, nil, nil},
		{"claiming again after another claim is a no-op", []domain.Event{slot("p1", a, b), slot("p2", b, c)}, "p1", a, b, nil, nil},
		{"empty window", nil, "p1", a, a, domain.ErrInvalid, nil},
		{"no promo", nil, "", a, b, domain.ErrInvalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := domain.LoadListing(listingID, tt.given)
			err := l.Claim("techshop", "audifonos-xyz", tt.promo, tt.from, tt.to)
			then(t, l, err, tt.wantErr, tt.want...)
		})
	}
}

func TestClaimOfAnotherListingIsRefused(t *testing.T) {
	l := domain.LoadListing(listingID, nil)
	err := l.Claim("techshop", "other", "p1", startsAt, endsAt)
	then(t, l, err, domain.ErrInvalid)
}

func TestClaimKeepsTimesInUTC(t *testing.T) {
	l := domain.LoadListing(listingID, nil)
	cdmx := time.FixedZone("CST", -6*3600)
	err := l.Claim("techshop", "audifonos-xyz", "p1", startsAt.In(cdmx), endsAt.In(cdmx))
	then(t, l, err, nil, slot("p1", startsAt, endsAt))
}

func TestListingRelease(t *testing.T) {
	tests := []struct {
		name  string
		given []domain.Event
		want  []domain.Event
	}{
		{"releases a claim", []domain.Event{slot("p1", startsAt, endsAt)}, []domain.Event{slotReleased("p1")}},
		{"nothing to release", nil, nil},
		{"already released", []domain.Event{slot("p1", startsAt, endsAt), slotReleased("p1")}, nil},
		{"another promo's claim stays", []domain.Event{slot("p2", startsAt, endsAt)}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := domain.LoadListing(listingID, tt.given)
			l.Release("p1")
			then(t, l, nil, nil, tt.want...)
			if l.Claimed("p1") {
				t.Fatal("p1 still holds a claim")
			}
		})
	}
}

func TestListingVersion(t *testing.T) {
	l := domain.LoadListing(listingID, []domain.Event{slot("p1", startsAt, endsAt), slotReleased("p1")})
	if l.ID() != listingID || l.Version() != 2 {
		t.Fatalf("id %q version %d", l.ID(), l.Version())
	}
}
