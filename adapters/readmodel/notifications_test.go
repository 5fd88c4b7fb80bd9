package readmodel

import (
	"fmt"
	"reflect"
	"testing"
	"time"

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
