package loadgen

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"
)

// envelope is what the checks read of an event of GET /v1/events: the
// facts API.md names for the types they fold.
type envelope struct {
	Position   int64     `json:"position"`
	Type       string    `json:"type"`
	OccurredAt time.Time `json:"occurred_at"`
	Data       struct {
		PromoID       string    `json:"promo_id"`
		Stock         int       `json:"stock"`
		ReservationID string    `json:"reservation_id"`
		UserID        string    `json:"user_id"`
		ExpiresAt     time.Time `json:"expires_at"`
		Day           string    `json:"day"`
	} `json:"data"`
}

// logCheck folds the event log, in its order, into what the invariants
// need: per promo its stock, units sold and open holds; the notifications
// per user and day; every hold placed.
type logCheck struct {
	after    int64 // the last position folded
	events   int
	stock    map[string]int
	sold     map[string]int
	open     map[string]map[string]time.Time // promo -> open hold -> its expiry
	placed   map[string]bool                 // every hold in the log
	notified map[string]int                  // user and day -> notifications
	oversold []string
	twice    []string
}

func newLogCheck() *logCheck {
	return &logCheck{stock: map[string]int{}, sold: map[string]int{}, open: map[string]map[string]time.Time{},
		placed: map[string]bool{}, notified: map[string]int{}}
}

// fold reads the log as the operator from where it left off to the head.
func (l *Loader) fold(ctx context.Context, c *logCheck) error {
	for {
		var page struct {
			Events    []envelope `json:"events"`
			NextAfter int64      `json:"next_after"`
		}
		path := fmt.Sprintf("/v1/events?after=%d&limit=10000", c.after)
		if _, err := l.Send(ctx, http.MethodGet, path, nil, &page, Caller{}); err != nil {
			return err
		}
		if len(page.Events) == 0 {
			return nil
		}
		for _, e := range page.Events {
			c.apply(e)
		}
		c.after = page.NextAfter
	}
}

func (c *logCheck) apply(e envelope) {
	c.events++
	d := e.Data
	switch e.Type {
	case "PromoCreated":
		c.stock[d.PromoID] = d.Stock
		c.open[d.PromoID] = map[string]time.Time{}
	case "ReservationPlaced":
		c.placed[d.ReservationID] = true
		if c.sold[d.PromoID]+c.heldAt(d.PromoID, e.OccurredAt)+1 > c.stock[d.PromoID] {
			c.oversold = append(c.oversold, fmt.Sprintf("promo %s: hold %s placed at position %d with %d sold and %d held of %d",
				d.PromoID, d.ReservationID, e.Position, c.sold[d.PromoID], c.heldAt(d.PromoID, e.OccurredAt), c.stock[d.PromoID]))
		}
		if c.open[d.PromoID] == nil { // a promo's PromoCreated comes first; this keeps a bad log from a panic
			c.open[d.PromoID] = map[string]time.Time{}
		}
		c.open[d.PromoID][d.ReservationID] = d.ExpiresAt
	case "PurchaseCompleted":
		c.sold[d.PromoID]++
		if c.sold[d.PromoID] > c.stock[d.PromoID] {
			c.oversold = append(c.oversold, fmt.Sprintf("promo %s: %d sold of %d at position %d",
				d.PromoID, c.sold[d.PromoID], c.stock[d.PromoID], e.Position))
		}
		delete(c.open[d.PromoID], d.ReservationID)
	case "ReservationReleased", "ReservationExpired":
		delete(c.open[d.PromoID], d.ReservationID)
	case "NotificationSent":
		key := d.UserID + " on " + d.Day
		if c.notified[key]++; c.notified[key] == 2 {
			c.twice = append(c.twice, key)
		}
	}
}

// heldAt counts the promo's holds still held at t: open in the log and not
// past their time. The decision was taken a moment before the event's time,
// so a hold that ran out in between counts as free: the check errs towards
// letting an oversell pass, never towards finding one that was not.
func (c *logCheck) heldAt(promo string, t time.Time) int {
	n := 0
	for _, expires := range c.open[promo] {
		if expires.After(t) {
			n++
		}
	}
	return n
}

// unresolved lists the holds neither purchased, released nor expired.
func (c *logCheck) unresolved() []string {
	var ids []string
	for _, holds := range c.open {
		for id := range holds {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// failures says which invariant the log breaks; granted are the holds the
// server answered 201, each of which must be in the log.
func (c *logCheck) failures(granted []string) []string {
	var out []string
	if len(c.oversold) > 0 {
		out = append(out, fmt.Sprintf("oversold: %d times, first %s", len(c.oversold), c.oversold[0]))
	}
	if len(c.twice) > 0 {
		out = append(out, fmt.Sprintf("notified twice in a day: %d users, first %s", len(c.twice), c.twice[0]))
	}
	if open := c.unresolved(); len(open) > 0 {
		out = append(out, fmt.Sprintf("holds neither purchased, released nor expired: %d, first %s", len(open), open[0]))
	}
	var lost []string
	for _, id := range granted {
		if !c.placed[id] {
			lost = append(lost, id)
		}
	}
	if len(lost) > 0 {
		out = append(out, fmt.Sprintf("holds answered 201 missing from the log: %d, first %s", len(lost), lost[0]))
	}
	return out
}
