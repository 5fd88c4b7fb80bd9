package service

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/internal/pgtest"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// onKafka configures a service on the given brokers.
func onKafka(brokers []string) func(*Config) {
	return func(c *Config) {
		c.KafkaBrokers = brokers[0]
		c.KafkaPartitions = 4
		c.FanoutShards = 8
	}
}

func startBroker(t *testing.T, addr string, opts ...kfake.Opt) *kafka.Embedded {
	t.Helper()
	b, err := kafka.StartEmbedded(addr, opts...)
	if err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	t.Cleanup(b.Close)
	return b
}

// unusedAddr is a free local address below the kernel's ephemeral port
// range: the listeners other tests open on port 0 get ports in that range,
// so none can take this one in the seconds before the test listens on it.
func unusedAddr(t *testing.T) string {
	t.Helper()
	low := 32768 // Linux's default start of the range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 2048 {
				low = n
			}
		}
	}
	from := max(1024, low-10000)
	for range 100 {
		ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", from+rand.IntN(low-from)))
		if err == nil {
			ln.Close()
			return ln.Addr().String()
		}
	}
	t.Fatal("no free port below the ephemeral range")
	return ""
}

// registerMany registers n new users near TechShop in batches.
func (s *testServer) registerMany(prefix string, n int) {
	s.t.Helper()
	registered := s.clock.Now().Add(-72 * time.Hour).Format(time.RFC3339)
	for start := 0; start < n; start += 5000 {
		var users []map[string]any
		for i := start; i < min(start+5000, n); i++ {
			users = append(users, map[string]any{"user_id": fmt.Sprintf("%s%05d", prefix, i), "registered_at": registered, "location": near})
		}
		s.expect(http.StatusOK, "POST", "/v1/users/batch", map[string]any{"users": users}, ctAdmin)
	}
}

// fromStart is a client reading topic from its start, a context that
// gives it 30 s, and what closes both.
func fromStart(t *testing.T, brokers []string, topic string) (*kgo.Client, context.Context, func()) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	return cl, ctx, func() { cancel(); cl.Close() }
}

// consume reads a topic from the start with franz-go, another client than
// the service's, until want records came or the deadline passed.
func consume(t *testing.T, brokers []string, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, ctx, done := fromStart(t, brokers, topic)
	defer done()
	var records []*kgo.Record
	for len(records) < want && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachRecord(func(r *kgo.Record) { records = append(records, r) })
	}
	return records
}

// joined waits until the consumer group is stable with n members, each
// with partitions of its own.
func joined(t *testing.T, brokers []string, group string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	eventually(t, fmt.Sprintf("%d members in %s", n, group), func() bool {
		groups, err := adm.DescribeGroups(context.Background(), group)
		if err != nil {
			return false
		}
		g := groups[group]
		if g.State != "Stable" || len(g.Members) != n {
			return false
		}
		for _, m := range g.Members {
			if a, ok := m.Assigned.AsConsumer(); !ok || len(a.Topics) == 0 {
				return false
			}
		}
		return true
	})
}

// consumeAll reads a topic from the start to the end it has when called, so
// a record too many is counted too.
func consumeAll(t *testing.T, brokers []string, topic string) []*kgo.Record {
	t.Helper()
	cl, ctx, done := fromStart(t, brokers, topic)
	defer done()
	ends, err := kadm.NewClient(cl).ListEndOffsets(ctx, topic)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		t.Fatalf("end offsets of %s: %v", topic, err)
	}
	unread := map[int32]int64{} // partition: its end offset, while not reached
	ends.Each(func(o kadm.ListedOffset) {
		if o.Offset > 0 {
			unread[o.Partition] = o.Offset
		}
	})
	var records []*kgo.Record
	for len(unread) > 0 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			records = append(records, r)
			if end, ok := unread[r.Partition]; ok && r.Offset+1 >= end {
				delete(unread, r.Partition)
			}
		})
	}
	if len(unread) > 0 {
		t.Fatalf("%s not read to its end: %v left", topic, unread)
	}
	return records
}

// handled reads from /metrics how many fan-out shards an instance did.
func (s *testServer) handled(handler string) int {
	s.t.Helper()
	return int(s.metric("flashpromo_handler_duration_seconds_count", "handler", handler, "outcome", "ok"))
}

// sharedFanout starts two instances on one Postgres and one broker, with
// that many new users near TechShop and promo p1 starting a minute after t0,
// known to both instances.
type sharedFanout struct {
	broker *kafka.Embedded
	url    string
	clock  *fakeClock
	a, b   *testServer
}

