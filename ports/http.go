// Package ports translates HTTP, the event log and the clock into calls of
// the application. No business rule lives here.
package ports

import (
	"crypto/subtle"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on the default mux
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/flashpromo/flashpromo/app"
)

// HTTPConfig is what the HTTP port needs besides the application.
type HTTPConfig struct {
	AdminToken  string
	ReserveRate float64 // reservation attempts a second per user
	Registry    *prometheus.Registry
}

// Server speaks the contract of API.md.
type Server struct {
	app     app.Application
	limiter *userLimiter
	visible visibleEncoder
}

// NewHTTPHandler builds the Echo router for the whole contract.
func NewHTTPHandler(a app.Application, cfg HTTPConfig) *echo.Echo {
	s := &Server{app: a, limiter: newUserLimiter(cfg.ReserveRate)}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = errorHandler
	e.Use(middleware.Recover(), requestMetrics(cfg.Registry))
	admin := adminOnly(cfg.AdminToken)

	e.GET("/healthz", func(c echo.Context) error { return c.JSON(http.StatusOK, map[string]string{"status": "ok"}) })
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(cfg.Registry, promhttp.HandlerOpts{})))

	v1 := e.Group("/v1")
	v1.PUT("/users/:user_id", s.putUser, admin)
	v1.POST("/users/batch", s.postUsers, admin)
	v1.PUT("/users/:user_id/location", s.putLocation)
	v1.POST("/users/:user_id/purchases", s.postPurchase, admin)
	v1.GET("/users/:user_id", s.getUser)
	v1.GET("/users/:user_id/promos", s.getUserPromos)
	v1.GET("/users/:user_id/notifications", s.getNotifications)

	v1.POST("/promos", s.postPromo, admin)
	v1.GET("/promos", s.getPromos, admin)
	v1.GET("/promos/:promo_id", s.getPromo)
	v1.POST("/promos/:promo_id/cancel", s.cancelPromo, admin)
	v1.POST("/promos/:promo_id/reservations", s.postReservation)
	v1.POST("/promo-series", s.postSeries, admin)
	v1.GET("/promo-series/:series_id", s.getSeries, admin)
	v1.POST("/promo-series/:series_id/cancel", s.cancelSeries, admin)

	v1.GET("/reservations/:reservation_id", s.getReservation)
	v1.POST("/reservations/:reservation_id/purchase", s.purchase)
	v1.DELETE("/reservations/:reservation_id", s.release)

	v1.GET("/events", s.getEvents, admin)
	e.GET("/debug/pprof/*", echo.WrapHandler(http.DefaultServeMux), admin) // profiles, for the operators only
	v1.GET("/admin/projections", s.getProjections, admin)
	v1.POST("/admin/projections/:name/rebuild", s.rebuild, admin)
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

// adminOnly checks the bearer token, in constant time, before the body is read.
func adminOnly(token string) echo.MiddlewareFunc {
	want := []byte("Bearer " + token)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			got := []byte(c.Request().Header.Get(echo.HeaderAuthorization))
			if token == "" || subtle.ConstantTimeCompare(got, want) != 1 {
				return problem(http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token")
			}
			return next(c)
		}
	}
}

// requestMetrics counts requests by route and status, and times them.
func requestMetrics(reg *prometheus.Registry) echo.MiddlewareFunc {
	requests := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "flashpromo_http_request_duration_seconds",
		Help:    "HTTP requests by route, method and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "status"})
	reg.MustRegister(requests)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the response now, so its status is known
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			requests.WithLabelValues(route, c.Request().Method, strconv.Itoa(c.Response().Status)).Observe(time.Since(start).Seconds())
			return nil
		}
	}
}
