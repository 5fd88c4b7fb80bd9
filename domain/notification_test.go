package domain_test

import (
	"testing"
	"time"
	_ "time/tzdata" // the zone database, whatever the machine has

	"github.com/flashpromo/flashpromo/domain"
)

func mexicoCity(t *testing.T) *time.Location {
	t.Helper()
	zone, err := time.LoadLocation("America/Mexico_City")
	if err != nil {
		t.Fatal(err)
	}
	return zone
}

func TestNotificationDay(t *testing.T) {
	cdmx := mexicoCity(t)
	tests := []struct {
		at   string
		zone *time.Location
		want string
	}{
		{"2026-11-28T05:30:00Z", cdmx, "2026-11-27"},
		{"2026-11-28T06:00:00Z", cdmx, "2026-11-28"}, // midnight in Mexico City
		{"2026-11-28T05:59:59.999999999Z", cdmx, "2026-11-27"},
		{"2026-11-28T05:30:00Z", time.UTC, "2026-11-28"},
		{"2026-11-28T05:30:00Z", nil, "2026-11-28"}, // no zone means UTC
		{"2026-11-27T23:30:00-06:00", time.UTC, "2026-11-28"},
	}
	for _, tt := range tests {
		at, err := time.Parse(time.RFC3339Nano, tt.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := domain.NotificationDay(at, tt.zone); got != tt.want {
			t.Errorf("NotificationDay(%s, %v) = %s, want %s", tt.at, tt.zone, got, tt.want)
		}
	}
}

func TestNewNotification(t *testing.T) {
	cdmx := mexicoCity(t)
	promo := domain.LoadPromo(given(50)).Summary()
	now := startsAt.Add(10 * time.Second).In(cdmx)

	got := domain.NewNotification("n1", "ana", promo, now, cdmx)

	want := domain.NotificationSent{
		NotificationID: "n1", UserID: "ana", PromoID: promoID, Day: "2026-11-27",
		Title:  "Flash Promo: Audífonos XYZ at TechShop",
		Body:   "499.00 MXN instead of 999.00 MXN, until 19:00",
		SentAt: startsAt.Add(10 * time.Second),
	}
	if got != want {
		t.Fatalf("got  %#v\nwant %#v", got, want)
	}
}

func TestNotificationNamesTheDayOfAnEndTomorrow(t *testing.T) {
	promo := domain.LoadPromo(given(50)).Summary()
	got := domain.NewNotification("n1", "ana", promo, startsAt, time.UTC) // 23:00 UTC, ends 01:00 UTC next day
	if got.Day != "2026-11-27" || got.Body != "499.00 MXN instead of 999.00 MXN, until 2026-11-28 01:00" {
		t.Fatalf("day %s body %q", got.Day, got.Body)
	}
}
