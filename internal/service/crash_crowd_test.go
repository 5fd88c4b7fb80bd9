package service

import (
	"context"
	"net/http"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/loadgen"
	"github.com/flashpromo/flashpromo/internal/pgtest"
)

// TestCrashDuringFlashCrowd kills the service with SIGKILL while clients
// reserve one promo, starts it again, and checks that every hold a client
// was told about (201) is there, nothing is oversold, and the holds free
// themselves on time. It runs with FLASHPROMO_CRASH_USERS set.
func TestCrashDuringFlashCrowd(t *testing.T) {
	if os.Getenv("FLASHPROMO_CRASH_USERS") == "" {
		t.Skip("set FLASHPROMO_CRASH_USERS to run the crash tests")
	}
	const users, stock, ttl = 2000, 500, 8 * time.Second
	start, l := serviceProcess(t, "crowd", 30*time.Second, "FLASHPROMO_DATABASE_URL="+pgtest.Schema(t),
		"FLASHPROMO_RESERVE_RATE=1000", "FLASHPROMO_HOLD_TTL="+ttl.String())
	ctx := context.Background()
	first := start()
	untilReady(t, l, "the service is ready")
	if err := l.SeedUsers(ctx, users, 1500); err != nil {
		t.Fatal(err)
	}
	if err := l.Promo(ctx, "crowd-promo", map[string]float64{"lat": loadgen.Centre.Lat, "lng": loadgen.Centre.Lng}, time.Now(), stock); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var told []string // reservation ids answered 201
	var wg sync.WaitGroup
	for w := range 128 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < users; i += 128 {
				var r struct{ ID string }
				code, err := l.Call(ctx, "POST", "/v1/promos/crowd-promo/reservations", map[string]string{"user_id": l.User(i)}, &r, l.User(i))
				if err != nil && code == 0 {
					return // the service is gone
				}
				if code == http.StatusCreated {
					mu.Lock()
					told = append(told, r.ID)
					mu.Unlock()
				}
			}
		}()
	}
	eventually(t, "holds are being granted", func() bool { mu.Lock(); defer mu.Unlock(); return len(told) >= 50 })
	_ = first.Process.Signal(syscall.SIGKILL)
	_ = first.Wait()
	wg.Wait()
	t.Logf("killed after %d holds were told to clients", len(told))

	start()
	untilReady(t, l, "the service is back")
	for _, id := range told {
		var r struct{ Status string }
		if _, err := l.Call(ctx, "GET", "/v1/reservations/"+id, nil, &r, ""); err != nil || (r.Status != "held" && r.Status != "expired") {
			t.Fatalf("reservation %s told 201 before the crash: %q %v", id, r.Status, err)
		}
	}
	var p struct {
		Stock struct{ Total, Held, Sold, Available int }
	}
	if _, err := l.Call(ctx, "GET", "/v1/promos/crowd-promo", nil, &p, ""); err != nil {
		t.Fatal(err)
	}
	if p.Stock.Held+p.Stock.Sold > p.Stock.Total {
		t.Fatalf("oversold after the restart: %+v", p.Stock)
	}
	t.Logf("after the restart: %+v; %d told holds all found", p.Stock, len(told))
	eventually(t, "the holds free themselves", func() bool {
		_, err := l.Call(ctx, "GET", "/v1/promos/crowd-promo", nil, &p, "")
		return err == nil && p.Stock.Available == p.Stock.Total
	})
}
