package codec

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// Whatever the fast decoder takes, it reads as the codec does; the service's
// own notifications, and those of the seed script, it takes.
func FuzzNotificationDecoder(f *testing.F) {
	n := domain.NewNotification(uuid.NewString(), "user-0000001", domain.PromoSummary{ID: "p1",
		Store: domain.Store{Name: "TechShop"}, Product: domain.Product{Name: "Audífonos XYZ"},
		RegularPrice: domain.Money{Amount: 99900, Currency: "MXN"}, PromoPrice: domain.Money{Amount: 49900, Currency: "MXN"},
		EndsAt: fuzzNow.Add(time.Hour)}, fuzzNow.Add(123456789*time.Nanosecond), nil)
	own, _ := json.Marshal(n)
	for _, seed := range []string{
		string(own),
		`{"id" : "0b5f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f", "user_id" : "user-0000001", "promo_id" : "promo-day-0", "day" : "2026-11-20", "title" : "Flash Promo: Audífonos XYZ at TechShop 0", "body" : "499.00 MXN instead of 999.00 MXN, until 19:00", "sent_at" : "2026-11-20T17:00:00.001000Z"}`,
		`{"id":"a","sent_at":"2026-11-20T17:00:00-06:00"}`,
		`{"ID":"a"}`, `{"id":"a\u0026b"}`, `{"id":"a","id":"b"}`, `{"title":null}`, `{}`, ` {"day":"x"} `,
		`{"sent_at":"2026-13-20T17:00:00Z"}`, `{"id":"a"} x`, `{"id":"\xff"}`, `{"id":"a",}`, `[]`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d NotificationDecoder
		got, ok := d.Decode(data)
		if !ok {
			return
		}
		want, known, err := Decode(eventstore.Event{Type: domain.NotificationSent{}.EventName(), Data: data})
		if err != nil || !known {
			t.Fatalf("fast decoder took %q, the codec refuses it: %v", data, err)
		}
		if w := want.(domain.NotificationSent); !sameNotification(got, w) {
			t.Fatalf("%q:\n fast  %#v\ncodec %#v", data, got, w)
		}
	})
}

func TestNotificationDecoderTakesTheUsualShapes(t *testing.T) {
	n := domain.NewNotification(uuid.NewString(), "u1", domain.PromoSummary{ID: "p1", Store: domain.Store{Name: "TechShop"},
		Product: domain.Product{Name: "Audífonos"}, EndsAt: fuzzNow.Add(time.Hour)}, fuzzNow, nil)
	own, _ := json.Marshal(n)
	seeded := `{"id" : "0b5f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f", "user_id" : "user-0000001", "promo_id" : "promo-day-0", "day" : "2026-11-20", "title" : "t", "body" : "b", "sent_at" : "2026-11-20T17:00:00.001000Z"}`
	var d NotificationDecoder
	for _, data := range []string{string(own), seeded} {
		if _, ok := d.Decode([]byte(data)); !ok {
			t.Errorf("the fast decoder passes %s to the codec", data)
		}
	}
}

var fuzzNow = time.Date(2026, 11, 27, 18, 0, 0, 0, time.UTC)

// sameNotification: equal fields, and the same instant spelled alike.
func sameNotification(x, y domain.NotificationSent) bool {
	if !x.SentAt.Equal(y.SentAt) || x.SentAt.Format(time.RFC3339Nano) != y.SentAt.Format(time.RFC3339Nano) {
		return false
	}
	x.SentAt, y.SentAt = time.Time{}, time.Time{}
	return x == y
}
