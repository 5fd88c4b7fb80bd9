package domain_test

import (
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// decode reads an event back as the service does, by the codec.
func decode(name string, data []byte) (domain.Event, error) {
	e, _, err := codec.Decode(eventstore.Event{Type: name, Data: data})
	return e, err
}

// sampleEvents has one event of every type with every field set.
func sampleEvents() []domain.Event {
	at := time.Date(2026, 11, 27, 23, 0, 1, 123456789, time.UTC)
	return []domain.Event{
		created(50),
		domain.PromoActivated{PromoID: promoID},
		domain.PromoEnded{PromoID: promoID},
		domain.PromoCancelled{PromoID: promoID},
		slot(promoID, startsAt, endsAt),
		slotReleased(promoID),
		placed("r1", "ana", at),
		released("r1", "ana"),
		expired("r1", "ana"),
		purchased("r1", "ana"),
		domain.UserRegistered{UserID: "ana", RegisteredAt: at},
		domain.UserLocationUpdated{UserID: "ana", Location: domain.Location{Lat: 19.432608, Lng: -99.133209}},
		domain.UserPurchaseRecorded{UserID: "ana", PurchaseID: "o1", PurchasedAt: at},
		domain.NotificationSent{NotificationID: "n1", UserID: "ana", PromoID: promoID, Day: "2026-11-27",
			Title: "Flash Promo: Audífonos XYZ at TechShop", Body: "499.00 MXN instead of 999.00 MXN, until 19:00", SentAt: at},
		seriesCreated(),
		domain.PromoSeriesCancelled{SeriesID: "s1"},
	}
}

func TestEveryEventRoundTripsThroughJSON(t *testing.T) {
	samples := sampleEvents()
	if len(samples) != len(domain.EventTypes()) {
		t.Fatalf("%d samples for %d event types", len(samples), len(domain.EventTypes()))
	}
	for i, e := range samples {
		if reflect.TypeOf(e) != reflect.TypeOf(domain.EventTypes()[i]) {
			t.Fatalf("sample %d is a %T, EventTypes has %T", i, e, domain.EventTypes()[i])
		}
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		back, err := decode(e.EventName(), data)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("%s:\n  sent %#v\n  back %#v", e.EventName(), e, back)
		}
	}
}

// Events recorded by commands, from times in any zone, round-trip exactly.
func TestRecordedEventsRoundTrip(t *testing.T) {
	cdmx := time.FixedZone("CST", -6*3600)
	s := validSpec()
	s.StartsAt, s.EndsAt = startsAt.In(cdmx), endsAt.In(cdmx)
	p, err := domain.CreatePromo(promoID, s, before.In(cdmx))
	must(t, err)
	_, _, err = p.Reserve(reserve("r1", "ana", true, during.Add(time.Nanosecond).In(cdmx)))
	must(t, err)
	u, err := domain.RegisterUser("ana", registered.In(cdmx).Add(time.Nanosecond), &home, userNow)
	must(t, err)
	must(t, u.RecordPurchase("o1", time.Now().Add(-time.Hour), time.Now())) // a monotonic reading too
	l := domain.LoadListing(listingID, nil)
	must(t, l.Claim("techshop", "audifonos-xyz", promoID, s.StartsAt, s.EndsAt))
	n := domain.NewNotification("n1", "ana", p.Summary(), during.In(cdmx), cdmx)
	for _, e := range slices.Concat(p.Changes(), u.Changes(), l.Changes(), []domain.Event{n}) {
		data, _ := json.Marshal(e)
		back, err := decode(e.EventName(), data)
		if err != nil || !reflect.DeepEqual(back, e) {
			t.Errorf("%s does not round-trip (%v):\n  %#v\n  %#v", e.EventName(), err, e, back)
		}
	}
}

func TestEventNamesAreTheContractsTypes(t *testing.T) {
	var names []string
	for _, e := range domain.EventTypes() {
		names = append(names, e.EventName())
	}
	want := []string{"PromoCreated", "PromoActivated", "PromoEnded", "PromoCancelled", "PromoSlotClaimed", "PromoSlotReleased",
		"ReservationPlaced", "ReservationReleased", "ReservationExpired", "PurchaseCompleted",
		"UserRegistered", "UserLocationUpdated", "UserPurchaseRecorded", "NotificationSent",
		"PromoSeriesCreated", "PromoSeriesCancelled"}
	if !slices.Equal(names, want) {
		t.Fatalf("names %v", names)
	}
}

