package ports

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

func TestUnauthorizedNamesTheBearerScheme(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{problem(http.StatusUnauthorized, "unauthorized", "missing or wrong bearer token"), "Bearer"},
		{problem(http.StatusForbidden, "forbidden", "not for this role"), ""},
	} {
		e := echo.New()
		rec := httptest.NewRecorder()
		errorHandler(c.err, e.NewContext(httptest.NewRequest(http.MethodGet, "/v1/events", nil), rec))
		if got := rec.Header().Get("WWW-Authenticate"); got != c.want {
			t.Errorf("%d: WWW-Authenticate %q, want %q", rec.Code, got, c.want)
		}
	}
}
