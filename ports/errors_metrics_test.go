package ports

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/flashpromo/flashpromo/app"
)

func TestServerErrorsAreCountedByCode(t *testing.T) {
	reg := prometheus.NewRegistry()
	handle := countServerErrors(reg, errorHandler)
	for _, err := range []error{
		fmt.Errorf("load: %w", app.ErrUnavailable),
		fmt.Errorf("load: %w", app.ErrUnavailable),
		errors.New("a bug"),
		app.ErrNotFound, // a 4xx: not counted
	} {
		rec := httptest.NewRecorder()
		handle(err, echo.New().NewContext(httptest.NewRequest(http.MethodGet, "/v1/promos/p", nil), rec))
	}
	want := map[string]float64{"unavailable": 2, "internal": 1, "not_found": 0}
	for code, n := range want {
		if got := serverErrors(t, reg, code); got != n {
			t.Errorf("%s: %v, want %v", code, got, n)
		}
	}
}

// serverErrors reads the 5xx counter of one code (0 when absent).
func serverErrors(t *testing.T, reg *prometheus.Registry, code string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if mf.GetName() == "flashpromo_http_server_errors_total" && m.GetLabel()[0].GetValue() == code {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}
