package ports

import (
	"context"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
)

// Probes are what the health endpoints ask of the service.
type Probes struct {
	CaughtUp atomic.Bool                      // the read models have caught up since start
	Database func(ctx context.Context) string // "up", "down" or "embedded"
	Kafka    func(ctx context.Context) string // "up", "down" or "off"
}

// livez: the process answers. readyz: it serves from caught-up read models
// and its database answers; Kafka's state is reported, not required (the
// relay waits for it).
func (p *Probes) routes(e *echo.Echo) {
	e.GET("/livez", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), time.Second)
		defer cancel()
		checks := map[string]string{"read_models": "catching_up", "database": p.Database(ctx), "kafka": p.Kafka(ctx)}
		if p.CaughtUp.Load() {
			checks["read_models"] = "caught_up"
		}
		if checks["read_models"] != "caught_up" || checks["database"] == "down" {
			c.Response().Header().Set("Retry-After", "1")
			return c.JSON(http.StatusServiceUnavailable, map[string]any{"status": "not_ready", "checks": checks})
		}
		return c.JSON(http.StatusOK, map[string]any{"status": "ready", "checks": checks})
	})
}

// starting answers 503 while the read models catch up at start: the port
// is open from the first second, but no answer comes from a partial model.
func (p *Probes) starting(c echo.Context) error {
	c.Response().Header().Set("Retry-After", "1")
	return problem(http.StatusServiceUnavailable, "unavailable", "starting: the read models are catching up with the log")
}
