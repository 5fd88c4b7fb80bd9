// Package console serves the operators' and analysts' web console: static
// files from the binary, all public. The pages call the API with the
// credential the person signs in with; nothing here reads or checks it.
package console

import (
	"embed"
	"io/fs"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"
)

// web holds the page, its modules and style sheet, and uPlot as npm's
// uplot package ships it, with its licence.
//
//go:embed web
var web embed.FS

// policy keeps the page to its own origin: no script, style or connection
// elsewhere, and no framing (the page holds a credential).
const policy = "default-src 'none'; script-src 'self'; style-src 'self'; " +
	"img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Register adds GET /console (a redirect), GET /console/ and
// GET /console/{asset}; none of them needs a credential.
func Register(e *echo.Echo) {
	e.GET("/console", func(c echo.Context) error { return c.Redirect(http.StatusPermanentRedirect, "/console/") })
	e.GET("/console/", func(c echo.Context) error { return asset(c, "index.html") })
	e.GET("/console/:asset", func(c echo.Context) error { return asset(c, c.Param("asset")) })
}

// Files lists the console's files, for tests.
func Files() fs.FS {
	sub, err := fs.Sub(web, "web")
	if err != nil {
		panic(err)
	}
	return sub
}

func asset(c echo.Context, name string) error {
	data, err := fs.ReadFile(web, "web/"+name)
	if err != nil || name != path.Base(name) {
		return echo.ErrNotFound
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		ct = "text/plain; charset=utf-8" // the licence
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "no-cache")
	h.Set("Content-Security-Policy", policy)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	return c.Blob(http.StatusOK, ct, data)
}
