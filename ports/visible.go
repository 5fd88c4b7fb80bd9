package ports

import (
	"encoding/json"
	"strconv"
	"sync"

	"github.com/flashpromo/flashpromo/app"
)

// visibleEncoder writes a user's promos, the hottest reply of the service.
// What a promo shows every user (id, store, product, prices, end) never
// changes, so it is encoded once per promo; a reply only adds availability
// and distance. Promos are few (thousands) next to the reads, so the cache
// keeps every one it has seen.
type visibleEncoder struct {
	mu    sync.RWMutex
	fixed map[string][]byte // promo id -> `{"id":…,"ends_at":"…"` without the closing brace
}

type visibleFixed struct {
	ID           string `json:"id"`
	Store        any    `json:"store"`
	Product      any    `json:"product"`
	RegularPrice any    `json:"regular_price"`
	PromoPrice   any    `json:"promo_price"`
	EndsAt       any    `json:"ends_at"`
}

func (v *visibleEncoder) prefix(p app.VisiblePromo) ([]byte, error) {
	v.mu.RLock()
	b, ok := v.fixed[p.ID] // a plain map: sync.Map's Load was 15 % of a read's CPU
	v.mu.RUnlock()
	if ok {
		return b, nil
	}
	s := p.Spec
	b, err := json.Marshal(visibleFixed{p.ID, s.Store, s.Product, s.RegularPrice, s.PromoPrice, s.EndsAt})
	if err != nil {
		return nil, err
	}
	b = b[:len(b)-1] // open, for the fields of the moment
	v.mu.Lock()
	if v.fixed == nil {
		v.fixed = map[string][]byte{}
	}
	v.fixed[p.ID] = b
	v.mu.Unlock()
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
