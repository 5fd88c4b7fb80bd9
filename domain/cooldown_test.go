package domain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// TestReserveCooldown: a user whose hold ran out unused may not hold the
// promo again for the cooldown; release and purchase start none, and other
// users are not held back.
func TestReserveCooldown(t *testing.T) {
	const cooldown = time.Minute
	ranOut := during           // ana's hold r1 ran out at during
	soon := during.Add(ttl)    // a live hold's expiry
	in := ranOut.Add(cooldown) // the first moment after the cooldown
	cooling := func(res, user string, now time.Time) domain.ReserveRequest {
		r := reserve(res, user, true, now)
		r.Cooldown = cooldown
		return r
	}
	tests := []struct {
		name     string
		given    []domain.Event
		when     domain.ReserveRequest
		wantErr  error
		wantWait time.Duration
		want     []domain.Event
	}{
		{name: "refused at the moment the hold ran out",
			given: given(2, placed("r1", "ana", ranOut)), when: cooling("r2", "ana", ranOut),
			wantErr: domain.ErrHoldCooldown, wantWait: cooldown},
		{name: "refused within the cooldown, the sweeper not run yet",
			given: given(2, placed("r1", "ana", ranOut)), when: cooling("r2", "ana", ranOut.Add(59*time.Second+time.Millisecond)),
			wantErr: domain.ErrHoldCooldown, wantWait: 999 * time.Millisecond},
		{name: "refused within the cooldown, the expiry recorded",
			given: given(2, placed("r1", "ana", ranOut), expired("r1", "ana")), when: cooling("r2", "ana", ranOut.Add(time.Second)),
			wantErr: domain.ErrHoldCooldown, wantWait: cooldown - time.Second},
		{name: "allowed once the cooldown has passed",
			given: given(2, placed("r1", "ana", ranOut)), when: cooling("r2", "ana", in),
			want: []domain.Event{placed("r2", "ana", in.Add(ttl))}},
		{name: "a released hold starts no cooldown",
			given: given(2, placed("r1", "ana", soon), released("r1", "ana")), when: cooling("r2", "ana", during),
			want: []domain.Event{placed("r2", "ana", soon)}},
		{name: "already_purchased comes first",
			given: given(2, placed("r1", "ana", soon), purchased("r1", "ana"), placed("r2", "ana", ranOut)),
			when:  cooling("r3", "ana", during), wantErr: domain.ErrAlreadyPurchased},
		{name: "the cooldown comes before eligibility and stock",
			given: given(1, placed("r1", "ana", ranOut), placed("r2", "bob", soon)),
			when: func() domain.ReserveRequest {
				r := cooling("r3", "ana", during)
				r.Eligible = false
				return r
			}(), wantErr: domain.ErrHoldCooldown, wantWait: cooldown},
		{name: "other users hold the freed unit at once",
			given: given(1, placed("r1", "ana", ranOut)), when: cooling("r2", "bob", ranOut),
			want: []domain.Event{placed("r2", "bob", soon)}},
		{name: "only the last hold counts: a lapse, then a hold released",
			given: given(2, placed("r1", "ana", during.Add(-90*time.Second)), placed("r2", "ana", during.Add(30*time.Second)), released("r2", "ana")),
			when:  cooling("r3", "ana", during), want: []domain.Event{placed("r3", "ana", soon)}},
		{name: "a live hold is answered again, before any cooldown",
			given: given(2, placed("r1", "ana", ranOut.Add(-ttl)), placed("r2", "ana", soon)),
			when:  cooling("r3", "ana", during)},
		{name: "0 turns it off",
			given: given(2, placed("r1", "ana", ranOut)), when: reserve("r2", "ana", true, ranOut),
			want: []domain.Event{placed("r2", "ana", soon)}},
		{name: "a negative cooldown is invalid",
			given: given(2), when: func() domain.ReserveRequest {
				r := reserve("r1", "ana", true, during)
				r.Cooldown = -time.Second
				return r
			}(), wantErr: domain.ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := domain.LoadPromo(tt.given)
			_, _, err := p.Reserve(tt.when)
			then(t, p, err, tt.wantErr, tt.want...)
			var cd *domain.HoldCooldownError
			if errors.As(err, &cd) != (tt.wantWait != 0) {
				t.Fatalf("error %v, want a wait of %s", err, tt.wantWait)
			}
			if cd != nil && (cd.Wait != tt.wantWait || !cd.Until.Equal(tt.when.Now.Add(tt.wantWait))) {
				t.Fatalf("wait %s until %s, want %s", cd.Wait, cd.Until, tt.wantWait)
			}
		})
	}
}
