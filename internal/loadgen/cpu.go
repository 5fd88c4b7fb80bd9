package loadgen

import (
	"context"
	"fmt"
	"syscall"
	"time"
)

// cpuTimes are the CPU time the server has used (process_cpu_seconds_total
// on its /metrics, in steps of 10 ms) and this process's own, read
// together: over a run, they say what a request cost each side.
type cpuTimes struct{ server, own time.Duration }

func (l *Loader) cpuNow(ctx context.Context) (cpuTimes, error) {
	_, s, err := l.metric(ctx, "process_cpu_seconds_total")
	if err != nil {
		return cpuTimes{}, err
	}
	return cpuTimes{server: time.Duration(s * float64(time.Second)), own: ownCPU()}, nil
}

// ownCPU is this process's user and system time.
func ownCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return cpuOf(&ru)
}

// cpuOf is the user and system time of a resource usage (0 for none).
func cpuOf(ru *syscall.Rusage) time.Duration {
	if ru == nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// perRequest says the CPU each side used a request since start.
func (c cpuTimes) perRequest(end cpuTimes, n int) string {
	n = max(n, 1)
	return fmt.Sprintf("server %s, load generator %s", micros((end.server-c.server)/time.Duration(n)),
		micros((end.own-c.own)/time.Duration(n)))
}

func micros(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/1000) }
