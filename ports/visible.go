package ports

import (
	"encoding/json"
	"strconv"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// visibleEncoder writes a user's promos, the hottest reply of the service.
// What a promo shows every user (id, store, product, prices, end) never
// changes: the read model keeps it encoded by VisibleFixed, and a reply
// only adds availability and distance.
type visibleEncoder struct{}

type visibleFixed struct {
	ID           string `json:"id"`
	Store        any    `json:"store"`
	Product      any    `json:"product"`
	RegularPrice any    `json:"regular_price"`
	PromoPrice   any    `json:"promo_price"`
	EndsAt       any    `json:"ends_at"`
}

// VisibleFixed is a promo's `{"id":…,"ends_at":"…"` in a user's promos,
// left open for the fields of the moment (nil if it cannot be encoded):
// the read model's readmodel.FixedEncoder.
func VisibleFixed(id string, s *domain.PromoSpec) []byte {
	b, err := encodeFixed(id, s)
	if err != nil {
		return nil
	}
	return b
}

func encodeFixed(id string, s *domain.PromoSpec) ([]byte, error) {
	b, err := json.Marshal(visibleFixed{id, s.Store, s.Product, s.RegularPrice, s.PromoPrice, s.EndsAt})
	if err != nil {
		return nil, err
	}
	return b[:len(b)-1], nil
}

// prefix is the promo's fixed part, as the read model keeps it or else
// encoded now.
func (visibleEncoder) prefix(p app.VisiblePromo) ([]byte, error) {
	if p.Fixed != nil {
		return p.Fixed, nil
	}
	return encodeFixed(p.ID, p.Spec)
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
