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

// Whatever the fast encoder writes is what the codec writes, on the first
// notification, on the next of the same words, whose end it reuses, and on
// one of other words.
func FuzzNotificationEncoder(f *testing.F) {
	f.Add("0193f1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b", "user-0012345", "p1", "2026-11-27", "Flash Promo: Audífonos XYZ at TechShop",
		"$499.00 instead of $999.00, until 19:00", int64(1795798800), int64(123456789), int32(0))
	f.Add("a<b>&c", "\xff\u2028\u2029", "\"q\"\\", "", "\x00\x1f", "ok", int64(-62135596800), int64(0), int32(-6*3600))
	f.Add("a", "b", "c", "d", "e", "f", int64(253402300800), int64(1), int32(5*3600+1800)) // the year 10000
	f.Add("a", "b", "c", "d", "e", "f", int64(0), int64(0), int32(24*3600+5))
	f.Fuzz(func(t *testing.T, id, user, promo, day, title, body string, sec, nsec int64, offset int32) {
		at := time.Unix(sec, nsec).In(time.FixedZone("z", int(offset)))
		n := domain.NotificationSent{NotificationID: id, UserID: user, PromoID: promo, Day: day, Title: title, Body: body, SentAt: at}
		var enc NotificationEncoder
		next := n // the next user, then each of the words changed in turn
		next.NotificationID, next.UserID = id+"2", "<"+user
		seq := []domain.NotificationSent{n, next}
		for _, change := range []func(*domain.NotificationSent){
			func(n *domain.NotificationSent) { n.PromoID += "!" }, func(n *domain.NotificationSent) { n.Day += "!" },
			func(n *domain.NotificationSent) { n.Title += "!" }, func(n *domain.NotificationSent) { n.Body += "!" },
			func(n *domain.NotificationSent) { n.SentAt = n.SentAt.Add(time.Millisecond) },
		} {
			change(&next)
			seq = append(seq, next)
		}
		for _, n := range seq {
			got, gotErr := enc.Encode(n)
			want, wantErr := EncodeWithID(n.NotificationID, n, n.SentAt)
			if (gotErr != nil) != (wantErr != nil) || string(got.Data) != string(want.Data) ||
				got.ID != want.ID || got.Type != want.Type || !got.OccurredAt.Equal(want.OccurredAt) {
				t.Fatalf("encoder: %s (%v)\n  codec: %s (%v)", got.Data, gotErr, want.Data, wantErr)
			}
		}
	})
}
