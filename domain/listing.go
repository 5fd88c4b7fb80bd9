package domain

import (
	"fmt"
	"strconv"
	"time"
)

// Listing guards "one non-cancelled promo per store and product with
// overlapping windows". It is its own stream (one per store and product), so
// two creates that race conflict on its version, in the same append as the
// promo itself.
type Listing struct {
	root
	storeID   string           // known from the first claim
	productID string           // known from the first claim
	claims    map[string]claim // promo id -> window, unreleased claims only
}

type claim struct {
	startsAt, endsAt time.Time
}

// overlaps treats windows as half-open [start, end): a promo ending at 19:00
// and one starting at 19:00 do not conflict.
func (c claim) overlaps(d claim) bool {
	return c.startsAt.Before(d.endsAt) && d.startsAt.Before(c.endsAt)
}

// ListingID is the stream id of a store and product. The store id's length
// prefixes it, so ("a-b", "c") and ("a", "b-c") cannot collide.
func ListingID(storeID, productID string) string {
	return "listing-" + strconv.Itoa(len(storeID)) + "-" + storeID + "-" + productID
}

// LoadListing rehydrates a listing; an empty history is a listing with no claims.
func LoadListing(id string, history []Event) *Listing {
	l := &Listing{root: root{id: id}, claims: map[string]claim{}}
	for _, e := range history {
		l.apply(e)
	}
	l.loaded(len(history))
	return l
}

// Claim takes the window for promoID. Claiming again for the same promo is a
// retry and changes nothing.
func (l *Listing) Claim(storeID, productID, promoID string, startsAt, endsAt time.Time) error {
	if ListingID(storeID, productID) != l.id {
		return invalid("store", "store and product do not belong to listing "+l.id)
	}
	if promoID == "" {
		return invalid("promo_id", "must not be empty")
	}
	if !endsAt.After(startsAt) {
		return invalid("ends_at", "must be after starts_at")
	}
	if _, ok := l.claims[promoID]; ok {
		return nil
	}
	want := claim{startsAt: startsAt, endsAt: endsAt}
	for other, c := range l.claims {
		if c.overlaps(want) {
			return fmt.Errorf("%w: promo %s overlaps that window", ErrPromoConflict, other)
		}
	}
	l.record(PromoSlotClaimed{StoreID: storeID, ProductID: productID, PromoID: promoID,
		StartsAt: startsAt.UTC(), EndsAt: endsAt.UTC()})
	return nil
}

// Release frees the window of a cancelled promo; nothing to do if it holds none.
func (l *Listing) Release(promoID string) {
	if _, ok := l.claims[promoID]; !ok {
		return
	}
	l.record(PromoSlotReleased{StoreID: l.storeID, ProductID: l.productID, PromoID: promoID})
}

// Claimed reports whether promoID holds an unreleased claim.
func (l *Listing) Claimed(promoID string) bool {
	_, ok := l.claims[promoID]
	return ok
}

func (l *Listing) record(e Event) {
	l.apply(e)
	l.changes = append(l.changes, e)
}

// apply is the only place that changes a listing's state.
func (l *Listing) apply(e Event) {
	switch e := e.(type) {
	case PromoSlotClaimed:
		l.storeID, l.productID = e.StoreID, e.ProductID
		if l.claims == nil { // a zero Listing
			l.claims = map[string]claim{}
		}
		l.claims[e.PromoID] = claim{startsAt: e.StartsAt, endsAt: e.EndsAt}
	case PromoSlotReleased:
		delete(l.claims, e.PromoID)
	}
}
