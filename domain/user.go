package domain

import (
	"slices"
	"time"
)

// User is what the service knows of a marketplace user: when they registered,
// where they were last, and what they bought — the inputs of segments.
type User struct {
	root
	registeredAt time.Time
	location     Location
	located      bool
	purchases    []time.Time         // in recorded order
	purchaseIDs  map[string]struct{} // so a repeated report counts once
}

func newUser() *User { return &User{purchaseIDs: map[string]struct{}{}} }

// RegisterUser records a new user, and their location when given.
func RegisterUser(id string, registeredAt time.Time, loc *Location, now time.Time) (*User, error) {
	if err := validateID("user_id", id); err != nil {
		return nil, err
	}
	if err := validateRegistration(registeredAt, loc, now); err != nil {
		return nil, err
	}
	u := newUser()
	u.record(UserRegistered{UserID: id, RegisteredAt: registeredAt.UTC()})
	if loc != nil {
		u.record(UserLocationUpdated{UserID: id, Location: *loc})
	}
	return u, nil
}

// LoadUser rehydrates a user from their stream.
func LoadUser(history []Event) *User {
	u := newUser()
	for _, e := range history {
		u.apply(e)
	}
	u.loaded(len(history))
	return u
}

func validateRegistration(registeredAt time.Time, loc *Location, now time.Time) error {
	if err := validatePast("registered_at", registeredAt, now); err != nil {
		return err
	}
	if loc != nil {
		return under("location", loc.Validate())
	}
	return nil
}

// Update is the "update" half of register-or-update: it records only what
// changed, so a repeated bulk load adds no events.
func (u *User) Update(registeredAt time.Time, loc *Location, now time.Time) error {
	if u.id == "" {
		return ErrUserNotFound
	}
	if err := validateRegistration(registeredAt, loc, now); err != nil {
		return err
	}
	if !registeredAt.Equal(u.registeredAt) {
		u.record(UserRegistered{UserID: u.id, RegisteredAt: registeredAt.UTC()})
	}
	if loc != nil {
		u.moveTo(*loc)
	}
	return nil
}

// MoveTo records the user's last known location (no event when unchanged).
func (u *User) MoveTo(loc Location) error {
	if u.id == "" {
		return ErrUserNotFound
	}
	if err := loc.Validate(); err != nil {
		return err
	}
	u.moveTo(loc)
	return nil
}

func (u *User) moveTo(loc Location) {
	if u.located && u.location == loc {
		return
	}
	u.record(UserLocationUpdated{UserID: u.id, Location: loc})
}

// RecordPurchase notes a marketplace purchase; the marketplace may report the
// same one twice, and it counts once.
func (u *User) RecordPurchase(purchaseID string, at time.Time, now time.Time) error {
	if u.id == "" {
		return ErrUserNotFound
	}
	if err := validateText("purchase_id", purchaseID); err != nil {
		return err
	}
	if err := validatePast("purchased_at", at, now); err != nil {
		return err
	}
	if _, seen := u.purchaseIDs[purchaseID]; seen {
		return nil
	}
	u.record(UserPurchaseRecorded{UserID: u.id, PurchaseID: purchaseID, PurchasedAt: at.UTC()})
	return nil
}

// RegisteredAt is when the user registered in the marketplace.
func (u *User) RegisteredAt() time.Time { return u.registeredAt }

// Location is the last known location; false when none was ever given.
func (u *User) Location() (Location, bool) { return u.location, u.located }

// Profile is the compact view segments are computed from.
func (u *User) Profile() Profile {
	return Profile{RegisteredAt: u.registeredAt, Purchases: slices.Clone(u.purchases)}
}

func (u *User) record(e Event) {
	u.apply(e)
	u.changes = append(u.changes, e)
}

// apply is the only place that changes a user's state.
func (u *User) apply(e Event) {
	switch e := e.(type) {
	case UserRegistered:
		u.id, u.registeredAt = e.UserID, e.RegisteredAt
	case UserLocationUpdated:
		u.location, u.located = e.Location, true
	case UserPurchaseRecorded:
		if _, seen := u.purchaseIDs[e.PurchaseID]; !seen {
			if u.purchaseIDs == nil { // a zero User
				u.purchaseIDs = map[string]struct{}{}
			}
			u.purchaseIDs[e.PurchaseID] = struct{}{}
			u.purchases = append(u.purchases, e.PurchasedAt)
		}
	}
}
