// Package ports translates HTTP, the event log and the clock into calls of
// the application. No business rule lives here.
package ports

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/ports/apidoc"
	"github.com/flashpromo/flashpromo/ports/auth"
	"github.com/flashpromo/flashpromo/ports/console"
)

// HTTPConfig is what the HTTP port needs besides the application.
type HTTPConfig struct {
	Verifier    *auth.Verifier
	ReserveRate float64 // reservation attempts a second per user
	Registry    *prometheus.Registry
	Log         *slog.Logger
	Probes      *Probes
}

// Server speaks the contract of API.md.
type Server struct {
	app      app.Application
	verifier *auth.Verifier
	limiter  *userLimiter
	visible  visibleEncoder
	probes   *Probes
}

// NewHTTPHandler builds the Echo router for the whole contract. Each route
// names who may call it: the table of API.md's "Who may call what".
func NewHTTPHandler(a app.Application, cfg HTTPConfig) *echo.Echo {
	s := &Server{app: a, verifier: cfg.Verifier, limiter: newUserLimiter(cfg.ReserveRate), probes: cfg.Probes}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = countServerErrors(cfg.Registry, errorHandler)
	e.Use(requestID, observe(cfg.Log, cfg.Registry), middleware.Recover())

	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})))
	cfg.Probes.routes(e)
	apidoc.Register(e) // /openapi.json and /docs, public
	console.Register(e)

	var (
		marketplace = s.guard(roles(auth.Admin, auth.Marketplace))
		userOrOwner = s.guard(selfOr(auth.Admin, auth.Marketplace))
		shopper     = s.guard(roles(auth.Admin, auth.Client))
		store       = s.guard(roles(auth.Admin, auth.Store))
		analyst     = s.guard(roles(auth.Admin, auth.Analyst))
		admin       = s.guard(roles(auth.Admin))
		anyone      = s.guard(anyCaller)
	)
	v1 := e.Group("/v1")
	v1.PUT("/users/:user_id", s.putUser, marketplace)
	v1.POST("/users/batch", s.postUsers, marketplace)
	v1.PUT("/users/:user_id/location", s.putLocation, userOrOwner)
	v1.POST("/users/:user_id/purchases", s.postPurchase, marketplace)
	v1.GET("/users/:user_id", s.getUser, userOrOwner)
	v1.GET("/users/:user_id/promos", s.getUserPromos, userOrOwner)
	v1.GET("/users/:user_id/notifications", s.getNotifications, userOrOwner)

	v1.POST("/promos", s.postPromo, store)
	v1.GET("/promos", s.getPromos, store)
	v1.GET("/promos/:promo_id", s.getPromo, anyone)
	v1.POST("/promos/:promo_id/cancel", s.cancelPromo, store)
	v1.POST("/promos/:promo_id/reservations", s.postReservation, shopper)
	v1.POST("/promo-series", s.postSeries, store)
	v1.GET("/promo-series/:series_id", s.getSeries, store)
	v1.POST("/promo-series/:series_id/cancel", s.cancelSeries, store)

	v1.GET("/reservations/:reservation_id", s.getReservation, shopper)
	v1.POST("/reservations/:reservation_id/purchase", s.purchase, shopper)
	v1.DELETE("/reservations/:reservation_id", s.release, shopper)

	v1.GET("/events", s.getEvents, analyst)
	v1.GET("/admin/projections", s.getProjections, analyst)
	v1.POST("/admin/projections/:name/rebuild", s.rebuild, admin)
	e.GET("/debug/pprof/*", echo.WrapHandler(http.DefaultServeMux), admin) // profiles, for the operators only
	return e
}

// NewHTTPServer wraps h with timeouts, so a slow client cannot hold a
// connection forever.
func NewHTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
}