// The data fields API.md promises to analysts.
func TestEventDataFields(t *testing.T) {
	tests := []struct {
		event domain.Event
		keys  []string
	}{
		{created(1), []string{"promo_id", "store", "product", "regular_price", "promo_price", "segments", "radius_m", "starts_at", "ends_at", "stock"}},
		{domain.PromoActivated{}, []string{"promo_id"}},
		{domain.PromoEnded{}, []string{"promo_id"}},
		{domain.PromoCancelled{}, []string{"promo_id"}},
		{domain.PromoSlotClaimed{}, []string{"store_id", "product_id", "promo_id", "starts_at", "ends_at"}},
		{domain.PromoSlotReleased{}, []string{"store_id", "product_id", "promo_id"}},
		{domain.ReservationPlaced{}, []string{"reservation_id", "promo_id", "user_id", "expires_at", "price"}},
		{domain.ReservationReleased{}, []string{"reservation_id", "promo_id", "user_id"}},
		{domain.ReservationExpired{}, []string{"reservation_id", "promo_id", "user_id"}},
		{domain.PurchaseCompleted{}, []string{"reservation_id", "promo_id", "user_id"}},
		{domain.UserRegistered{}, []string{"user_id", "registered_at"}},
		{domain.UserLocationUpdated{}, []string{"user_id", "location"}},
		{domain.UserPurchaseRecorded{}, []string{"user_id", "purchase_id", "purchased_at"}},
		{domain.NotificationSent{}, []string{"id", "user_id", "promo_id", "day", "title", "body", "sent_at"}},
		{occurrence(1), []string{"promo_id", "store", "product", "regular_price", "promo_price", "segments", "radius_m", "starts_at", "ends_at", "stock",
			"series_id", "time_zone"}},
		{seriesCreated(), []string{"series_id", "store", "product", "regular_price", "promo_price", "segments", "radius_m", "stock",
			"time_zone", "window", "days", "from", "until", "occurrences"}},
		{domain.PromoSeriesCancelled{}, []string{"series_id"}},
	}
	for _, tt := range tests {
		data, _ := json.Marshal(tt.event)
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(data, &fields); err != nil {
			t.Fatal(err)
		}
		var got []string
		for k := range fields {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(tt.keys))
		if !slices.Equal(got, want) {
			t.Errorf("%s fields %v, want %v", tt.event.EventName(), got, want)
		}
	}
}

func TestPromoCreatedJSON(t *testing.T) {
	data, _ := json.Marshal(created(50))
	want := `{"promo_id":"promo-1","store":{"id":"techshop","name":"TechShop","location":{"lat":19.4326,"lng":-99.1332}},` +
		`"product":{"id":"audifonos-xyz","name":"Audífonos XYZ"},"regular_price":{"amount":99900,"currency":"MXN"},` +
		`"promo_price":{"amount":49900,"currency":"MXN"},"segments":["new_users","frequent_buyers"],"radius_m":2000,` +
		`"starts_at":"2026-11-27T23:00:00Z","ends_at":"2026-11-28T01:00:00Z","stock":50}`
	if string(data) != want {
		t.Fatalf("got  %s\nwant %s", data, want)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// occurrence is created(stock) as an occurrence of series s1.
func occurrence(stock int) domain.PromoCreated {
	c := created(stock)
	c.SeriesID, c.TimeZone = "s1", "America/Mexico_City"
	return c
}

// seriesCreated is a series of one occurrence, every field set.
func seriesCreated() domain.PromoSeriesCreated {
	s := validSpec()
	return domain.PromoSeriesCreated{SeriesID: "s1", Store: s.Store, Product: s.Product,
		RegularPrice: s.RegularPrice, PromoPrice: s.PromoPrice, Segments: s.Segments, RadiusM: s.RadiusM, Stock: 5,
		TimeZone: "America/Mexico_City", Window: domain.SeriesWindow{Start: "17:00", End: "19:00"},
		Days: []string{"fri"}, From: "2026-11-27", Until: "2026-11-27",
		Occurrences: []domain.Occurrence{{PromoID: promoID, Date: "2026-11-27", StartsAt: startsAt, EndsAt: endsAt}}}
}
