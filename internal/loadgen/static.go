package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"time"
)

// ceiling loads a static Go server that answers every request with the
// same reply of size bytes, with the Loader's connections and for as long
// as the reads ran, right after them: the machine's ceiling for replies of
// that size. It prints the reads' rate as a share of it.
func (l *Loader) ceiling(ctx context.Context, size int, duration time.Duration, rate float64) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	reply := append([]byte(`{"promos":[`), bytes.Repeat([]byte(" "), max(0, size-13))...)
	reply = append(reply, "]}"...)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	url := "http://" + ln.Addr().String() + "/static"
	ctx, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	codes, lat, took, err := l.hammer(ctx, math.MaxInt, func(int) (int, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return 0, err
		}
		res, err := l.Client.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		_, err = io.Copy(io.Discard, res.Body)
		return res.StatusCode, err
	})
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	ceiling := float64(codes[http.StatusOK]) / took.Seconds()
	fmt.Fprintf(l.Out, "static server, same %d B reply: %.0f requests/s, p50 %s, p99 %s; the reads are %.2f of it\n",
		len(reply), ceiling, lat.quantile(0.5), lat.quantile(0.99), rate/ceiling)
	return nil
}
