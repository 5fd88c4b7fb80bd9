package service

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/internal/pgtest"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// sumOf is a metric summed over instances.
func sumOf(name string, servers []*testServer, labels ...string) float64 {
	var sum float64
	for _, s := range servers {
		sum += s.metric(name, labels...)
	}
	return sum
}

// checkTopics: every event of the log on flashpromo.events and every
// notification on flashpromo.notifications, by id; exactly one
// NotificationSent per user in the log. It returns the copies beyond the
// first on each topic (what at-least-once allows).
func checkTopics(t *testing.T, f sharedFanout, users int) (eventCopies, deliveryCopies int) {
	t.Helper()
	f.a.relayDone()
	logged := f.a.allEvents("")
	perUser, notes := map[string]int{}, map[string]bool{}
	for _, ev := range logged {
		if ev["type"] == "NotificationSent" {
			data := ev["data"].(map[string]any)
			perUser[data["user_id"].(string)]++
			notes[data["id"].(string)] = true
		}
	}
	if len(notes) != users || len(perUser) != users {
		t.Errorf("%d notifications for %d users in the log, want one for each of %d", len(notes), len(perUser), users)
	}
	for u, n := range perUser {
		if n != 1 {
			t.Errorf("user %s has %d notifications in the log", u, n)
		}
	}
	onTopic := map[string]int{}
	for _, r := range consumeAll(t, f.broker.Addrs(), outbox.EventsTopic) {
		var env struct{ ID string }
		if err := json.Unmarshal(r.Value, &env); err != nil {
			t.Fatal(err)
		}
		onTopic[env.ID]++
	}
	for _, e := range logged {
		if id := e["id"].(string); onTopic[id] == 0 {
			t.Errorf("event %s of the log is not on %s", id, outbox.EventsTopic)
		}
	}
	eventCopies = copies(onTopic)
	delivered := map[string]int{}
	for _, r := range consumeAll(t, f.broker.Addrs(), outbox.NotificationsTopic) {
		var d outbox.Delivery
		if err := json.Unmarshal(r.Value, &d); err != nil {
			t.Fatal(err)
		}
		delivered[d.ID]++
	}
	for id := range notes {
		if delivered[id] == 0 {
			t.Errorf("notification %s of the log is not on %s", id, outbox.NotificationsTopic)
		}
	}
	if len(delivered) != len(notes) {
		t.Errorf("%d distinct deliveries for %d notifications", len(delivered), len(notes))
	}
	return eventCopies, copies(delivered)
}

func copies(seen map[string]int) int {
	n := 0
	for _, c := range seen {
		n += c - 1
	}
	return n
}

// fanoutFinished waits until every user is notified and the shards are
// done, across the instances.
func fanoutFinished(t *testing.T, f sharedFanout, users, shards int, servers ...*testServer) {
	t.Helper()
	eventually(t, "every eligible user is notified", func() bool {
		return len(f.a.allEvents("type=NotificationSent")) >= users
	})
	eventually(t, "every shard is done", func() bool {
		return sumOf("flashpromo_fanout_shards_total", servers, "outcome", "done") >= float64(shards)
	})
}

// TestKafkaProduceErrorsLoseNothing: the broker answers every produce with
// an error while a promo activates; once it takes them again the fan-out
// finishes and both topics hold everything, and the metrics name the cause.
func TestKafkaProduceErrorsLoseNothing(t *testing.T) {
	const users = 2000
	for _, cause := range []*kerr.Error{kerr.NotLeaderForPartition, kerr.RequestTimedOut} {
		name := cause.Message
		if cause == kerr.NotLeaderForPartition {
			name = "NOT_LEADER_OR_FOLLOWER" // kerr's older name of code 6
		}
		t.Run(name, func(t *testing.T) {
			f := newSharedFanout(t, "pe", users)
			both := []*testServer{f.a, f.b}
			f.a.relayDone()
			fault := f.broker.Cluster().Fault(kfake.Fault{Keys: []kmsg.Key{kmsg.Produce}, Err: cause, Count: -1})
			f.clock.Advance(time.Minute) // p1 activates while every produce fails
			eventually(t, "the relay reports a refused publish", func() bool {
				return sumOf("flashpromo_relay_publish_failures_total", both, "cause", name) >= 1
			})
			lag := sumOf("flashpromo_relay_lag_events", both)
			if lag < 1 {
				t.Errorf("relay lag %v while the broker refused, want the activation waiting", lag)
			}
			fault.Remove()
			fanoutFinished(t, f, users, 8, both...)
			events, deliveries := checkTopics(t, f, users)
			eventually(t, "the relay reports no lag", func() bool { return sumOf("flashpromo_relay_lag_events", both) == 0 })
			if done := sumOf("flashpromo_fanout_shards_total", both, "outcome", "done"); done > 2*8 {
				t.Errorf("two instances did %v shards of 8: an instance did again a shard it had finished", done)
			}
			t.Logf("%s answered %d produce requests; relay: %v refused publishes, lag %v while refused, %v messages acknowledged; copies beyond the first: %d events, %d deliveries; shards done %v, failed %v, repeats acked as they were %v",
				name, fault.Hits(), sumOf("flashpromo_relay_publish_failures_total", both), lag,
				sumOf("flashpromo_relay_published_total", both), events, deliveries,
				sumOf("flashpromo_fanout_shards_total", both, "outcome", "done"), sumOf("flashpromo_fanout_shards_total", both, "outcome", "failed"),
				sumOf("flashpromo_fanout_shards_total", both, "outcome", "repeat"))
		})
	}
}

