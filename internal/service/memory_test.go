package service

import (
	"io"
	"log/slog"
	"runtime/debug"
	"testing"
)

// TestMemoryLimit: FLASHPROMO_MEMORY_LIMIT becomes the garbage collector's
// limit; a malformed one stops the start.
func TestMemoryLimit(t *testing.T) {
	t.Setenv("GOMEMLIMIT", "")
	before := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(before) })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if err := setMemoryLimit("450MiB", log); err != nil {
		t.Fatal(err)
	}
	if got := debug.SetMemoryLimit(-1); got != 450<<20 {
		t.Errorf("limit %d, want %d", got, 450<<20)
	}
	for _, bad := range []string{"lots", "0", "-5MiB"} {
		if err := setMemoryLimit(bad, log); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}
