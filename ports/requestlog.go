package ports

import (
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// requestID takes the caller's X-Request-Id, or makes one when it is
// missing or not a plain token (it goes into logs and events), and echoes
// it in the reply, where the request's later steps read it.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !plainID(id) {
			id = newRequestID()
		}
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func requestIDOf(c echo.Context) string { return c.Response().Header().Get(echo.HeaderXRequestID) }

// Request ids made here are this process's random prefix and a counter:
// unique across instances without a read of the random source per request.
var (
	requestPrefix = uuid.NewString()[:19] // "xxxxxxxx-xxxx-xxxx-": 64 random bits
	requests      atomic.Uint64
)

func newRequestID() string {
	return requestPrefix + strconv.FormatUint(requests.Add(1)|1<<60, 16)[1:]
}

// plainID accepts up to 128 letters, digits and -_.:
func plainID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' || r == ':'
		if !ok {
			return false
		}
	}
	return true
}

// observe writes the response of a failed handler at once, so that its
// status is known, then times the request by route and status and logs it
// with its id and caller, never its credential. Commands and refusals are
// logged at info; answered reads, the bulk of the traffic, at debug.
func observe(log *slog.Logger, reg *prometheus.Registry) echo.MiddlewareFunc {
	requests := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "flashpromo_http_request_duration_seconds",
		Help:    "HTTP requests by route, method and status.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route", "method", "status"})
	reg.MustRegister(requests)
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			if err := next(c); err != nil {
				c.Error(err)
			}
			took := time.Since(start)
			req, status := c.Request(), c.Response().Status
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			requests.WithLabelValues(route, req.Method, statusText(status)).Observe(took.Seconds())
			level := slog.LevelInfo
			if req.Method == http.MethodGet && status < 400 {
				level = slog.LevelDebug
			}
			if log.Enabled(req.Context(), level) {
				log.LogAttrs(req.Context(), level, "request",
					slog.String("request_id", requestIDOf(c)), slog.String("method", req.Method),
					slog.String("path", req.URL.Path), slog.Int("status", status),
					slog.Duration("took", took), slog.String("actor", callerOf(c).Subject))
			}
			return nil
		}
	}
}

// statuses are the status codes as label values, made once.
var statuses = func() (s [600]string) {
	for i := range s {
		s[i] = strconv.Itoa(i)
	}
	return s
}()

func statusText(code int) string {
	if code >= 0 && code < len(statuses) {
		return statuses[code]
	}
	return strconv.Itoa(code)
}
