package service

import (
	"fmt"
	"log/slog"
	"math"

	"github.com/KimMachineGun/automemlimit/memlimit"
	"github.com/dustin/go-humanize"
)

// setMemoryLimit gives the garbage collector its budget, so that resident
// memory stays near the live heap instead of twice it: limit when given
// (FLASHPROMO_MEMORY_LIMIT, e.g. 450MiB), else 90 % of the container's
// memory limit (its cgroup), else none. GOMEMLIMIT, when set, wins.
func setMemoryLimit(limit string, log *slog.Logger) error {
	opts := []memlimit.Option{memlimit.WithLogger(log)}
	if limit != "" {
		n, err := humanize.ParseBytes(limit)
		if err != nil || n == 0 {
			return fmt.Errorf("memory limit %q: a size such as 450MiB", limit)
		}
		opts = append(opts, memlimit.WithProvider(memlimit.Limit(n)), memlimit.WithRatio(1))
	}
	got, err := memlimit.Set(opts...)
	if err != nil {
		return err
	}
	if got == math.MaxInt64 {
		log.Info("memory limit: none (no FLASHPROMO_MEMORY_LIMIT, GOMEMLIMIT or container limit)")
		return nil
	}
	log.Info("memory limit for the garbage collector", "limit", humanize.IBytes(uint64(got)))
	return nil
}
