package outbox_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

// An event the broker refuses for good (over the topic's max.message.bytes)
// and a notification that cannot be made into a delivery go to the
// dead-letter topic, counted, and every event around them is published: the
// relay never stalls on them.
func TestRelayDeadLettersWhatTheBrokerRefusesAndGoesOn(t *testing.T) {
	broker, err := kafka.StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	brokers := broker.Addrs()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// One partition: the big event goes in one batch with its neighbours.
	if err := kafka.EnsureTopics(ctx, brokers, 1, outbox.EventsTopic, outbox.NotificationsTopic, outbox.DeadLetterTopic); err != nil {
		t.Fatal(err)
	}
	limitMessageBytes(t, ctx, brokers, outbox.EventsTopic, 4096)

	s := memory.New()
	var want []string
	for i := range 9 {
		typ, data := "Raw", fmt.Sprintf(`{"n":%d}`, i)
		switch i {
		case 3:
			data = fmt.Sprintf(`{"n":3,"pad":%q}`, incompressible(12000)) // over the topic's limit, compressed too
		case 6:
			typ, data = "NotificationSent", `{"user_id":6}` // its envelope goes, no delivery can be made of it
		}
		id := appendRaw(t, s, fmt.Sprintf("s%d", i%2), typ, data)
		if i != 3 {
			want = append(want, id)
		}
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	rec := newRecorder()
	r := outbox.NewRelay(s, pub, slog.New(slog.NewTextHandler(io.Discard, nil))).WithObserver(rec)
	run, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.Run(run) }()

	published := consume(t, ctx, brokers, outbox.EventsTopic, len(want))
	for i, id := range want {
		if published[i].id != id {
			t.Fatalf("events topic holds %v, want the ids %v in order", published, want)
		}
	}
	dead := consume(t, ctx, brokers, outbox.DeadLetterTopic, 2)
	stop()
	if err := <-done; err != nil && ctx.Err() == nil && run.Err() == nil {
		t.Fatal(err)
	}
	reasons := map[string]bool{}
	for _, d := range dead {
		var dl outbox.DeadLetter
		if err := json.Unmarshal(d.value, &dl); err != nil {
			t.Fatal(err)
		}
		if dl.Key != d.key || dl.ID == "" || dl.Error == "" {
			t.Errorf("dead letter %+v (key %s)", dl, d.key)
		}
		reasons[dl.Topic+" "+dl.Type+" "+dl.Reason] = true
	}
	if !reasons[outbox.EventsTopic+" Raw message_too_large"] || !reasons[outbox.NotificationsTopic+" NotificationSent unencodable"] {
		t.Errorf("dead letters %v, want the big event's and the bad notification's", reasons)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.dead[outbox.EventsTopic+" message_too_large"] != 1 || rec.dead[outbox.NotificationsTopic+" unencodable"] != 1 {
		t.Errorf("dead letters counted %v, want one of each", rec.dead)
	}
	head, _ := s.Head(ctx)
	if at, _ := s.Checkpoint(ctx, outbox.Checkpoint); at.Less(head) {
		t.Errorf("relay checkpoint %v behind the head %v", at, head)
	}
}

// incompressible is n characters of random base64: lz4 cannot make them
// fit under the topic's limit.
func incompressible(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)[:n]
}

func appendRaw(t *testing.T, s eventstore.Store, stream, typ, data string) string {
	t.Helper()
	id := fmt.Sprintf("e-%d", time.Now().UnixNano())
	_, err := s.Append(context.Background(), eventstore.Append{StreamID: stream, Expected: eventstore.Any,
		Events: []eventstore.NewEvent{{ID: id, Type: typ, Data: []byte(data), OccurredAt: at}}})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func limitMessageBytes(t *testing.T, ctx context.Context, brokers []string, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	v := fmt.Sprint(n)
	res, err := kadm.NewClient(cl).AlterTopicConfigs(ctx, []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "max.message.bytes", Value: &v}}, topic)
	if err == nil {
		err = res[0].Err
	}
	if err != nil {
		t.Fatal(err)
	}
}

type record struct {
	id, key string
	value   []byte
}

// consume reads n records of a topic from its start.
func consume(t *testing.T, ctx context.Context, brokers []string, topic string, n int) []record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	var got []record
	for len(got) < n {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			t.Fatalf("%s: %d records before the deadline, want %d: %v", topic, len(got), n, got)
		}
		fs.EachRecord(func(r *kgo.Record) {
			var env struct {
				ID string `json:"id"`
			}
			_ = json.Unmarshal(r.Value, &env)
			got = append(got, record{env.ID, string(r.Key), r.Value})
		})
	}
	return got
}
