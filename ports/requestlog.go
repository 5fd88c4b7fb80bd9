package ports

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/labstack/echo/v4"
)

const requestIDKey = "flashpromo.request_id"

// requestID takes the caller's X-Request-Id, or makes one when it is
// missing or not a plain token (it goes into logs and events), and echoes
// it in the reply.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(echo.HeaderXRequestID)
		if !plainID(id) {
			id = uuid.NewString()
		}
		c.Set(requestIDKey, id)
		c.Response().Header().Set(echo.HeaderXRequestID, id)
		return next(c)
	}
}

func requestIDOf(c echo.Context) string {
	id, _ := c.Get(requestIDKey).(string)
	return id
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

// requestLog writes a line per request with its id and caller, never its
// credential. Commands and refusals are logged at info; answered reads,
// the bulk of the traffic, at debug.
func requestLog(log *slog.Logger) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := time.Now()
			err := next(c)
			if err != nil {
				c.Error(err) // write the response now, so its status is known
			}
			req, status := c.Request(), c.Response().Status
			level := slog.LevelInfo
			if req.Method == http.MethodGet && status < 400 {
				level = slog.LevelDebug
			}
			if !log.Enabled(req.Context(), level) {
				return nil
			}
			cl := callerOf(c)
			log.LogAttrs(req.Context(), level, "request",
				slog.String("request_id", requestIDOf(c)), slog.String("method", req.Method),
				slog.String("path", req.URL.Path), slog.Int("status", status),
				slog.Duration("took", time.Since(start)), slog.String("actor", cl.Subject))
			return nil
		}
	}
}
