package domain

import "time"

// NotificationDay is the calendar day of t in zone ("2006-01-02"): the unit
// of "at most one Flash Promo notification per user per day".
func NotificationDay(t time.Time, zone *time.Location) string {
	return t.In(zoneOrUTC(zone)).Format(time.DateOnly)
}

// NewNotification writes the notification a user gets for a promo. Its id
// comes from the caller, who also decides that this user is due one today.
func NewNotification(id, userID string, promo PromoSummary, now time.Time, zone *time.Location) NotificationSent {
	zone = zoneOrUTC(zone)
	return NotificationSent{
		NotificationID: id,
		UserID:         userID,
		PromoID:        promo.ID,
		Day:            NotificationDay(now, zone),
		Title:          "Flash Promo: " + promo.Product.Name + " at " + promo.Store.Name,
		Body:           body(promo, now, zone),
		SentAt:         now.UTC(),
	}
}

// body says the price and until when; an occurrence of a series says it
// is today's window, in the series' zone.
func body(promo PromoSummary, now time.Time, zone *time.Location) string {
	price := promo.PromoPrice.String() + " instead of " + promo.RegularPrice.String()
	if w := promo.Window; w != nil {
		return "Today " + promo.StartsAt.In(w).Format("15:04") + "–" + promo.EndsAt.In(w).Format("15:04") + ": " + price
	}
	return price + ", until " + until(promo.EndsAt, now, zone)
}

// until shows the end time in the user's zone, with the date only when the
// promo ends on another day than today.
func until(end, now time.Time, zone *time.Location) string {
	end = end.In(zone)
	if NotificationDay(end, zone) == NotificationDay(now, zone) {
		return end.Format("15:04")
	}
	return end.Format("2006-01-02 15:04")
}

func zoneOrUTC(zone *time.Location) *time.Location {
	if zone == nil {
		return time.UTC
	}
	return zone
}
