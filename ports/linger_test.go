package ports

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"
)

// countingBody is an endless body of spaces (valid JSON so far) that
// counts what is read of it.
type countingBody struct{ read int64 }

func (b *countingBody) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	b.read += int64(len(p))
	return len(p), nil
}

func (b *countingBody) Close() error { return nil }

// TestLingerIsBounded: a refused body is read on for at most lingerMax
// bytes, and not at all when it is declared larger than the limit plus
// that: a client sending gigabytes is not waited for.
func TestLingerIsBounded(t *testing.T) {
	for _, tc := range []struct {
		name     string
		declared int64
		want     int64
	}{
		{"chunked, endless", -1, lingerMax},
		{"declared within the bound", MaxBody + lingerMax, lingerMax},
		{"declared beyond the bound", MaxBody + lingerMax + 1, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := &countingBody{}
			req := httptest.NewRequest(http.MethodPost, "/v1/promos", io.NopCloser(nil))
			req.Body, req.ContentLength = body, tc.declared
			c := echo.New().NewContext(req, httptest.NewRecorder())
			err := decode(c, &struct{}{})
			var p *httpProblem
			if !errors.As(err, &p) || p.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("decode: %v, want 413", err)
			}
			// decode itself reads MaxBody+1 of a body not declared too large.
			read := body.read
			if tc.declared < 0 {
				read -= MaxBody + 1
			}
			if read < tc.want || read > tc.want+32<<10 {
				t.Errorf("read %d bytes past the refusal, want %d", read, tc.want)
			}
		})
	}
}
