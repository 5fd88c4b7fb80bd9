package domain

import (
	"slices"
	"strings"
	"time"
)

// ReservationStatus is where a hold is in its life.
type ReservationStatus string

const (
	ReservationStatusHeld      ReservationStatus = "held"
	ReservationStatusPurchased ReservationStatus = "purchased"
	ReservationStatusReleased  ReservationStatus = "released"
	ReservationStatusExpired   ReservationStatus = "expired"
)

// Reservation is a hold of one unit by one user. Status is as recorded: a
// hold whose time ran out stays "held" until the sweeper records it, so ask
// StatusAt for what a user sees.
type Reservation struct {
	ID        string
	PromoID   string
	UserID    string
	Price     Money
	ExpiresAt time.Time
	Status    ReservationStatus
}

// StatusAt is the status as of now: a hold is expired from ExpiresAt on,
// whether or not ReservationExpired was recorded.
func (r Reservation) StatusAt(now time.Time) ReservationStatus {
	if r.Status == ReservationStatusHeld && !now.Before(r.ExpiresAt) {
		return ReservationStatusExpired
	}
	return r.Status
}

// live: held and not run out at now.
func (r Reservation) live(now time.Time) bool {
	return r.StatusAt(now) == ReservationStatusHeld
}

// ReserveRequest is one user's attempt to hold a unit. Eligible is decided by
// app/ from segments and distance, which live outside the promo stream.
type ReserveRequest struct {
	ReservationID string
	UserID        string
	Eligible      bool
	Now           time.Time
	TTL           time.Duration
	// Cooldown is how long after a hold of this user ran out unused the
	// user may not hold this promo again; 0 turns it off.
	Cooldown time.Duration
}

// StockLevel is the promo's units as of a moment.
type StockLevel struct {
	Total, Held, Sold, Available int
}

// holds is the reservation part of a promo's state, indexed so that a flash
// crowd on one promo costs no scans of every reservation.
type holds struct {
	list   []Reservation    // placement order
	index  map[string]int   // reservation id -> position in list
	byUser map[string][]int // user id -> positions in list
	units  Units
	bought map[string]bool // users who bought a unit
}

func newHolds() holds {
	return holds{index: map[string]int{}, byUser: map[string][]int{},
		bought: map[string]bool{}}
}

// Units is what a promo's stream recorded of its stock: the units sold and
// the expiries of the holds recorded as held, sorted. The aggregate and the
// read side's record of a promo each keep one, and read the stock from it
// by the one rule, At.
type Units struct {
	sold int
	open []time.Time
}

// Hold counts a hold placed, running out at expiresAt.
func (u *Units) Hold(expiresAt time.Time) {
	at, _ := slices.BinarySearchFunc(u.open, expiresAt, time.Time.Compare)
	u.open = slices.Insert(u.open, at, expiresAt) // usually at the end: holds share one TTL
}

// Close counts a hold recorded as held, running out at expiresAt, closed:
// bought, or else released or expired.
func (u *Units) Close(expiresAt time.Time, bought bool) {
	if at, found := slices.BinarySearchFunc(u.open, expiresAt, time.Time.Compare); found {
		u.open = slices.Delete(u.open, at, at+1)
	}
	if bought {
		u.sold++
	}
}

// Sold is the number of units bought.
func (u *Units) Sold() int { return u.sold }

// At is the stock of total units at now. A hold counts only while it is
// live: a unit whose hold ran out is free at once, before (or without) any
// ReservationExpired. The open holds are sorted by expiry, so counting the
// live ones is a binary search, not a scan: a flash crowd asks for it on
// every decision.
func (u *Units) At(total int, now time.Time) StockLevel {
	runOut, _ := slices.BinarySearchFunc(u.open, now, func(at, now time.Time) int {
		if now.Before(at) {
			return 1
		}
		return -1 // at <= now: run out, counted before now
	})
	held := len(u.open) - runOut
	return StockLevel{Total: total, Held: held, Sold: u.sold, Available: max(0, total-held-u.sold)}
}

