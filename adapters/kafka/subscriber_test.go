package kafka_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"

	kafkaadapter "github.com/flashpromo/flashpromo/adapters/kafka"
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
