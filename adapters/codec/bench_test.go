package codec_test

import (
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// A fan-out encodes a NotificationSent per user and every reader decodes it.
var notification = domain.NotificationSent{
	NotificationID: "0193f1b2-7c4d-7e8f-9a0b-1c2d3e4f5a6b", UserID: "user-0012345", PromoID: "promo-audifonos-xyz",
	Day: "2026-11-27", Title: "Flash Promo: Audífonos XYZ at TechShop",
	Body: "$499.00 instead of $999.00, until 19:00", SentAt: time.Date(2026, 11, 27, 17, 0, 0, 0, time.UTC),
}

func BenchmarkEncodeNotification(b *testing.B) {
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := codec.EncodeWithID(notification.NotificationID, notification, notification.SentAt); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoder", func(b *testing.B) { // a fan-out's: the same words for every user
		b.ReportAllocs()
		var enc codec.NotificationEncoder
		for b.Loop() {
			if _, err := enc.Encode(notification); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkDecodeNotification(b *testing.B) {
	e, err := codec.EncodeWithID(notification.NotificationID, notification, notification.SentAt)
	if err != nil {
		b.Fatal(err)
	}
	stored := eventstore.Event{ID: e.ID, Type: e.Type, Data: e.Data}
	b.Run("codec", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := codec.Decode(stored); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("decoder", func(b *testing.B) { // the relay's: the same words for every user
		b.ReportAllocs()
		var dec codec.NotificationDecoder
		for b.Loop() {
			if _, ok := dec.Decode(stored.Data); !ok {
				b.Fatal("not the plain shape")
			}
		}
	})
}
