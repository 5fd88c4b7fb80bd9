package readmodel

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// encode freezes a model and writes its snapshot.
func encode(t *testing.T, m snapshotting) []byte {
	t.Helper()
	var b bytes.Buffer
	w := newSnapWriter(&b)
	m.freeze()(w)
	if err := w.close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// decode thaws a snapshot into m.
func decode(m snapshotting, b []byte) error {
	r := newSnapReader(bytes.NewReader(b))
	m.thaw(r)
	return r.close()
}

// snapshotWorld is a small log: users, some located, some buying; promos
// with holds; notifications with uuid ids and others.
func snapshotWorld() (*Users, *Notifications, *Promos, []string) {
	r := rand.New(rand.NewPCG(5, 5))
	users, notes, promos := NewUsers(domain.DefaultSegmentRules()), NewNotifications(), NewPromos()
	var ids []string
	for i := range 300 {
		id := fmt.Sprintf("u%d", i)
		ids = append(ids, id)
		users.Apply(domain.UserRegistered{UserID: id, RegisteredAt: scaleNow.Add(-time.Duration(r.IntN(1000)) * time.Hour)})
		if i%7 != 0 {
			users.Apply(domain.UserLocationUpdated{UserID: id, Location: metroPoint(r)})
		}
		for j := range i % 5 {
			users.Apply(domain.UserPurchaseRecorded{UserID: id, PurchaseID: fmt.Sprintf("%s-%d", id, j),
				PurchasedAt: scaleNow.Add(-time.Duration(r.IntN(40*24)) * time.Hour).In(time.FixedZone("", -6*3600))})
		}
	}
	for i := range 20 {
		pid := fmt.Sprintf("p%d", i)
		created := scalePromo(pid, metroPoint(r), 2000+float64(i%3)*20_000, segmentSets[i%len(segmentSets)])
		promos.Apply(created)
		users.Apply(created) // its eligible-user set
		promos.Apply(domain.PromoActivated{PromoID: pid})
		if i%2 == 1 {
			users.Apply(domain.PromoActivated{PromoID: pid})                         // its set kept a minute more
			users.logTime(scaleNow.Add(-2*time.Hour + time.Duration(i)*time.Second)) // the log's time, before the promos start
		}
		for k := range 3 {
			promos.Apply(domain.ReservationPlaced{ReservationID: fmt.Sprintf("%s-r%d", pid, k), PromoID: pid,
				UserID: ids[k], ExpiresAt: scaleNow.Add(time.Duration(k-1) * time.Minute)})
		}
		promos.Apply(domain.PurchaseCompleted{ReservationID: pid + "-r0", PromoID: pid, UserID: ids[0]})
		if i%4 == 0 {
			promos.Apply(domain.PromoCancelled{PromoID: pid})
			users.Apply(domain.PromoCancelled{PromoID: pid})
		}
		for d := range 3 {
			for _, u := range ids[i*10 : i*10+15] {
				id := uuid.NewString()
				if d == 2 && u == ids[i*10] {
					id = "not-a-uuid-" + u
				}
				notes.Apply(domain.NotificationSent{NotificationID: id, UserID: u, PromoID: pid, Day: fmt.Sprintf("2026-11-%02d", 20+d),
					Title: "t " + pid, Body: "b", SentAt: scaleNow.Add(time.Duration(d*1000+r.IntN(1000)) * time.Millisecond)})
			}
		}
	}
	return users, notes, promos, ids
}

// namesAt are the ids of the users at positions.
func namesAt(m *Users, positions []uint32) []string {
	out := make([]string, len(positions))
	for k, i := range positions {
		out[k] = m.ids.name(m.at(i).id)
	}
	return out
}

// The three models read back from their snapshots answer every query as
// the models they were taken of, whatever the numbers of the users' ids.
func TestSnapshotRoundTrip(t *testing.T) {
	users, notes, promos, ids := snapshotWorld()
	// The restored models share an idTable that numbers the ids otherwise:
	// a snapshot names users by id, never by number.
	shared := newIDTable()
	for i := len(ids) - 1; i >= 0; i -= 2 {
		shared.intern("other-" + ids[i])
		shared.intern(ids[i])
	}
	users2, notes2, promos2 := newUsers(domain.DefaultSegmentRules(), shared), newNotifications(shared), NewPromos()
	for _, c := range []struct{ from, to snapshotting }{{users, users2}, {notes, notes2}, {promos, promos2}} {
		if err := decode(c.to, encode(t, c.from)); err != nil {
			t.Fatalf("%T: %v", c.from, err)
		}
	}
	for _, id := range append(ids, "nobody") {
		u1, ok1 := users.user(id, scaleNow)
		u2, ok2 := users2.user(id, scaleNow)
		if ok1 != ok2 || !reflect.DeepEqual(u1, u2) {
			t.Fatalf("user %s: %+v, want %+v", id, u2, u1)
		}
		if n1, n2 := notes.of(id), notes2.of(id); !sameNotifications(n1, n2) {
			t.Fatalf("notifications of %s:\n got %+v\nwant %+v", id, n2, n1)
		}
		for _, day := range []string{"2026-11-21", "2026-11-22"} {
			if notifiedOn(notes, id, day) != notifiedOn(notes2, id, day) {
				t.Fatalf("notifiedOn(%s, %s) differs", id, day)
			}
		}
	}
	members := 0
	defer func() {
		if members == 0 {
			t.Error("no eligible-user set has a member: the sets' round trip is not tested")
		}
	}()
	for i := range 20 {
		pid := fmt.Sprintf("p%d", i)
		if notes.count(pid) != notes2.count(pid) || notes.count(pid) == 0 {
			t.Fatalf("count(%s) = %d, want %d", pid, notes2.count(pid), notes.count(pid))
		}
		var v1, v2 app.PromoView
		promos.view(pid, func(p *promo) { v1 = app.NewPromoView(p, scaleNow, 0) })
		promos2.view(pid, func(p *promo) { v2 = app.NewPromoView(p, scaleNow, 0) })
		if !reflect.DeepEqual(v1, v2) {
			t.Fatalf("promo %s:\n got %+v\nwant %+v", pid, v2, v1)
		}
		m1, ok1 := users.cand.members(pid, scaleNow)
		m2, ok2 := users2.cand.members(pid, scaleNow)
		if ok1 != ok2 || ok1 != (i%4 != 0) || len(m1) != len(m2) || !reflect.DeepEqual(namesAt(users, m1), namesAt(users2, m2)) {
			t.Fatalf("the eligible-user set of %s: %d members (%v), want %d (%v)", pid, len(m2), ok2, len(m1), ok1)
		}
		members += len(m1)
		if s1, s2 := users.cand.started[pid], users2.cand.started[pid]; !s1.Equal(s2) || s1.IsZero() != (i%2 == 0 || i%4 == 0) {
			t.Fatalf("%s activated at %v, read back %v", pid, s1, s2)
		}
		for k := range 3 {
			rid := fmt.Sprintf("%s-r%d", pid, k)
			r1, _ := promos.reservation(rid, scaleNow)
			r2, _ := promos2.reservation(rid, scaleNow)
			if !reflect.DeepEqual(r1, r2) {
				t.Fatalf("reservation %s: %+v, want %+v", rid, r2, r1)
			}
		}
	}
	spec := domain.LoadPromo([]domain.Event{scalePromo("p", metroCenter, 50_000, segmentSets[2])}).Spec()
	if e1, e2 := users.eligible("", spec, scaleNow), users2.eligible("", spec, scaleNow); !reflect.DeepEqual(e1, e2) || len(e1) == 0 {
		t.Fatalf("eligible: %d users, want %d", len(e2), len(e1))
	}
	if h1, h2 := promos.expiredHolds(scaleNow), promos2.expiredHolds(scaleNow); !reflect.DeepEqual(h1, h2) || len(h1) == 0 {
		t.Fatalf("expired holds: %v, want %v", h2, h1)
	}
	for _, u := range ids[:40] {
		at := metroPoint(rand.New(rand.NewPCG(9, 9)))
		v, _ := users.user(u, scaleNow)
		if p1, p2 := promos.visible(v, at, scaleNow), promos2.visible(v, at, scaleNow); !reflect.DeepEqual(p1, p2) {
			t.Fatalf("visible promos of %s: %v, want %v", u, p2, p1)
		}
	}
}

// sameNotifications compares as a reply would: times by instant and offset.
func sameNotifications(a, b []domain.NotificationSent) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if !x.SentAt.Equal(y.SentAt) || x.SentAt.Format(time.RFC3339Nano) != y.SentAt.Format(time.RFC3339Nano) {
			return false
		}
		x.SentAt, y.SentAt = time.Time{}, time.Time{}
		if x != y {
			return false
		}
	}
	return true
}

