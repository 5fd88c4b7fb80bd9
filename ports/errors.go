package ports

import (
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/flashpromo/flashpromo/app"
)

// apiError is the contract's error envelope.
type apiError struct {
	Error errorBody `json:"error"`
}

type errorBody struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// httpProblem is an error the port itself raises, with its status.
type httpProblem struct {
	status        int
	code, message string
}

func (p *httpProblem) Error() string { return p.message }

func problem(status int, code, message string) error {
	return &httpProblem{status, code, message}
}

func invalid(message string) error {
	return problem(http.StatusBadRequest, "invalid_request", message)
}

var statusOf = map[app.Kind]int{
	app.KindInvalid:     http.StatusBadRequest,
	app.KindNotFound:    http.StatusNotFound,
	app.KindForbidden:   http.StatusForbidden,
	app.KindConflict:    http.StatusConflict,
	app.KindGone:        http.StatusGone,
	app.KindUnavailable: http.StatusServiceUnavailable,
}

// errorHandler is the one place that turns errors into responses.
func errorHandler(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	status, body := describe(err)
	if h := c.Response().Header(); status == http.StatusUnauthorized && h.Get(echo.HeaderWWWAuthenticate) == "" {
		h.Set(echo.HeaderWWWAuthenticate, "Bearer") // RFC 6750: say which scheme is wanted
	}
	if wait, ok := app.RetryAfter(err); ok {
		c.Response().Header().Set("Retry-After", retryAfterSeconds(wait))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, apiError{body})
}

// countServerErrors wraps the error handler with a counter of the 5xx
// answers by their code (internal, unavailable, ...): a bounded set, the
// cause an operator acts on.
func countServerErrors(reg prometheus.Registerer, next echo.HTTPErrorHandler) echo.HTTPErrorHandler {
	failures := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "flashpromo_http_server_errors_total",
		Help: "HTTP 5xx answers by the error's code.",
	}, []string{"code"})
	reg.MustRegister(failures)
	return func(err error, c echo.Context) {
		if !c.Response().Committed {
			if status, body := describe(err); status >= http.StatusInternalServerError {
				failures.WithLabelValues(body.Code).Inc()
			}
		}
		next(err, c)
	}
}

// retryAfterSeconds is a Retry-After value: whole seconds, rounded up, so
// a client that waits that long is not refused again.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}

func describe(err error) (int, errorBody) {
	var p *httpProblem
	if errors.As(err, &p) {
		return p.status, errorBody{p.code, p.message}
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		switch he.Code {
		case http.StatusNotFound:
			return he.Code, errorBody{"not_found", "no such resource"}
		case http.StatusMethodNotAllowed:
			return he.Code, errorBody{"method_not_allowed", "method not allowed on this resource"}
		case http.StatusRequestEntityTooLarge:
			return he.Code, errorBody{"payload_too_large", "body over 1 MiB"}
		}
		return he.Code, errorBody{"invalid_request", http.StatusText(he.Code)}
	}
	kind, code := app.Classify(err)
	status, ok := statusOf[kind]
	if !ok {
		return http.StatusInternalServerError, errorBody{"internal", "internal error"}
	}
	if kind == app.KindUnavailable { // say what to do, not what broke
		return status, errorBody{code, app.ErrUnavailable.Error()}
	}
	return status, errorBody{code, err.Error()}
}
