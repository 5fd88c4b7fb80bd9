package readmodel

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/domain"
)

func TestNotificationsGiveBackWhatWasSent(t *testing.T) {
	m := NewNotifications()
	want := map[string][]domain.NotificationSent{}
	for i := range 60 {
		n := domain.NotificationSent{
			NotificationID: fmt.Sprintf("n%d", i), UserID: fmt.Sprintf("u%d", i%7), PromoID: fmt.Sprintf("p%d", i%3),
			Day: fmt.Sprintf("2026-11-%02d", 20+i%2), Title: fmt.Sprintf("title %d", i%3), Body: fmt.Sprintf("body %d", i%5),
			SentAt: scaleNow.Add(time.Duration(i) * time.Second),
		}
		m.Apply(n)
		want[n.UserID] = append(want[n.UserID], n)
	}
	for user, ns := range want {
		if got := m.of(user); !reflect.DeepEqual(got, ns) {
			t.Errorf("notifications of %s:\n got %+v\nwant %+v", user, got, ns)
		}
	}
	if got := m.of("nobody"); got == nil || len(got) != 0 {
		t.Errorf("notifications of nobody: %#v, want an empty list", got)
	}
	if got := m.count("p1"); got != 20 {
		t.Errorf("p1 sent %d, want 20", got)
	}
}

// Ids are kept in 16 bytes when they are uuids in canonical form, and whole
// otherwise; times in 16 bytes when in UTC. Either way they read back as
// they were written.
func TestNotificationsKeepIdsAndTimesExactly(t *testing.T) {
	m := NewNotifications()
	cdmx := time.FixedZone("CST", -6*3600)
	sends := []domain.NotificationSent{
		{NotificationID: "0b5f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f", SentAt: scaleNow},
		{NotificationID: "0B5F6C1E-2D3A-4C5B-8E9F-0A1B2C3D4E5F", SentAt: scaleNow.Add(time.Nanosecond)}, // upper case
		{NotificationID: "{0b5f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5f}", SentAt: scaleNow},
		{NotificationID: "0b5f6c1e2d3a4c5b8e9f0a1b2c3d4e5f", SentAt: scaleNow},
		{NotificationID: "ffffffff-ffff-ffff-ffff-ffffffffffff", SentAt: scaleNow.In(cdmx)}, // not UTC
		{NotificationID: "00000000-0000-0000-0000-000000000000", SentAt: time.Unix(0, 123456789).UTC()},
		{NotificationID: "", SentAt: time.Time{}},
		{NotificationID: "0b5f6c1e-2d3a-4c5b-8e9f-0a1b2c3d4e5g", SentAt: scaleNow}, // not hex
	}
	for i := range sends {
		sends[i].UserID, sends[i].PromoID, sends[i].Day = "ana", "p", fmt.Sprintf("2026-11-%02d", 20+i)
		sends[i].Title, sends[i].Body = "t", "b"
		m.Apply(sends[i])
	}
	got := m.of("ana")
	if len(got) != len(sends) {
		t.Fatalf("%d notifications, want %d", len(got), len(sends))
	}
	for i := range sends {
		if got[i] != sends[i] || got[i].SentAt.Location() != sends[i].SentAt.Location() {
			t.Errorf("notification %d:\n got %#v\nwant %#v", i, got[i], sends[i])
		}
	}
	if !notifiedOn(m, "ana", sends[len(sends)-1].Day) || notifiedOn(m, "ana", sends[0].Day) || notifiedOn(m, "bob", sends[0].Day) {
		t.Error("notifiedOn must look at the newest notification of the user only")
	}
}

func TestUUIDRoundTrip(t *testing.T) {
	for range 1000 {
		s := uuid.NewString()
		u, ok := parseUUID(s)
		if !ok || formatUUID(&u) != s {
			t.Fatalf("%s: parsed %v, formatted %s", s, ok, formatUUID(&u))
		}
	}
}

// Many users, many days, several promos: the compact layout pages and links
// notices; every user's list and every promo's count must come back.
func TestNotificationsAcrossPages(t *testing.T) {
	m := NewNotifications()
	const users, days = 5000, 30 // 150,000 notices: three pages
	want := map[string]int{}
	for d := range days {
		for u := range users {
			promo := fmt.Sprintf("p%d", (u+d)%4)
			m.Apply(domain.NotificationSent{NotificationID: uuid.NewString(), UserID: scaleUserID(u), PromoID: promo,
				Day: fmt.Sprintf("day-%02d", d), Title: "t " + promo, Body: "b", SentAt: scaleNow.Add(time.Duration(d) * 24 * time.Hour)})
			want[promo]++
		}
	}
	for p, n := range want {
		if got := m.count(p); got != n {
			t.Errorf("count(%s) = %d, want %d", p, got, n)
		}
	}
	for _, u := range []int{0, 1, 2499, 4999} {
		ns := m.of(scaleUserID(u))
		if len(ns) != days {
			t.Fatalf("user %d: %d notifications, want %d", u, len(ns), days)
		}
		for d, n := range ns {
			if wantPromo := fmt.Sprintf("p%d", (u+d)%4); n.Day != fmt.Sprintf("day-%02d", d) || n.PromoID != wantPromo || n.UserID != scaleUserID(u) {
				t.Fatalf("user %d, notification %d: %+v", u, d, n)
			}
		}
	}
}

// notifiedOn tells whether the user had a notification on day.
func notifiedOn(m *Notifications, userID, day string) bool {
	return len(m.unnotified([]string{userID}, day)) == 0
}
