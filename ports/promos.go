package ports

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/ports/auth"
)

type promoRequest struct {
	ID string `json:"id"`
	offerJSON
	StartsAt *time.Time `json:"starts_at"`
	EndsAt   *time.Time `json:"ends_at"`
}

// offerJSON is what the body of a promo and of a series say alike: what is
// on sale, by which store, to whom, how far and how many.
type offerJSON struct {
	Store        *storeJSON       `json:"store"`
	Product      *domain.Product  `json:"product"`
	RegularPrice *domain.Money    `json:"regular_price"`
	PromoPrice   *domain.Money    `json:"promo_price"`
	Segments     []domain.Segment `json:"segments"`
	RadiusM      *float64         `json:"radius_m"`
	Stock        *int             `json:"stock"`
}

// ownedBy refuses a store caller an offer of another store's.
func (o offerJSON) ownedBy(c echo.Context) error {
	if o.Store == nil {
		return nil // refused later as missing
	}
	return ownStore(c, o.Store.ID)
}

// spec is the offer as a promo's spec without its window, once every
// field is there.
func (o offerJSON) spec() (domain.PromoSpec, error) {
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"store", o.Store == nil}, {"product", o.Product == nil}, {"regular_price", o.RegularPrice == nil},
		{"promo_price", o.PromoPrice == nil}, {"segments", o.Segments == nil}, {"radius_m", o.RadiusM == nil},
		{"stock", o.Stock == nil},
	} {
		if f.missing {
			return domain.PromoSpec{}, required(f.name)
		}
	}
	loc, err := o.Store.Location.location("store.location")
	if err != nil {
		return domain.PromoSpec{}, err
	}
	return domain.PromoSpec{
		Store:        domain.Store{ID: o.Store.ID, Name: o.Store.Name, Location: loc},
		Product:      *o.Product,
		RegularPrice: *o.RegularPrice,
		PromoPrice:   *o.PromoPrice,
		Segments:     o.Segments,
		RadiusM:      *o.RadiusM,
		Stock:        *o.Stock,
	}, nil
}

type storeJSON struct {
	ID       string        `json:"id"`
	Name     string        `json:"name"`
	Location *locationJSON `json:"location"`
}

func (r promoRequest) spec() (domain.PromoSpec, error) {
	spec, err := r.offerJSON.spec()
	switch {
	case err != nil:
		return domain.PromoSpec{}, err
	case r.StartsAt == nil:
		return domain.PromoSpec{}, required("starts_at")
	case r.EndsAt == nil:
		return domain.PromoSpec{}, required("ends_at")
	}
	spec.StartsAt, spec.EndsAt = *r.StartsAt, *r.EndsAt
	return spec, nil
}

// offerOut is what the replies of a promo and of a series say alike, in
// the order they say it.
type offerOut struct {
	Store        domain.Store     `json:"store"`
	Product      domain.Product   `json:"product"`
	RegularPrice domain.Money     `json:"regular_price"`
	PromoPrice   domain.Money     `json:"promo_price"`
	Segments     []domain.Segment `json:"segments"`
	RadiusM      float64          `json:"radius_m"`
}

func offerOf(s domain.PromoSpec) offerOut {
	return offerOut{s.Store, s.Product, s.RegularPrice, s.PromoPrice, s.Segments, s.RadiusM}
}

type promoJSON struct {
	ID string `json:"id"`
	offerOut
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	Status        string    `json:"status"`
	Stock         stockJSON `json:"stock"`
	Notifications struct {
		Sent int `json:"sent"`
	} `json:"notifications"`
	Version int64 `json:"version"`

	SeriesID string `json:"series_id,omitempty"` // an occurrence of that series
}

type stockJSON struct {
	Total     int `json:"total"`
	Held      int `json:"held"`
	Sold      int `json:"sold"`
	Available int `json:"available"`
}

func promoOut(p app.PromoView) promoJSON {
	out := promoJSON{
		ID: p.ID, offerOut: offerOf(p.PromoSpec), StartsAt: p.StartsAt, EndsAt: p.EndsAt, Status: string(p.Status),
		Stock:   stockJSON{p.Stock.Total, p.Stock.Held, p.Stock.Sold, p.Stock.Available},
		Version: p.Version, SeriesID: p.SeriesID,
	}
	out.Notifications.Sent = p.NotificationsSent
	return out
}

func (s *Server) postPromo(c echo.Context) error {
	var req promoRequest
	if err := decode(c, &req); err != nil {
		return err
	}
	if err := req.ownedBy(c); err != nil {
		return err
	}
	spec, err := req.spec()
	if err != nil {
		return err
	}
	if key := c.Request().Header.Get("Idempotency-Key"); req.ID == "" && key != "" {
		req.ID = idempotentID(key)
	}
	p, err := s.app.Commands.CreatePromo.Handle(c.Request().Context(), app.CreatePromo{ID: req.ID, Spec: spec})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !p.Created {
		status = http.StatusOK
	}
	return c.JSON(status, promoOut(p.PromoView))
}

func (s *Server) getPromo(c echo.Context) error {
	p, err := s.app.Queries.Promo.Handle(c.Request().Context(), app.GetPromo{ID: c.Param("promo_id")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, promoOut(p))
}

func (s *Server) getPromos(c echo.Context) error {
	ps, err := s.app.Queries.Promos.Handle(c.Request().Context(), app.ListPromos{Status: c.QueryParam("status")})
	if err != nil {
		return err
	}
	out := make([]promoJSON, 0, len(ps))
	for _, p := range ps {
		if ownStore(c, p.Store.ID) == nil { // a store lists its own promos only
			out = append(out, promoOut(p))
		}
	}
	return c.JSON(http.StatusOK, map[string][]promoJSON{"promos": out})
}

func (s *Server) cancelPromo(c echo.Context) error {
	if err := s.promoOfOwnStore(c, c.Param("promo_id")); err != nil {
		return err
	}
	p, err := s.app.Commands.CancelPromo.Handle(c.Request().Context(), app.CancelPromo{ID: c.Param("promo_id")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, promoOut(p))
}

// idempotentID names the promo a create with an Idempotency-Key (and no id)
// makes: the same key gives the same id, so a retried create is the same
// promo (200) and a reused key with another body is promo_conflict, like a
// client-chosen id. Nothing needs storing.
func idempotentID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "idem-" + hex.EncodeToString(sum[:12])
}

// promoOfOwnStore refuses a store caller acting on another store's promo;
// other callers pass without a look.
func (s *Server) promoOfOwnStore(c echo.Context, id string) error {
	if callerOf(c).role != auth.Store {
		return nil
	}
	p, err := s.app.Queries.Promo.Handle(c.Request().Context(), app.GetPromo{ID: id})
	if err != nil {
		return err
	}
	return ownStore(c, p.Store.ID)
}
