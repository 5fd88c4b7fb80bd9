package ports

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/ports/auth"
)

// seriesRequest is the body of POST /v1/promo-series: a promo's body
// without id, starts_at and ends_at, and when its occurrences are.
type seriesRequest struct {
	ID string `json:"id"`
	offerJSON
	TimeZone string      `json:"time_zone"`
	Window   *windowJSON `json:"window"`
	Days     []string    `json:"days"`
	From     *string     `json:"from"`
	Until    *string     `json:"until"`
}

type windowJSON struct {
	Start *string `json:"start"`
	End   *string `json:"end"`
}

func (r seriesRequest) spec() (domain.SeriesSpec, error) {
	offer, err := r.offerJSON.spec()
	if err != nil {
		return domain.SeriesSpec{}, err
	}
	for _, f := range []struct {
		name    string
		missing bool
	}{
		{"window", r.Window == nil},
		{"window.start", r.Window != nil && r.Window.Start == nil}, {"window.end", r.Window != nil && r.Window.End == nil},
		{"from", r.From == nil}, {"until", r.Until == nil},
	} {
		if f.missing {
			return domain.SeriesSpec{}, required(f.name)
		}
	}
	spec := domain.SeriesSpec{Promo: offer, Days: r.Days}
	if r.Days == nil { // absent: every day; present and empty is refused
		spec.Days = domain.AllDays()
	}
	if spec.Start, err = domain.ParseTimeOfDay("window.start", *r.Window.Start); err != nil {
		return domain.SeriesSpec{}, err
	}
	if spec.End, err = domain.ParseTimeOfDay("window.end", *r.Window.End); err != nil {
		return domain.SeriesSpec{}, err
	}
	if spec.From, err = domain.ParseDate("from", *r.From); err != nil {
		return domain.SeriesSpec{}, err
	}
	if spec.Until, err = domain.ParseDate("until", *r.Until); err != nil {
		return domain.SeriesSpec{}, err
	}
	return spec, nil
}

type seriesJSON struct {
	ID string `json:"id"`
	offerOut
	Stock       int                 `json:"stock"`
	TimeZone    string              `json:"time_zone"`
	Window      domain.SeriesWindow `json:"window"`
	Days        []string            `json:"days"`
	From        string              `json:"from"`
	Until       string              `json:"until"`
	Status      string              `json:"status"`
	Occurrences []domain.Occurrence `json:"occurrences"`
}

func seriesOut(s app.SeriesView) seriesJSON {
	return seriesJSON{
		ID: s.SeriesID, offerOut: offerOut{s.Store, s.Product, s.RegularPrice, s.PromoPrice, s.Segments, s.RadiusM},
		Stock:    s.Stock,
		TimeZone: s.TimeZone, Window: s.Window, Days: s.Days, From: s.From, Until: s.Until,
		Status: string(s.Status), Occurrences: s.Occurrences,
	}
}

func (s *Server) postSeries(c echo.Context) error {
	var req seriesRequest
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
	out, err := s.app.Commands.CreateSeries.Handle(c.Request().Context(),
		app.CreateSeries{ID: req.ID, TimeZone: req.TimeZone, Spec: spec})
	if err != nil {
		return err
	}
	status := http.StatusCreated
	if !out.Created {
		status = http.StatusOK
	}
	return c.JSON(status, seriesOut(out.SeriesView))
}

func (s *Server) getSeries(c echo.Context) error {
	out, err := s.ownSeries(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, seriesOut(out))
}

func (s *Server) cancelSeries(c echo.Context) error {
	if callerOf(c).role == auth.Store { // another store's series is not this caller's to cancel
		if _, err := s.ownSeries(c); err != nil {
			return err
		}
	}
	out, err := s.app.Commands.CancelSeries.Handle(c.Request().Context(), app.CancelSeries{ID: c.Param("series_id")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, seriesOut(out))
}

// ownSeries reads the series of the path; a store caller only its own.
func (s *Server) ownSeries(c echo.Context) (app.SeriesView, error) {
	out, err := s.app.Queries.Series.Handle(c.Request().Context(), app.GetSeries{ID: c.Param("series_id")})
	if err == nil {
		err = ownStore(c, out.Store.ID)
	}
	return out, err
}
