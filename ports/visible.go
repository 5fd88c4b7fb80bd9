package ports

import (
	"encoding/json"
	"strconv"

	"github.com/flashpromo/flashpromo/app"
)

// visibleEncoder writes a user's promos, the hottest reply of the service.
// What a promo shows every user (id, store, product, prices, end) never
// changes, so it is encoded once per promo and kept in the promo's memo,
// which the read model drops with the promo; a reply only adds
// availability and distance.
type visibleEncoder struct{}

type visibleFixed struct {
	ID           string `json:"id"`
	Store        any    `json:"store"`
	Product      any    `json:"product"`
	RegularPrice any    `json:"regular_price"`
	PromoPrice   any    `json:"promo_price"`
	EndsAt       any    `json:"ends_at"`
}

// prefix is the promo's `{"id":…,"ends_at":"…"` without the closing brace.
func (visibleEncoder) prefix(p app.VisiblePromo) ([]byte, error) {
	if p.Memo != nil {
		if b := p.Memo.Load(); b != nil {
			return *b, nil
		}
	}
	s := p.Spec
	b, err := json.Marshal(visibleFixed{p.ID, s.Store, s.Product, s.RegularPrice, s.PromoPrice, s.EndsAt})
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1] // open, for the fields of the moment
	if p.Memo != nil {
		p.Memo.Store(&b) // two readers may both encode it: the same bytes
	}
	return b, nil
}

// encode appends {"promos":[…]} to buf, with the fields of visibleJSON in
// its order.
func (v *visibleEncoder) encode(buf []byte, ps []app.VisiblePromo) ([]byte, error) {
	buf = append(buf, `{"promos":[`...)
	for i, p := range ps {
		if i > 0 {
			buf = append(buf, ',')
		}
		fixed, err := v.prefix(p)
		if err != nil {
			return nil, err
		}
		buf = append(buf, fixed...)
		buf = append(buf, `,"available":`...)
		buf = strconv.AppendInt(buf, int64(p.Available), 10)
		buf = append(buf, `,"distance_m":`...)
		buf = strconv.AppendFloat(buf, p.DistanceM, 'f', -1, 64)
		buf = append(buf, '}')
	}
	return append(buf, "]}\n"...), nil
}
