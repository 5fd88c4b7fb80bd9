package codec_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

func TestEveryEventTypeRoundTripsByItsName(t *testing.T) {
	at := time.Date(2026, 11, 27, 22, 0, 0, 0, time.UTC)
	for _, e := range []domain.Event{
		domain.PromoActivated{PromoID: "p1"},
		domain.ReservationPlaced{ReservationID: "r1", PromoID: "p1", UserID: "ana", ExpiresAt: at,
			Price: domain.Money{Amount: 49900, Currency: "MXN"}},
		domain.NotificationSent{NotificationID: "n1", UserID: "ana", PromoID: "p1", Day: "2026-11-27", SentAt: at},
	} {
		ne, err := codec.Encode(e, at)
		if err != nil {
			t.Fatal(err)
		}
		if ne.Type != e.EventName() || ne.ID == "" {
			t.Errorf("encoded %T as type %q id %q", e, ne.Type, ne.ID)
		}
		got, ok, err := codec.Decode(eventstore.Event{ID: ne.ID, Type: ne.Type, Data: ne.Data})
		if err != nil || !ok || !reflect.DeepEqual(got, e) {
			t.Errorf("round trip of %T: %#v %v %v", e, got, ok, err)
		}
	}
}

// Decode gives every type by value, as the aggregates' apply switches and
// the read models match them: a pointer would be skipped silently.
func TestDecodeGivesValues(t *testing.T) {
	for _, zero := range domain.EventTypes() {
		got, ok, err := codec.Decode(eventstore.Event{Type: zero.EventName(), Data: []byte(`{}`)})
		if err != nil || !ok || reflect.TypeOf(got) != reflect.TypeOf(zero) {
			t.Errorf("%s decoded as %T (%v, %v), want %T", zero.EventName(), got, ok, err, zero)
		}
	}
}

func TestUnknownTypesAreSkippedAndBadDataIsAnError(t *testing.T) {
	if _, ok, err := codec.Decode(eventstore.Event{Type: "SomethingNew", Data: []byte(`{}`)}); ok || err != nil {
		t.Errorf("unknown type: ok=%v err=%v, want skipped", ok, err)
	}
	if _, _, err := codec.Decode(eventstore.Event{Type: "PromoActivated", Data: []byte(`{"promo_id": 7}`)}); err == nil {
		t.Error("undecodable data gave no error")
	}
}
