package domain_test

import (
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

var (
	userNow    = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	registered = userNow.Add(-10 * 24 * time.Hour)
	home       = domain.Location{Lat: 19.43, Lng: -99.13}
	work       = domain.Location{Lat: 19.44, Lng: -99.14}
)

func userRegistered(at time.Time) domain.UserRegistered {
	return domain.UserRegistered{UserID: "ana", RegisteredAt: at}
}

func movedTo(l domain.Location) domain.UserLocationUpdated {
	return domain.UserLocationUpdated{UserID: "ana", Location: l}
}

func bought(id string, at time.Time) domain.UserPurchaseRecorded {
	return domain.UserPurchaseRecorded{UserID: "ana", PurchaseID: id, PurchasedAt: at}
}

func TestRegisterUser(t *testing.T) {
	skew := userNow.Add(time.Minute)
	bad := domain.Location{Lat: 0, Lng: 181}
	tests := []struct {
		name  string
		id    string
		at    time.Time
		loc   *domain.Location
		field string
		want  []domain.Event
	}{
		{"without location", "ana", registered, nil, "", []domain.Event{userRegistered(registered)}},
		{"with location", "ana", registered, &home, "", []domain.Event{userRegistered(registered), movedTo(home)}},
		{"a minute ahead is clock skew", "ana", skew, nil, "", []domain.Event{userRegistered(skew)}},
		{"kept in UTC", "ana", registered.In(time.FixedZone("", 3600)), nil, "", []domain.Event{userRegistered(registered)}},
		{"empty id", "", registered, nil, "user_id", nil},
		{"bad id", "ana bob", registered, nil, "user_id", nil},
		{"no registration time", "ana", time.Time{}, nil, "registered_at", nil},
		{"in the future", "ana", skew.Add(time.Nanosecond), nil, "registered_at", nil},
		{"bad location", "ana", registered, &bad, "location.lng", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := domain.RegisterUser(tt.id, tt.at, tt.loc, userNow)
			if tt.field != "" {
				wantField(t, err, tt.field)
				return
			}
			then(t, u, err, nil, tt.want...)
			if u.ID() != "ana" || u.Version() != 0 {
				t.Fatalf("id %q version %d", u.ID(), u.Version())
			}
		})
	}
}

func TestUserUpdate(t *testing.T) {
	later := registered.Add(time.Hour)
	tests := []struct {
		name    string
		given   []domain.Event
		at      time.Time
		loc     *domain.Location
		wantErr error
		want    []domain.Event
	}{
		{"nothing changed", []domain.Event{userRegistered(registered), movedTo(home)}, registered, &home, nil, nil},
		{"same instant in another zone", []domain.Event{userRegistered(registered)}, registered.In(time.FixedZone("", 7200)), nil, nil, nil},
		{"no location given keeps the old one", []domain.Event{userRegistered(registered), movedTo(home)}, registered, nil, nil, nil},
		{"registration corrected", []domain.Event{userRegistered(registered)}, later, nil, nil,
			[]domain.Event{userRegistered(later)}},
		{"first location", []domain.Event{userRegistered(registered)}, registered, &home, nil, []domain.Event{movedTo(home)}},
		{"moved", []domain.Event{userRegistered(registered), movedTo(home)}, later, &work, nil,
			[]domain.Event{userRegistered(later), movedTo(work)}},
		{"future registration", []domain.Event{userRegistered(registered)}, userNow.Add(time.Hour), nil, domain.ErrInvalid, nil},
		{"never registered", nil, registered, nil, domain.ErrUserNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := domain.LoadUser(tt.given)
			then(t, u, u.Update(tt.at, tt.loc, userNow), tt.wantErr, tt.want...)
		})
	}
}

func TestMoveTo(t *testing.T) {
	tests := []struct {
		name    string
		given   []domain.Event
		to      domain.Location
		wantErr error
		want    []domain.Event
	}{
		{"first location", []domain.Event{userRegistered(registered)}, home, nil, []domain.Event{movedTo(home)}},
		{"moved", []domain.Event{userRegistered(registered), movedTo(home)}, work, nil, []domain.Event{movedTo(work)}},
		{"unchanged, no event", []domain.Event{userRegistered(registered), movedTo(home)}, home, nil, nil},
		{"off the globe", []domain.Event{userRegistered(registered)}, domain.Location{Lat: -90.5}, domain.ErrInvalid, nil},
		{"never registered", nil, home, domain.ErrUserNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := domain.LoadUser(tt.given)
			then(t, u, u.MoveTo(tt.to), tt.wantErr, tt.want...)
		})
	}
}

func TestRecordPurchase(t *testing.T) {
	at := userNow.Add(-time.Hour)
	reg := userRegistered(registered)
	tests := []struct {
		name    string
		given   []domain.Event
		id      string
		at      time.Time
		wantErr error
		want    []domain.Event
	}{
		{"records", []domain.Event{reg}, "o1", at, nil, []domain.Event{bought("o1", at)}},
		{"kept in UTC", []domain.Event{reg}, "o1", at.In(time.FixedZone("", -3600)), nil, []domain.Event{bought("o1", at)}},
		{"same purchase twice counts once", []domain.Event{reg, bought("o1", at)}, "o1", at, nil, nil},
		{"same id, other time, still once", []domain.Event{reg, bought("o1", at)}, "o1", at.Add(-time.Hour), nil, nil},
		{"another purchase", []domain.Event{reg, bought("o1", at)}, "o2", at, nil, []domain.Event{bought("o2", at)}},
		{"a minute ahead is clock skew", []domain.Event{reg}, "o1", userNow.Add(time.Minute), nil,
			[]domain.Event{bought("o1", userNow.Add(time.Minute))}},
		{"no purchase id", []domain.Event{reg}, "", at, domain.ErrInvalid, nil},
		{"no time", []domain.Event{reg}, "o1", time.Time{}, domain.ErrInvalid, nil},
		{"in the future", []domain.Event{reg}, "o1", userNow.Add(2 * time.Minute), domain.ErrInvalid, nil},
		{"never registered", nil, "o1", at, domain.ErrUserNotFound, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := domain.LoadUser(tt.given)
			then(t, u, u.RecordPurchase(tt.id, tt.at, userNow), tt.wantErr, tt.want...)
		})
	}
}

func TestUserGetters(t *testing.T) {
	t1, t2 := userNow.Add(-time.Hour), userNow.Add(-2*time.Hour)
	u := domain.LoadUser([]domain.Event{userRegistered(registered), movedTo(home), bought("o1", t1), bought("o2", t2), bought("o1", t1)})
	if u.ID() != "ana" || u.Version() != 5 || !u.RegisteredAt().Equal(registered) {
		t.Fatalf("id %q version %d registered %v", u.ID(), u.Version(), u.RegisteredAt())
	}
	if loc, ok := u.Location(); !ok || loc != home {
		t.Fatalf("location %v %v", loc, ok)
	}
	p := u.Profile()
	if !p.RegisteredAt.Equal(registered) || len(p.Purchases) != 2 || !p.Purchases[0].Equal(t1) || !p.Purchases[1].Equal(t2) {
		t.Fatalf("profile %+v", p)
	}
	if _, ok := domain.LoadUser([]domain.Event{userRegistered(registered)}).Location(); ok {
		t.Fatal("a user never located has a location")
	}
}
