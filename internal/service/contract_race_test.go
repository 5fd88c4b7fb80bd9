package service

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestContractRaceForUnits has 50 eligible users reserve (and buy what they
// hold) at once: exactly stock of them win, the rest are sold out, and
// never more is sold than the promo has.
func TestContractRaceForUnits(t *testing.T) {
	const crowd = 50
	a := ctStart(t)
	users := make([]map[string]any, crowd)
	for i := range users {
		users[i] = map[string]any{"user_id": fmt.Sprintf("racer-%02d", i),
			"registered_at": ctTime(t0.Add(-72 * time.Hour)), "location": near}
	}
	a.expect(http.StatusOK, "POST", "/v1/users/batch", map[string]any{"users": users}, ctAdmin)

	for _, c := range []struct {
		stock int
		buy   bool
	}{{1, false}, {1, true}, {3, true}} {
		t.Run(fmt.Sprintf("stock %d, buy %v", c.stock, c.buy), func(t *testing.T) {
			a := a.with(t)
			id := fmt.Sprintf("race-%d-%v", c.stock, c.buy)
			a.activePromo(id, id, c.stock)
			replies, errs := ctConcurrently(crowd, func(i int) (response, error) {
				user := map[string]any{"user_id": fmt.Sprintf("racer-%02d", i)}
				r, err := a.raw("POST", "/v1/promos/"+id+"/reservations", user, ctAdmin)
				if err != nil || r.Status != http.StatusCreated || !c.buy {
					return r, err
				}
				res, _ := r.Body["id"].(string)
				p, err := a.raw("POST", "/v1/reservations/"+res+"/purchase", user, ctAdmin)
				if err == nil && p.Status != http.StatusOK {
					return p, fmt.Errorf("winner's purchase: %d %s", p.Status, p.Raw)
				}
				return r, err
			})
			won, soldOut := 0, 0
			for i, r := range replies {
				r = a.check("POST", "/v1/promos/"+id+"/reservations", r, errs[i])
				switch {
				case r.Status == http.StatusCreated:
					won++
				case r.Status == http.StatusConflict && r.code() == "sold_out":
					soldOut++
				default:
					t.Errorf("racer %d: %d %s", i, r.Status, r.Raw)
				}
			}
			if won != c.stock || soldOut != crowd-c.stock {
				t.Errorf("%d won and %d sold out, want %d and %d", won, soldOut, c.stock, crowd-c.stock)
			}
			s := a.stock(id)
			want := [4]int{c.stock, c.stock, 0, 0}
			if c.buy {
				want = [4]int{c.stock, 0, c.stock, 0}
			}
			if s != want {
				t.Errorf("stock total/held/sold/available = %v, want %v", s, want)
			}
			if s[1]+s[2] > s[0] {
				t.Errorf("held %d + sold %d > total %d", s[1], s[2], s[0])
			}
			placed := 0
			for _, e := range a.allEvents("type=ReservationPlaced") {
				if ctAt(e, "data.promo_id") == id {
					placed++
				}
			}
			if placed != c.stock {
				t.Errorf("the log holds %d ReservationPlaced, want %d", placed, c.stock)
			}
		})
	}
}

// TestContractOneUserRacingThemselves: a user who reserves many times at
// once holds one unit: one 201, the rest 200 with the same hold.
func TestContractOneUserRacingThemselves(t *testing.T) {
	const tries = 20
	a := ctStart(t)
	a.register("eager", 72*time.Hour, near)
	a.activePromo("p", "p", 5)
	replies, errs := ctConcurrently(tries, func(int) (response, error) {
		return a.raw("POST", "/v1/promos/p/reservations", map[string]any{"user_id": "eager"}, ctAdmin)
	})
	created, ids := 0, map[any]bool{}
	for i, r := range replies {
		r = a.check("POST", "/v1/promos/p/reservations", r, errs[i])
		switch r.Status {
		case http.StatusCreated:
			created++
		case http.StatusOK:
		default:
			t.Errorf("try %d: %d %s", i, r.Status, r.Raw)
		}
		ids[r.Body["id"]] = true
	}
	if created != 1 || len(ids) != 1 {
		t.Errorf("%d created and %d distinct holds, want 1 and 1", created, len(ids))
	}
	if s := a.stock("p"); s != [4]int{5, 1, 0, 4} {
		t.Errorf("stock total/held/sold/available = %v, want [5 1 0 4]", s)
	}
}
