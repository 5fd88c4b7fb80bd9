package service

import (
	"fmt"
	"testing"
	"time"
)

// TestVisiblePromosSayTheirLength: a user's promos, a reply of some
// kilobytes, come with their Content-Length (checked by visible), not in
// chunks; net/http sets it by itself only for replies under 2 KB.
func TestVisiblePromosSayTheirLength(t *testing.T) {
	const promos = 20
	a := ctStart(t)
	a.register("ana", 3*24*time.Hour, near)
	for i := range promos {
		id := fmt.Sprintf("nearby-%02d", i)
		a.createPromo(id, ctProduct(promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 5), id))
	}
	a.advance(time.Minute)
	eventually(t, "ana sees every promo", func() bool { return len(a.visible("ana", "")) == promos })
}
