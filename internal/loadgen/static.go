package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ceiling loads a static Go server that answers every request with the
// same reply of size bytes, right after the reads, as long and with the same
// requests: each a random seeded user's, with its token, read to the end.
// So the load generator, on the same cores, does the same work for both;
// the difference is the server's. It prints the reads' rate as a share of
// this ceiling. With StaticCommand the static server is a process of its
// own, like the real one, and the CPU of each side is printed apart.
func (l *Loader) ceiling(ctx context.Context, users, size int, duration time.Duration, rate float64) error {
	base, stop, err := l.startStatic(ctx, size)
	if err != nil {
		return err
	}
	reads, cancel := context.WithTimeout(ctx, duration)
	defer cancel()
	own := ownCPU()
	codes, lat, took, err := l.readPromos(reads, base, users)
	own = ownCPU() - own
	static, stopErr := stop()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if stopErr != nil {
		return stopErr
	}
	all := 0
	for _, c := range codes {
		all += c
	}
	ceiling := float64(codes[http.StatusOK]) / took.Seconds()
	fmt.Fprintf(l.Out, "static server, same requests, same %d B reply: %.0f requests/s, p50 %s, p99 %s; the reads are %.2f of it\n",
		size, ceiling, lat.quantile(0.5), lat.quantile(0.99), rate/ceiling)
	n := time.Duration(max(1, all))
	if l.StaticCommand == nil {
		fmt.Fprintf(l.Out, "CPU a request: the static server and the load generator together %s\n", micros(own/n))
	} else {
		fmt.Fprintf(l.Out, "CPU a request: static server %s, load generator %s\n", micros(static/n), micros(own/n))
	}
	return nil
}

// startStatic starts the static server, in this process or with
// StaticCommand, and returns its URL and how to stop it, which says the
// CPU its process used (0 in this process).
func (l *Loader) startStatic(ctx context.Context, size int) (string, func() (time.Duration, error), error) {
	if l.StaticCommand == nil {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return "", nil, err
		}
		srv := staticServer(size)
		go func() { _ = srv.Serve(ln) }()
		return "http://" + ln.Addr().String(), func() (time.Duration, error) { return 0, srv.Close() }, nil
	}
	cmd := exec.CommandContext(ctx, l.StaticCommand[0], append(l.StaticCommand[1:], strconv.Itoa(size))...)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", nil, err
	}
	addr, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return "", nil, fmt.Errorf("static server: %w", err)
	}
	stop := func() (time.Duration, error) {
		_ = cmd.Process.Signal(os.Interrupt)
		if err := cmd.Wait(); err != nil {
			return 0, fmt.Errorf("static server: %w", err)
		}
		ru, _ := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return cpuOf(ru), nil
	}
	return "http://" + strings.TrimSpace(addr), stop, nil
}

// ServeStatic answers every request with a reply of size bytes until ctx
// ends, on a port of 127.0.0.1 that it prints first: the ceiling's server
// as a process of its own.
func ServeStatic(ctx context.Context, size int, out io.Writer) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := staticServer(size)
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	fmt.Fprintln(out, ln.Addr())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// staticServer answers {"promos":[ ]} padded to size bytes, as JSON.
func staticServer(size int) *http.Server {
	reply := append([]byte(`{"promos":[`), bytes.Repeat([]byte(" "), max(0, size-13))...)
	reply = append(reply, "]}"...)
	return &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(reply)
	}), ReadHeaderTimeout: 5 * time.Second}
}
