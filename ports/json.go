package ports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/labstack/echo/v4"
)

// MaxBody is the largest request body accepted; MaxBatchBody that of a
// batch of users, so that a full batch always fits.
const (
	MaxBody      = 1 << 20
	MaxBatchBody = 8 << 20
)

// decodeBody reads exactly one JSON value into v: no unknown field,
// nothing after it, at most limit bytes. A body declared larger is refused
// before a byte of it is read, so that its size decides, not an early
// syntax error.
func decodeBody(c echo.Context, v any, limit int64) error {
	if c.Request().ContentLength > limit { // refused by its size, whatever it holds
		return decodeError(&http.MaxBytesError{Limit: limit})
	}
	r := http.MaxBytesReader(c.Response(), c.Request().Body, limit)
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return decodeError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return decodeError(err)
		}
		return invalid("body must hold a single JSON value")
	}
	return nil
}

func decodeError(err error) error {
	var tooLarge *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &tooLarge):
		return problem(http.StatusRequestEntityTooLarge, "payload_too_large", fmt.Sprintf("body over %d MiB", tooLarge.Limit>>20))
	case errors.Is(err, io.EOF):
		return invalid("body is empty")
	case errors.As(err, &typeErr):
		return invalid(fmt.Sprintf("%s: wrong type, expected %s", typeErr.Field, typeErr.Type))
	}
	return invalid("malformed JSON: " + err.Error())
}

// required reports a missing field.
func required(field string) error { return invalid(field + ": is required") }

// decodeEntry decodes one element of a list as strictly as decode does;
// an error names the element, e.g. "users[3]: location.lat: wrong type".
func decodeEntry(data json.RawMessage, v any, name string) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var p *httpProblem
		if errors.As(decodeError(err), &p) {
			return invalid(name + ": " + p.message)
		}
		return invalid(name + ": " + err.Error())
	}
	return nil
}
