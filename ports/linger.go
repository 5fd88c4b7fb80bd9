package ports

import (
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
)

// A refused body is read on and dropped, up to lingerMax more bytes for at
// most lingerFor, before the reply: a client that sends its whole body
// before it reads (Python's urllib, Java's HttpURLConnection) then gets the
// 413. Closing on unread data would reset the connection, and the client
// would see that instead. nginx's lingering close does the same.
const (
	lingerMax = 8 << 20
	lingerFor = 5 * time.Second
)

// decode reads a body of at most MaxBody bytes (see decodeBody).
func decode(c echo.Context, v any) error { return decodeUpTo(c, v, MaxBody) }

// decodeUpTo is decodeBody, which lingers on a body refused for its size.
func decodeUpTo(c echo.Context, v any, limit int64) error {
	err := decodeBody(c, v, limit)
	var p *httpProblem
	if errors.As(err, &p) && p.status == http.StatusRequestEntityTooLarge {
		linger(c, limit)
	}
	return err
}

// linger drops the rest of the request body, within bounds, when read was
// bytes of it at most. A body declared larger than the bounds is not worth
// it: the client is reset.
func linger(c echo.Context, read int64) {
	req := c.Request()
	if req.ContentLength > read+lingerMax {
		return
	}
	_ = http.NewResponseController(c.Response()).SetReadDeadline(time.Now().Add(lingerFor))
	_, _ = io.CopyN(io.Discard, req.Body, lingerMax)
}