func newSharedFanout(t *testing.T, prefix string, users int) sharedFanout {
	t.Helper()
	return newSharedFanoutOn(t, startBroker(t, "127.0.0.1:0"), prefix, users)
}

// newSharedFanoutOn is newSharedFanout on a broker of the test's.
func newSharedFanoutOn(t *testing.T, broker *kafka.Embedded, prefix string, users int) sharedFanout {
	t.Helper()
	f := sharedFanout{broker: broker, url: pgtest.Schema(t), clock: newFakeClock(t0)}
	f.a = startServer(t, f.clock, onPostgres(f.url), onKafka(f.broker.Addrs()))
	f.b = startServer(t, f.clock, onPostgres(f.url), onKafka(f.broker.Addrs()))
	f.a.registerMany(prefix, users)
	body := promoBody(t0.Add(time.Minute), t0.Add(time.Hour), 100)
	body["id"] = "p1"
	f.a.expect(http.StatusCreated, "POST", "/v1/promos", body, ctAdmin)
	eventually(t, "b knows every user", func() bool {
		return f.b.reply("GET", fmt.Sprintf("/v1/users/%s%05d", prefix, users-1), nil, ctAdmin).Status == http.StatusOK
	})
	joined(t, broker.Addrs(), topology.WorkerGroup, 2) // else one instance may do a fan-out alone before the other joins
	return f
}

func TestKafkaTwoInstancesShareOneFanout(t *testing.T) {
	const users = 10_000
	f := newSharedFanout(t, "fan", users)
	a, b, broker := f.a, f.b, f.broker
	a.newUser("far-away", far)

	f.clock.Advance(time.Minute)
	eventually(t, "every eligible user is notified", func() bool {
		return len(a.allEvents("type=NotificationSent")) >= users
	})
	eventually(t, "every shard is done", func() bool { return a.handled("notify_eligible")+b.handled("notify_eligible") >= 8 })
	if n := len(a.allEvents("type=NotificationSent")); n != users {
		t.Errorf("%d notifications for %d eligible users", n, users)
	}
	if a.handled("notify_eligible") == 0 || b.handled("notify_eligible") == 0 {
		t.Errorf("shards done: a %d, b %d; want both instances to work", a.handled("notify_eligible"), b.handled("notify_eligible"))
	}

	// The push gateway's topic: exactly one delivery per eligible user.
	a.relayDone()
	records := consumeAll(t, broker.Addrs(), outbox.NotificationsTopic)
	perUser := map[string]int{}
	for _, r := range records {
		var d outbox.Delivery
		if err := json.Unmarshal(r.Value, &d); err != nil || string(r.Key) != d.UserID || d.PromoID != "p1" {
			t.Fatalf("delivery %s: %+v %v", r.Value, d, err)
		}
		perUser[d.UserID]++
	}
	if len(records) != users || len(perUser) != users || perUser["far-away"] != 0 {
		t.Errorf("%d deliveries reached %d users (far-away %d), want one to each of %d eligible ones", len(records), len(perUser), perUser["far-away"], users)
	}
}