// TestKafkaBrokerRestartDuringFanout: the broker (which keeps its data on
// disk, as Kafka does) stops in the middle of a shared fan-out and starts
// again on the same address; the instances go on without a restart.
func TestKafkaBrokerRestartDuringFanout(t *testing.T) {
	const users = 5000
	dir := t.TempDir()
	first := startBroker(t, "127.0.0.1:0", kfake.DataDir(dir))
	f := newSharedFanoutOn(t, first, "br", users)
	both := []*testServer{f.a, f.b}
	f.clock.Advance(time.Minute)
	eventually(t, "the fan-out has begun", func() bool { return len(f.a.allEvents("type=NotificationSent&limit=1")) > 0 })
	addr := first.Addrs()[0] // a closed cluster answers nothing, its address included
	first.Close()
	for i := range 20 { // commands go on while the broker is away
		f.a.newUser(fmt.Sprintf("while-away%02d", i), far)
	}
	eventually(t, "the relay reports the broker away", func() bool {
		return sumOf("flashpromo_relay_publish_failures_total", both) >= 1
	})
	f.broker = startBroker(t, addr, kfake.DataDir(dir))
	fanoutFinished(t, f, users, 8, both...)
	events, deliveries := checkTopics(t, f, users)
	t.Logf("relay: refused publishes by cause %s; copies beyond the first: %d events, %d deliveries; shards done %v, failed %v",
		causes(both), events, deliveries,
		sumOf("flashpromo_fanout_shards_total", both, "outcome", "done"), sumOf("flashpromo_fanout_shards_total", both, "outcome", "failed"))
}

// causes lists the relay's refused publishes by cause, over the instances.
func causes(servers []*testServer) string {
	var out []string
	for _, c := range []string{"network", "timeout", "closed", "other", "NOT_LEADER_OR_FOLLOWER", "REQUEST_TIMED_OUT", "UNKNOWN_SERVER_ERROR"} {
		if n := sumOf("flashpromo_relay_publish_failures_total", servers, "cause", c); n > 0 {
			out = append(out, fmt.Sprintf("%s %v", c, n))
		}
	}
	return strings.Join(out, ", ")
}

// commitGate holds the fan-out workers' offset commits at the broker. A
// worker takes its next shard only once the last one's commit is stored,
// so a held commit stalls that worker with the rest of its shards pending:
// the test decides when, in the middle of the fan-out, an instance joins
// or leaves. kfake answers a connection's requests in order, as Kafka
// does, so the member's heartbeats wait behind its held commit on
// kafka-go's coordinator connection; kafka-go closes that connection after
// 5 s without an answer and rejoins, so a hold lasts about that long.
type commitGate struct {
	mu       sync.Mutex
	first    string         // the member ID of the first instance
	passed   map[string]int // commits seen, by member
	holdA    int            // the first instance's commits let through before it is held
	holdB    int            // the same for any other member; -1: none held
	openA    chan struct{}  // closed once a member joins afresh
	openB    chan struct{}
	releaseA sync.Once
}

func newCommitGate(c *kfake.Cluster, holdA, holdB int) *commitGate {
	g := &commitGate{passed: map[string]int{}, holdA: holdA, holdB: holdB,
		openA: make(chan struct{}), openB: make(chan struct{})}
	c.ControlKey(int16(kmsg.OffsetCommit), func(req kmsg.Request) (kmsg.Response, error, bool) {
		r := req.(*kmsg.OffsetCommitRequest)
		if r.Group == topology.WorkerGroup {
			if wait := g.held(r.MemberID); wait != nil {
				c.SleepControl(wait)
			}
		}
		return nil, nil, false // then the broker answers as usual
	})
	c.ControlKey(int16(kmsg.JoinGroup), func(req kmsg.Request) (kmsg.Response, error, bool) {
		if r := req.(*kmsg.JoinGroupRequest); r.Group == topology.WorkerGroup && r.MemberID == "" {
			g.joined()
		}
		return nil, nil, false
	})
	return g
}