// A snapshot with any byte changed, cut short, or with bytes after its
// end is refused, never read as another model.
func TestCorruptSnapshotsAreRefused(t *testing.T) {
	users, notes, promos, _ := snapshotWorld()
	for _, c := range []struct {
		m     snapshotting
		fresh func() snapshotting
	}{
		{users, func() snapshotting { return NewUsers(domain.DefaultSegmentRules()) }},
		{notes, func() snapshotting { return NewNotifications() }},
		{promos, func() snapshotting { return NewPromos() }},
	} {
		b := encode(t, c.m)
		if err := decode(c.fresh(), b); err != nil {
			t.Fatalf("%T: the intact snapshot: %v", c.m, err)
		}
		r := rand.New(rand.NewPCG(1, 2))
		for range 200 {
			bad := bytes.Clone(b)
			bad[r.IntN(len(bad))] ^= byte(1 + r.IntN(255))
			if err := decode(c.fresh(), bad); err == nil {
				t.Fatalf("%T: a changed byte went unnoticed", c.m)
			}
		}
		for _, n := range []int{0, 3, len(b) / 2, len(b) - 1} {
			if err := decode(c.fresh(), b[:n]); err == nil {
				t.Fatalf("%T: cut to %d of %d bytes, read without error", c.m, n, len(b))
			}
		}
		if err := decode(c.fresh(), append(bytes.Clone(b), 0)); err == nil {
			t.Fatalf("%T: a byte after the end went unnoticed", c.m)
		}
	}
}