// Stock is the promo's stock at now, by Units.At.
func (p *Promo) Stock(now time.Time) StockLevel { return p.units.At(p.spec.Stock, now) }

// NewReservationID names a new reservation of a promo: the promo's id, a
// dot, then unique (a UUID: no dot). Purchase and release find the promo's
// stream from the reservation id alone, so an instance whose read models
// lag does not answer 404.
func NewReservationID(promoID, unique string) string { return promoID + "." + unique }

// PromoOfReservation is the promo a reservation id names: what comes before
// its last dot. An id without one (a bare UUID, as reservations had before
// NewReservationID) names none.
func PromoOfReservation(id string) (promoID string, ok bool) {
	i := strings.LastIndexByte(id, '.')
	if i <= 0 || i == len(id)-1 {
		return "", false
	}
	return id[:i], true
}

// Reserve holds one unit for a user, checking the rules in the contract's
// order; existing is true when the user already held one (a retry).
func (p *Promo) Reserve(r ReserveRequest) (res Reservation, existing bool, err error) {
	if err := r.validate(p.id); err != nil {
		return Reservation{}, false, err
	}
	if p.Status(r.Now) != PromoStatusActive {
		return Reservation{}, false, ErrPromoNotActive
	}
	if held, ok := p.liveHold(r.UserID, r.Now); ok {
		return held, true, nil
	}
	if err := p.canHold(r); err != nil {
		return Reservation{}, false, err
	}
	p.record(ReservationPlaced{ReservationID: r.ReservationID, PromoID: p.id, UserID: r.UserID,
		ExpiresAt: r.Now.Add(r.TTL).UTC(), Price: p.spec.PromoPrice})
	return p.list[len(p.list)-1], false, nil
}

// canHold: one unit per user, only for eligible users, only while a unit is free.
func (p *Promo) canHold(r ReserveRequest) error {
	switch {
	case p.bought[r.UserID]:
		return ErrAlreadyPurchased
	}
	if err := p.cooldown(r.UserID, r.Now, r.Cooldown); err != nil {
		return err
	}
	switch {
	case !r.Eligible:
		return ErrNotEligible
	case p.Stock(r.Now).Available == 0:
		return ErrSoldOut
	}
	if _, used := p.index[r.ReservationID]; used {
		return invalid("reservation_id", "is already used")
	}
	return nil
}

func (r ReserveRequest) validate(promoID string) error {
	unique := r.ReservationID // the id rules bound what follows a promo's own id
	if promo, ok := PromoOfReservation(unique); ok && promo == promoID {
		unique = unique[len(promo)+1:]
	}
	if err := validateID("reservation_id", unique); err != nil {
		return err
	}
	if err := validateID("user_id", r.UserID); err != nil {
		return err
	}
	if r.Now.IsZero() {
		return invalid("now", "must be set")
	}
	if r.TTL <= 0 {
		return invalid("ttl", "must be positive")
	}
	if r.Cooldown < 0 {
		return invalid("cooldown", "must not be negative")
	}
	return nil
}

// cooldown refuses a user whose last hold of this promo ran out unused less
// than d ago. Only the last hold matters: a user holds one at a time, and a
// later one was placed after any earlier cooldown. A hold ran out at
// ExpiresAt whether or not ReservationExpired was recorded, so the clock
// decides, as it does for stock.
func (p *Promo) cooldown(userID string, now time.Time, d time.Duration) error {
	mine := p.byUser[userID]
	if d <= 0 || len(mine) == 0 {
		return nil
	}
	last := p.list[mine[len(mine)-1]]
	if last.StatusAt(now) != ReservationStatusExpired {
		return nil // released or bought: no cooldown
	}
	until := last.ExpiresAt.Add(d)
	if !now.Before(until) {
		return nil
	}
	return &HoldCooldownError{Until: until, Wait: until.Sub(now)}
}

// liveHold finds the user's hold that is still running, if any.
func (p *Promo) liveHold(userID string, now time.Time) (Reservation, bool) {
	for _, i := range p.byUser[userID] {
		if p.list[i].live(now) {
			return p.list[i], true
		}
	}
	return Reservation{}, false
}