// released is how long each of the first instance's commits waits once
// the gate let it go: long enough that the group's rebalance gives the
// joining instance shards before the first has done them all.
const released = 250 * time.Millisecond

// held counts member's commit and says what it waits for (nil: nothing).
func (g *commitGate) held(member string) func() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.first == "" {
		g.first = member
	}
	n := g.passed[member]
	g.passed[member]++
	switch {
	case member == g.first && n >= g.holdA:
		return func() { <-g.openA; time.Sleep(released) }
	case member != g.first && g.holdB >= 0 && n >= g.holdB:
		return func() { <-g.openB }
	}
	return nil
}

// joined releases the first instance at the first fresh join the gate
// sees: the gate is set once the first instance is a member, so that join
// is the second instance's.
func (g *commitGate) joined() {
	g.releaseA.Do(func() { close(g.openA) })
}

// TestKafkaRebalanceDuringFanout: a second instance joins the workers'
// group while the first is in the middle of a fan-out of 10,000 users, does
// shards, and leaves with shards of its own pending; the first takes them
// over. Every user ends with exactly one notification.
func TestKafkaRebalanceDuringFanout(t *testing.T) {
	const users, shards = 10_000, 32
	broker := startBroker(t, "127.0.0.1:0")
	f := sharedFanout{broker: broker, url: pgtest.Schema(t), clock: newFakeClock(t0)}
	instance := func() *testServer {
		return startServer(t, f.clock, onPostgres(f.url), onKafka(broker.Addrs()), func(c *Config) { c.FanoutShards = shards })
	}
	f.a = instance()
	f.a.registerMany("reb", users)
	body := promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 100)
	body["id"] = "p1"
	f.a.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin)
	gate := newCommitGate(broker.Cluster(), 3, 1)

	f.clock.Advance(time.Minute)
	eventually(t, "the first instance is held after 3 shards", func() bool {
		return f.a.metric("flashpromo_fanout_shards_total", "outcome", "done") >= 3
	})
	f.b = instance() // joins: the first is let go, and the group rebalances
	eventually(t, "the second instance does a shard", func() bool {
		return f.b.metric("flashpromo_fanout_shards_total", "outcome", "done") >= 1
	})
	eventually(t, "the second instance is held with shards pending", func() bool {
		return f.b.metric("flashpromo_fanout_shards_total", "outcome", "done") >= 2
	})
	// Quick from here to the leave: the hold lasts some 5 s (commitGate).
	aBefore, bDone := f.a.metric("flashpromo_fanout_shards_total", "outcome", "done"), f.b.metric("flashpromo_fanout_shards_total", "outcome", "done")
	notified := int(sumOf("flashpromo_fanout_notified_total", []*testServer{f.a, f.b}))
	if notified >= users {
		t.Fatalf("the fan-out ended before the second instance left (%d notified): the test showed nothing", notified)
	}
	stopped := make(chan struct{})
	go func() { // a leaving member may wait for its commit
		select {
		case <-stopped:
		case <-time.After(2 * time.Second):
		}
		close(gate.openB)
	}()
	f.b.stop() // leaves the group
	close(stopped)

	eventually(t, "every eligible user is notified", func() bool {
		return len(f.a.allEvents("type=NotificationSent")) >= users
	})
	eventually(t, "the first instance does the shards the second left", func() bool {
		return f.a.metric("flashpromo_fanout_shards_total", "outcome", "done")+bDone >= shards
	})
	aAfter := f.a.metric("flashpromo_fanout_shards_total", "outcome", "done")
	if aAfter <= aBefore {
		t.Errorf("the first instance did no shard after the second left (%v before, %v after)", aBefore, aAfter)
	}
	if aAfter+bDone < shards {
		t.Errorf("shards done: %v + %v, want at least %d", aAfter, bDone, shards)
	}
	events, deliveries := checkTopics(t, f, users)
	t.Logf("shards done: first %v (%v before the second left), second %v; %d of %d users notified when it left; failed shards: first %v; copies beyond the first: %d events, %d deliveries",
		aAfter, aBefore, bDone, notified, users, f.a.metric("flashpromo_fanout_shards_total", "outcome", "failed"), events, deliveries)
}
