package kafka_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/kafka"
)

func TestPublishAfterCloseFails(t *testing.T) {
	pub := newPublisher(t, []string{"127.0.0.1:1"}) // never dialled
	if err := pub.Close(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	err := pub.Publish("t", message.NewMessage("1", nil))
	if !errors.Is(err, kafka.ErrPublisherClosed) {
		t.Fatalf("Publish after Close = %v, want ErrPublisherClosed", err)
	}
}

func TestPublishToMissingTopicFails(t *testing.T) {
	brokers := startBroker(t)
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers, MetadataTTL: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if err := pub.Publish("missing", message.NewMessage("1", nil)); err == nil {
		t.Fatal("publish to a topic nobody created succeeded; auto creation must be off")
	}
}

// TestPartitionKeyOrder checks the guarantee the package documents: messages
// of one key come in publish order, over several partitions read by two
// members of one group (the second one's join rebalances the first).
func TestPartitionKeyOrder(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	brokers := startBroker(t)
	const topic, keys, perKey = "ordered", 8, 25
	if err := kafka.EnsureTopics(ctx, brokers, 4, topic); err != nil {
		t.Fatal(err)
	}

	pub := newPublisher(t, brokers)
	var batch []*message.Message
	for i := range perKey {
		for k := range keys {
			m := message.NewMessage(fmt.Sprintf("%d-%d", k, i), fmt.Appendf(nil, "%d", i))
			m.Metadata.Set(kafka.PartitionKey, fmt.Sprintf("promo-%d", k))
			batch = append(batch, m)
		}
	}
	if err := pub.Publish(topic, batch...); err != nil {
		t.Fatal(err)
	}

	merged := make(chan *message.Message)
	for range 2 {
		msgs, err := newSubscriber(t, testSubscriberConfig(brokers, "order")).Subscribe(ctx, topic)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			for m := range msgs {
				select {
				case merged <- m:
				case <-ctx.Done():
					return
				}
			}
		}()
	}

	next := map[string]int{} // per key, the next sequence number expected
	seen := map[string]bool{}
	for len(seen) < keys*perKey {
		select {
		case m := <-merged:
			m.Ack()
			if seen[m.UUID] { // a redelivery after a rebalance: consumers deduplicate
				continue
			}
			seen[m.UUID] = true
			key := m.Metadata.Get(kafka.PartitionKey)
			if got := string(m.Payload); got != fmt.Sprint(next[key]) {
				t.Fatalf("key %s: got message %s, want %d", key, got, next[key])
			}
			next[key]++
		case <-ctx.Done():
			t.Fatalf("received %d of %d", len(seen), keys*perKey)
		}
	}
}