// Reservation finds a reservation of this promo by id.
func (p *Promo) Reservation(id string) (Reservation, bool) {
	i, ok := p.index[id]
	if !ok {
		return Reservation{}, false
	}
	return p.list[i], true
}

// Reservations returns every reservation, in placement order.
func (p *Promo) Reservations() []Reservation { return slices.Clone(p.list) }

// owned finds a reservation and checks that userID placed it.
func (p *Promo) owned(reservationID, userID string) (Reservation, error) {
	r, ok := p.Reservation(reservationID)
	if !ok {
		return Reservation{}, ErrReservationNotFound
	}
	if r.UserID != userID {
		return Reservation{}, ErrNotOwner
	}
	return r, nil
}

// Purchase buys the held unit. A retry after success answers the same.
func (p *Promo) Purchase(reservationID, userID string, now time.Time) (Reservation, error) {
	r, err := p.owned(reservationID, userID)
	if err != nil {
		return Reservation{}, err
	}
	switch {
	case r.Status == ReservationStatusPurchased:
		return r, nil
	case r.Status == ReservationStatusReleased || p.life.Cancelled:
		return Reservation{}, ErrReservationClosed
	case r.StatusAt(now) == ReservationStatusExpired:
		return Reservation{}, ErrReservationExpired
	case p.units.Sold() >= p.spec.Stock:
		// Holds never outnumber free units, but clocks of two instances can
		// disagree about an expiry; the stock count is the last word.
		return Reservation{}, ErrSoldOut
	}
	p.record(PurchaseCompleted{ReservationID: r.ID, PromoID: p.id, UserID: r.UserID})
	return p.list[p.index[r.ID]], nil
}

// Release gives a held unit back. A retry after success answers the same.
func (p *Promo) Release(reservationID, userID string, now time.Time) (Reservation, error) {
	r, err := p.owned(reservationID, userID)
	if err != nil {
		return Reservation{}, err
	}
	switch {
	case r.Status == ReservationStatusReleased:
		return r, nil
	case r.Status == ReservationStatusPurchased:
		return Reservation{}, ErrReservationClosed
	case r.StatusAt(now) == ReservationStatusExpired:
		return Reservation{}, ErrReservationExpired
	}
	p.record(ReservationReleased{ReservationID: r.ID, PromoID: p.id, UserID: r.UserID})
	return p.list[p.index[r.ID]], nil
}

// Expire records, for the log, that a hold ran out. The unit was free from
// ExpiresAt already; this only writes down what the clock decided.
func (p *Promo) Expire(reservationID string, now time.Time) (bool, error) {
	r, ok := p.Reservation(reservationID)
	if !ok {
		return false, ErrReservationNotFound
	}
	if r.Status != ReservationStatusHeld || now.Before(r.ExpiresAt) {
		return false, nil
	}
	p.record(ReservationExpired{ReservationID: r.ID, PromoID: p.id, UserID: r.UserID})
	return true, nil
}

func (h *holds) place(e ReservationPlaced) {
	if h.index == nil { // a zero Promo; nothing was placed yet
		*h = newHolds()
	}
	i := len(h.list)
	h.list = append(h.list, Reservation{ID: e.ReservationID, PromoID: e.PromoID, UserID: e.UserID,
		Price: e.Price, ExpiresAt: e.ExpiresAt, Status: ReservationStatusHeld})
	h.index[e.ReservationID] = i
	h.byUser[e.UserID] = append(h.byUser[e.UserID], i)
	h.units.Hold(e.ExpiresAt)
}

// close ends a hold as recorded; only a held reservation can close.
func (h *holds) close(id string, to ReservationStatus) {
	i, ok := h.index[id]
	if !ok || h.list[i].Status != ReservationStatusHeld {
		return
	}
	h.list[i].Status = to
	h.units.Close(h.list[i].ExpiresAt, to == ReservationStatusPurchased)
	if to == ReservationStatusPurchased {
		h.bought[h.list[i].UserID] = true
	}
}