func TestKafkaEventsTopicHoldsEveryEnvelope(t *testing.T) {
	broker := startBroker(t, "127.0.0.1:0")
	s := startServer(t, newFakeClock(t0), onKafka(broker.Addrs()))
	s.newUser("ana", near)
	s.activePromo("p1", "audifonos-xyz", 3)
	eventually(t, "ana is notified", func() bool { return len(s.notes("ana")) == 1 })
	s.expect(http.StatusCreated, "POST", "/v1/promos/p1/reservations", map[string]any{"user_id": "ana"}, s.as("ana"))
	logged := s.allEvents("")

	records := consume(t, broker.Addrs(), outbox.EventsTopic, len(logged))
	byID := map[string]eventstore.Envelope{}
	for _, r := range records {
		var env eventstore.Envelope
		if err := json.Unmarshal(r.Value, &env); err != nil {
			t.Fatalf("record %s is no envelope: %v", r.Value, err)
		}
		if string(r.Key) != env.StreamID || header(r, "type") != env.Type {
			t.Errorf("record of %s: key %q, type header %q", env.ID, r.Key, header(r, "type"))
		}
		byID[env.ID] = env
	}
	for _, logEvent := range logged {
		id := logEvent["id"].(string)
		env, ok := byID[id]
		if !ok {
			t.Errorf("event %s of the log is not on %s", id, outbox.EventsTopic)
			continue
		}
		// v1.1: who asked travels with the event, as /v1/events shows it.
		want, err := json.Marshal(logEvent["metadata"])
		if err != nil || len(env.Metadata) == 0 || !jsonEqual(env.Metadata, want) {
			t.Errorf("event %s (%s) has metadata %s on the topic, %s in the log", id, env.Type, env.Metadata, want)
		}
	}
	if ana := byType(byID, "ReservationPlaced"); !strings.Contains(string(ana.Metadata), `"actor":"ana","role":"client"`) {
		t.Errorf("ana's hold on the topic has metadata %s, want ana as client", ana.Metadata)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	return json.Unmarshal(a, &x) == nil && json.Unmarshal(b, &y) == nil && reflect.DeepEqual(x, y)
}

func byType(envs map[string]eventstore.Envelope, typ string) eventstore.Envelope {
	for _, e := range envs {
		if e.Type == typ {
			return e
		}
	}
	return eventstore.Envelope{}
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

func TestKafkaBrokerAwayLosesNothing(t *testing.T) {
	first := startBroker(t, "127.0.0.1:0")
	addrs := first.Addrs()
	s := startServer(t, newFakeClock(t0), onKafka(addrs))
	s.newUser("before", near)
	consume(t, addrs, outbox.EventsTopic, 2) // the relay reached the broker

	first.Close()
	for i := range 20 { // commands go on while the broker is away
		s.newUser(fmt.Sprintf("during%02d", i), near)
	}
	again := startBroker(t, addrs[0]) // an empty broker on the same address
	if err := kafka.EnsureTopics(context.Background(), again.Addrs(), 4, outbox.EventsTopic, outbox.NotificationsTopic); err != nil {
		t.Fatal(err)
	}
	records := consume(t, again.Addrs(), outbox.EventsTopic, 40)
	streams := map[string]bool{}
	for _, r := range records {
		streams[string(r.Key)] = true
	}
	for i := range 20 {
		if id := fmt.Sprintf("user-during%02d", i); !streams[id] {
			t.Errorf("the events of %s, appended while the broker was away, never reached it", id)
		}
	}
}

// One of two instances is stopped in the middle of a shared fan-out and a
// new one takes its place: every eligible user ends with exactly one
// notification.
func TestKafkaRollingRestartDuringFanout(t *testing.T) {
	const users = 10_000
	f := newSharedFanout(t, "roll", users)
	a, b := f.a, f.b
	a.newUser("far-away", far)

	f.clock.Advance(time.Minute)
	eventually(t, "the fan-out has begun", func() bool { return len(a.allEvents("type=NotificationSent")) > 0 })
	b.stop() // mid fan-out
	c := startServer(t, f.clock, onPostgres(f.url), onKafka(f.broker.Addrs()))
	eventually(t, "every eligible user is notified", func() bool {
		return len(c.allEvents("type=NotificationSent")) >= users
	})
	if n := len(a.allEvents("type=NotificationSent")); n != users {
		t.Errorf("%d notifications for %d users after a rolling restart, want one each", n, users)
	}
}

// TestKafkaDownAtStart: a service started while no broker answers comes up
// degraded (reads and commands work, /readyz says Kafka is down), and once
// a broker appears it creates the topics, publishes what was appended
// meanwhile, and runs the fan-out.
func TestKafkaDownAtStart(t *testing.T) {
	addr := unusedAddr(t) // nobody listens there until the broker starts
	s := startServer(t, newFakeClock(t0), onKafka([]string{addr}))
	r := s.expect(http.StatusOK, "GET", "/readyz", nil, ctAdmin)
	if checks := r.Body["checks"].(map[string]any); checks["kafka"] != "down" {
		t.Errorf("/readyz says %v, want kafka down", r.Body)
	}
	s.newUser("early", near)
	s.activePromo("p1", "audifonos-xyz", 3)

	broker := startBroker(t, addr)
	eventually(t, "the fan-out runs once Kafka is up", func() bool { return len(s.notes("early")) == 1 })
	records := consume(t, broker.Addrs(), outbox.EventsTopic, len(s.allEvents("")))
	streams := map[string]bool{}
	for _, rec := range records {
		streams[string(rec.Key)] = true
	}
	if !streams["user-early"] || !streams["promo-p1"] {
		t.Errorf("the events appended before Kafka came up did not reach it: streams %v", streams)
	}
	if r := s.expect(http.StatusOK, "GET", "/readyz", nil, ctAdmin); r.Body["checks"].(map[string]any)["kafka"] != "up" {
		t.Errorf("/readyz says %v, want kafka up", r.Body)
	}
}
