package domain

import "time"

// Event is a fact the domain recorded. EventName is its stable type name in
// the log and on the wire (API.md), never the Go package path, so a rename in
// code cannot orphan stored events. Times in events are always UTC.
type Event interface {
	EventName() string
}

// PromoCreated holds the promo as created.
type PromoCreated struct {
	PromoID      string    `json:"promo_id"`
	Store        Store     `json:"store"`
	Product      Product   `json:"product"`
	RegularPrice Money     `json:"regular_price"`
	PromoPrice   Money     `json:"promo_price"`
	Segments     []Segment `json:"segments"`
	RadiusM      float64   `json:"radius_m"`
	StartsAt     time.Time `json:"starts_at"`
	EndsAt       time.Time `json:"ends_at"`
	Stock        int       `json:"stock"`
	SeriesID     string    `json:"series_id,omitempty"` // an occurrence of that series
	TimeZone     string    `json:"time_zone,omitempty"` // the series' zone, of its local window
}

// PromoActivated: the promo's window opened and the fan-out may start.
type PromoActivated struct {
	PromoID string `json:"promo_id"`
}

// PromoEnded: the promo's window closed.
type PromoEnded struct {
	PromoID string `json:"promo_id"`
}

// PromoCancelled: an admin withdrew the promo.
type PromoCancelled struct {
	PromoID string `json:"promo_id"`
}

// PromoSeriesCreated holds the series as created: the promo body, when its
// occurrences are, and the promos made for them.
type PromoSeriesCreated struct {
	SeriesID     string       `json:"series_id"`
	Store        Store        `json:"store"`
	Product      Product      `json:"product"`
	RegularPrice Money        `json:"regular_price"`
	PromoPrice   Money        `json:"promo_price"`
	Segments     []Segment    `json:"segments"`
	RadiusM      float64      `json:"radius_m"`
	Stock        int          `json:"stock"`
	TimeZone     string       `json:"time_zone"`
	Window       SeriesWindow `json:"window"`
	Days         []string     `json:"days"`
	From         string       `json:"from"`
	Until        string       `json:"until"`
	Occurrences  []Occurrence `json:"occurrences"`
}

// SeriesWindow is the local window of every occurrence, "17:00" to "19:00".
type SeriesWindow struct {
	Start string `json:"start"`
	End   string `json:"end"`
}

// PromoSeriesCancelled: an admin cancelled the series (and, in the same
// append, its occurrences that had not ended).
type PromoSeriesCancelled struct {
	SeriesID string `json:"series_id"`
}

// PromoSlotClaimed: a promo took its window for a store and product.
type PromoSlotClaimed struct {
	StoreID   string    `json:"store_id"`
	ProductID string    `json:"product_id"`
	PromoID   string    `json:"promo_id"`
	StartsAt  time.Time `json:"starts_at"`
	EndsAt    time.Time `json:"ends_at"`
}

// PromoSlotReleased: the window is free again (the promo was cancelled).
type PromoSlotReleased struct {
	StoreID   string `json:"store_id"`
	ProductID string `json:"product_id"`
	PromoID   string `json:"promo_id"`
}

// ReservationPlaced: a user holds one unit until ExpiresAt.
type ReservationPlaced struct {
	ReservationID string    `json:"reservation_id"`
	PromoID       string    `json:"promo_id"`
	UserID        string    `json:"user_id"`
	ExpiresAt     time.Time `json:"expires_at"`
	Price         Money     `json:"price"`
}

// ReservationReleased: the user gave the unit back.
type ReservationReleased struct {
	ReservationID string `json:"reservation_id"`
	PromoID       string `json:"promo_id"`
	UserID        string `json:"user_id"`
}

// ReservationExpired: the sweeper noted a hold that ran out. The unit was
// free from ExpiresAt already; this event is for the log only.
type ReservationExpired struct {
	ReservationID string `json:"reservation_id"`
	PromoID       string `json:"promo_id"`
	UserID        string `json:"user_id"`
}

// PurchaseCompleted: the held unit was bought.
type PurchaseCompleted struct {
	ReservationID string `json:"reservation_id"`
	PromoID       string `json:"promo_id"`
	UserID        string `json:"user_id"`
}

// UserRegistered: the user's marketplace registration time (set or corrected).
type UserRegistered struct {
	UserID       string    `json:"user_id"`
	RegisteredAt time.Time `json:"registered_at"`
}

// UserLocationUpdated: the user's last known location.
type UserLocationUpdated struct {
	UserID   string   `json:"user_id"`
	Location Location `json:"location"`
}

// UserPurchaseRecorded: a marketplace purchase, the source of segments.
type UserPurchaseRecorded struct {
	UserID      string    `json:"user_id"`
	PurchaseID  string    `json:"purchase_id"`
	PurchasedAt time.Time `json:"purchased_at"`
}

// NotificationSent: the user's one Flash Promo notification of Day.
type NotificationSent struct {
	NotificationID string    `json:"id"`
	UserID         string    `json:"user_id"`
	PromoID        string    `json:"promo_id"`
	Day            string    `json:"day"`
	Title          string    `json:"title"`
	Body           string    `json:"body"`
	SentAt         time.Time `json:"sent_at"`
}

func (PromoCreated) EventName() string         { return "PromoCreated" }
func (PromoActivated) EventName() string       { return "PromoActivated" }
func (PromoEnded) EventName() string           { return "PromoEnded" }
func (PromoCancelled) EventName() string       { return "PromoCancelled" }
func (PromoSeriesCreated) EventName() string   { return "PromoSeriesCreated" }
func (PromoSeriesCancelled) EventName() string { return "PromoSeriesCancelled" }
func (PromoSlotClaimed) EventName() string     { return "PromoSlotClaimed" }
func (PromoSlotReleased) EventName() string    { return "PromoSlotReleased" }
func (ReservationPlaced) EventName() string    { return "ReservationPlaced" }
func (ReservationReleased) EventName() string  { return "ReservationReleased" }
func (ReservationExpired) EventName() string   { return "ReservationExpired" }
func (PurchaseCompleted) EventName() string    { return "PurchaseCompleted" }
func (UserRegistered) EventName() string       { return "UserRegistered" }
func (UserLocationUpdated) EventName() string  { return "UserLocationUpdated" }
func (UserPurchaseRecorded) EventName() string { return "UserPurchaseRecorded" }
func (NotificationSent) EventName() string     { return "NotificationSent" }

// EventTypes returns one zero value of every event type, for a codec that
// maps names to types.
func EventTypes() []Event {
	return []Event{
		PromoCreated{}, PromoActivated{}, PromoEnded{}, PromoCancelled{},
		PromoSlotClaimed{}, PromoSlotReleased{},
		ReservationPlaced{}, ReservationReleased{}, ReservationExpired{}, PurchaseCompleted{},
		UserRegistered{}, UserLocationUpdated{}, UserPurchaseRecorded{},
		NotificationSent{},
		PromoSeriesCreated{}, PromoSeriesCancelled{},
	}
}
