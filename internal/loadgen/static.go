package loadgen

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"
)

// ceiling loads a static Go server that answers every request with the
// same reply of size bytes, right after the reads, as long and with the same
// requests: each a random seeded user's, with its token, read to the end.
// So the load generator, on the same cores, does the same work for both;
// the difference is the server's. It prints the reads' rate as a share of
// this ceiling.
func (l *Loader) ceiling(ctx context.Context, users, size int, duration time.Duration, rate float64) error {
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

	reads, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	own := ownCPU()
	codes, lat, took, err := l.readPromos(reads, "http://"+ln.Addr().String(), users)
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	own = ownCPU() - own
	all := 0
	for _, c := range codes {
		all += c
	}
	ceiling := float64(codes[http.StatusOK]) / took.Seconds()
	fmt.Fprintf(l.Out, "static server, same requests, same %d B reply: %.0f requests/s, p50 %s, p99 %s; the reads are %.2f of it\n",
		len(reply), ceiling, lat.quantile(0.5), lat.quantile(0.99), rate/ceiling)
	fmt.Fprintf(l.Out, "CPU a request: the static server and the load generator together %s\n",
		micros(own/time.Duration(max(1, all))))
	return nil
}
