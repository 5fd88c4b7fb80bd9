package kafka_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	kafkaadapter "github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/internal/topology"
)

func TestSubscriberCloseIsIdempotent(t *testing.T) {
	brokers := startBroker(t)
	ctx := context.Background()
	if err := kafkaadapter.EnsureTopics(ctx, brokers, 2, "t"); err != nil {
		t.Fatal(err)
	}
	sub := newSubscriber(t, testSubscriberConfig(brokers, "g"))
	msgs, err := sub.Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	if err := sub.Close(); err != nil {
		t.Fatal(err)
	}
	if _, open := <-msgs; open {
		t.Fatal("channel still open after Close")
	}
	if err := sub.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := sub.Subscribe(ctx, "t"); !errors.Is(err, kafkaadapter.ErrSubscriberClosed) {
		t.Fatalf("Subscribe after Close = %v, want ErrSubscriberClosed", err)
	}
}

// TestStartAtLastOffset: without a group, LastOffset skips what was there.
func TestStartAtLastOffset(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	brokers := startBroker(t)
	if err := kafkaadapter.EnsureTopics(ctx, brokers, 1, "t"); err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, brokers)
	if err := pub.Publish("t", message.NewMessage("old", nil)); err != nil {
		t.Fatal(err)
	}

	cfg := testSubscriberConfig(brokers, "")
	cfg.StartOffset = kafka.LastOffset
	msgs, err := newSubscriber(t, cfg).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	// The reader resolves LastOffset on its first fetch; publish until the
	// new message arrives rather than guess when that happened.
	for {
		if err := pub.Publish("t", message.NewMessage("new", nil)); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-msgs:
			m.Ack()
			if m.UUID != "new" {
				t.Fatalf("got %q, want only messages published after Subscribe", m.UUID)
			}
			return
		case <-time.After(200 * time.Millisecond):
		case <-ctx.Done():
			t.Fatal("no message")
		}
	}
}

func TestNewSubscriberRejectsBadStartOffset(t *testing.T) {
	_, err := kafkaadapter.NewSubscriber(kafkaadapter.SubscriberConfig{Brokers: []string{"x:1"}, StartOffset: 5})
	if err == nil {
		t.Fatal("StartOffset 5 accepted")
	}
}

// TestSubscriberHandsOutOnlyItsTypes: with Types, the other messages are
// not handed out, and are committed as handled, so the group's offset
// reaches the end of the partition even when they come last.
func TestSubscriberHandsOutOnlyItsTypes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := startBroker(t)
	if err := kafkaadapter.EnsureTopics(ctx, brokers, 1, "t"); err != nil {
		t.Fatal(err)
	}
	pub := newPublisher(t, brokers)
	publish := func(id, typ string) {
		m := message.NewMessage(id, nil)
		if typ != "" {
			m.Metadata.Set(topology.TypeMetadata, typ)
		}
		if err := pub.Publish("t", m); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range [][2]string{{"a1", "A"}, {"b1", "B"}, {"a2", "A"}, {"x1", ""}, {"a3", "A"}, {"b2", "B"}, {"x2", ""}} {
		publish(m[0], m[1])
	}

	cfg := testSubscriberConfig(brokers, "g")
	cfg.Types = []string{"A"}
	msgs, err := newSubscriber(t, cfg).Subscribe(ctx, "t")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for len(got) < 3 {
		select {
		case m := <-msgs:
			m.Ack()
			got = append(got, m.UUID)
		case <-ctx.Done():
			t.Fatalf("got %v, want a1 a2 a3", got)
		}
	}
	if !slices.Equal(got, []string{"a1", "a2", "a3"}) {
		t.Fatalf("with Types A got %v, want a1 a2 a3", got)
	}
	select {
	case m := <-msgs:
		t.Fatalf("handed out %s, of another type", m.UUID)
	case <-time.After(300 * time.Millisecond):
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	for {
		offsets, err := adm.FetchOffsets(ctx, "g")
		if o, ok := offsets.Lookup("t", 0); err == nil && ok && o.At == 7 {
			return // past b2 and x2, which came after the last A
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the group's offset never reached 7: %v, %v", offsets, err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
