package ports

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/eventstore"
)

func (s *Server) getEvents(c echo.Context) error {
	q := app.ReadEvents{Stream: c.QueryParam("stream"), Type: c.QueryParam("type")}
	var err error
	if q.After, err = intParam(c, "after"); err != nil {
		return err
	}
	limit, err := intParam(c, "limit")
	if err != nil {
		return err
	}
	q.Limit = int(min(limit, app.MaxEvents+1)) // above the maximum stays above it
	page, err := s.app.Queries.Events.Handle(c.Request().Context(), q)
	if err != nil {
		return err
	}
	out := struct {
		Events    []eventstore.Envelope `json:"events"`
		NextAfter int64                 `json:"next_after"`
	}{make([]eventstore.Envelope, len(page.Events)), page.NextAfter}
	for i, e := range page.Events {
		out.Events[i] = eventstore.Envelope{ID: e.ID, StreamID: e.StreamID, Version: e.Version, Position: e.Position,
			Type: e.Type, OccurredAt: e.OccurredAt, Data: e.Data, Metadata: e.Metadata}
	}
	return c.JSON(http.StatusOK, out)
}

// intParam reads an optional whole-number query parameter (0 when absent).
func intParam(c echo.Context, name string) (int64, error) {
	v := c.QueryParam(name)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, invalid(name + ": must be a whole number")
	}
	if n < 0 || (name == "limit" && n == 0) {
		return 0, invalid(name + ": out of range")
	}
	return n, nil
}

func (s *Server) getProjections(c echo.Context) error {
	ps, err := s.app.Queries.Projections.Handle(c.Request().Context(), app.ListProjections{})
	if err != nil {
		return err
	}
	type projectionJSON struct {
		Name     string `json:"name"`
		Position int64  `json:"position"`
		Lag      int64  `json:"lag"`
		Status   string `json:"status"`
	}
	out := make([]projectionJSON, len(ps))
	for i, p := range ps {
		out[i] = projectionJSON{p.Name, p.Position, p.Lag, p.Status}
	}
	return c.JSON(http.StatusOK, map[string][]projectionJSON{"projections": out})
}

func (s *Server) rebuild(c echo.Context) error {
	_, err := s.app.Commands.Rebuild.Handle(c.Request().Context(), app.RebuildProjection{Name: c.Param("name")})
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]string{"status": "rebuilding"})
}
