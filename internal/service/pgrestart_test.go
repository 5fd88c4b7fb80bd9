package service

import (
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/internal/pgcluster"
)

// crowdOutcome is what the clients of a flash crowd were told.
type crowdOutcome struct {
	mu       sync.Mutex
	told     map[string]string // reservation id: user, for every 201 (or 200, a retry's same hold)
	refused  map[string]int    // status and code of every other reply to a command
	readsOK  atomic.Int64
	badReads []string
	inFlight atomic.Int64 // commands sent and not yet answered
	slowest  atomic.Int64 // the longest wait for an answer to a command, ns
}

// command sends a reservation and keeps the figures of its answer.
func (o *crowdOutcome) command(s *testServer, user string) response {
	o.inFlight.Add(1)
	began := time.Now()
	r := s.reply("POST", "/v1/promos/hot/reservations", map[string]any{"user_id": user}, s.as(user))
	took := int64(time.Since(began))
	for old := o.slowest.Load(); took > old && !o.slowest.CompareAndSwap(old, took); old = o.slowest.Load() {
	}
	o.inFlight.Add(-1)
	return r
}

func (o *crowdOutcome) hold(id, user string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.told[id] = user
}

func (o *crowdOutcome) refuse(r response) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.refused[fmt.Sprintf("%d %s", r.Status, r.code())]++
}

func (o *crowdOutcome) read(what string, r response) {
	if r.Status == http.StatusOK {
		o.readsOK.Add(1)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	o.badReads = append(o.badReads, fmt.Sprintf("%s: %d %s", what, r.Status, r.Raw))
}

func (o *crowdOutcome) holds() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.told)
}

// crowdThroughDatabaseFault runs a flash crowd (clients reserving one hot
// promo, each until it holds a unit or hears sold_out, and readers) against
// a service on a Postgres of the test's own, and calls fault once holds
// are being granted.
func crowdThroughDatabaseFault(t *testing.T, fault func(db *pgcluster.Cluster, s *testServer)) {
	const users, stock, clients, readers = 3000, 1000, 24, 4
	db := pgcluster.Start(t)
	s := startServer(t, newFakeClock(t0), onPostgres(db.URL()))
	s.registerMany("crowd", users)
	s.activePromo("hot", "audifonos-xyz", stock)
	http.DefaultClient.Timeout = 20 * time.Second // a hang fails the test instead of blocking it
	defer func() { http.DefaultClient.Timeout = 0 }()

	o := &crowdOutcome{told: map[string]string{}, refused: map[string]int{}}
	done := make(chan struct{})
	var rg sync.WaitGroup
	for r := range readers {
		rg.Add(1)
		go func() {
			defer rg.Done()
			for i := r; ; i++ {
				select {
				case <-done:
					return
				default:
				}
				user := fmt.Sprintf("crowd%05d", i%users)
				o.read("GET /v1/users/"+user+"/promos", s.reply("GET", "/v1/users/"+user+"/promos", nil, s.as(user)))
				o.read("GET /v1/promos/hot", s.reply("GET", "/v1/promos/hot", nil, ctAdmin))
			}
		}()
	}
	var cg sync.WaitGroup
	giveUp := time.Now().Add(45 * time.Second)
	for c := range clients {
		cg.Add(1)
		go func() {
			defer cg.Done()
			for i := c; i < users; i += clients {
				user := fmt.Sprintf("crowd%05d", i)
				for time.Now().Before(giveUp) {
					r := o.command(s, user)
					if r.Status == http.StatusCreated || r.Status == http.StatusOK {
						o.hold(r.Body["id"].(string), user)
						break
					}
					o.refuse(r)
					if r.Status != http.StatusServiceUnavailable {
						break // sold_out, or a wrong answer counted above
					}
					time.Sleep(20 * time.Millisecond)
				}
			}
		}()
	}
	eventually(t, "holds are being granted", func() bool { return o.holds() >= 20 })
	before := o.holds()
	inFlight, began := o.inFlight.Load(), time.Now()
	fault(db, s)
	t.Logf("fault injected after %d holds with %d commands in flight; it took %v", before, inFlight, time.Since(began).Round(time.Millisecond))
	if inFlight == 0 {
		t.Error("no command was in flight when the fault began, so the test showed nothing")
	}
	cg.Wait()
	close(done)
	rg.Wait()

	t.Logf("holds told: %d; other answers to commands: %v; slowest answer %v; reads served: %d",
		o.holds(), o.refused, time.Duration(o.slowest.Load()).Round(time.Millisecond), o.readsOK.Load())
	for answer := range o.refused {
		if answer != "503 unavailable" && answer != "409 sold_out" {
			t.Errorf("a reservation was answered %s, want only 201, 503 unavailable or 409 sold_out", answer)
		}
	}
	if len(o.badReads) > 0 {
		t.Errorf("%d reads failed, want none; first: %s", len(o.badReads), o.badReads[0])
	}
	checkNoHoldLost(t, s, o.told, stock)
}

// checkNoHoldLost: every hold told to a client is in the log, each unit
// held at most once, and every unit taken once the crowd is through.
func checkNoHoldLost(t *testing.T, s *testServer, told map[string]string, stock int) {
	t.Helper()
	logged := map[string]string{}
	for _, e := range s.allEvents("type=ReservationPlaced") {
		data := e["data"].(map[string]any)
		logged[data["reservation_id"].(string)] = data["user_id"].(string)
	}
	for id, user := range told {
		if logged[id] != user {
			t.Errorf("hold %s of %s was told 201 but is not in the log", id, user)
		}
	}
	if len(logged) > stock {
		t.Errorf("oversold: %d holds placed of %d units", len(logged), stock)
	}
	st := s.expect(http.StatusOK, "GET", "/v1/promos/hot", nil, ctAdmin).Body["stock"].(map[string]any)
	if st["held"] != float64(stock) || st["available"] != 0.0 {
		t.Errorf("after the crowd: stock %v, want all %d units held", st, stock)
	}
}

// TestPostgresFastRestartUnderLoad: pg_ctl restart -m fast in the middle
// of a flash crowd.
func TestPostgresFastRestartUnderLoad(t *testing.T) {
	crowdThroughDatabaseFault(t, func(db *pgcluster.Cluster, s *testServer) {
		db.Restart("fast")
	})
}

// TestPostgresCrashUnderLoad: pg_ctl stop -m immediate (a crash) in the
// middle of a flash crowd; while it is down a command answers 503 and
// reads are served; then it starts and recovers.
func TestPostgresCrashUnderLoad(t *testing.T) {
	crowdThroughDatabaseFault(t, func(db *pgcluster.Cluster, s *testServer) {
		db.Stop("immediate")
		s.refuse(http.StatusServiceUnavailable, "unavailable", "PUT", "/v1/users/during-the-gap",
			map[string]any{"registered_at": t0.Add(-time.Hour).Format(time.RFC3339)}, ctAdmin)
		s.expect(http.StatusOK, "GET", "/v1/promos/hot", nil, ctAdmin)
		db.Start()
	})
}
