package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flashpromo/flashpromo/adapters/kafka"
)

// TestWireFormatReadByKgo reads what the Publisher wrote with another client,
// franz-go, so the format does not rest on kafka-go reading its own bytes.
func TestWireFormatReadByKgo(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	brokers := startBroker(t)
	const topic = "flashpromo.events"
	if err := kafka.EnsureTopics(ctx, brokers, 3, topic); err != nil {
		t.Fatal(err)
	}

	msg := message.NewMessage("3f1d5a52-8a51-4a5e-9d38-9c64fb7e4c11", []byte(`{"promo_id":"p-42"}`))
	msg.Metadata.Set(kafka.PartitionKey, "promo-p-42")
	msg.Metadata.Set("type", "PromoActivated")
	if err := newPublisher(t, brokers).Publish(topic, msg); err != nil {
		t.Fatal(err)
	}

	rec := consumeOneWithKgo(ctx, t, brokers, topic)
	if got := string(rec.Key); got != "promo-p-42" {
		t.Errorf("key = %q, want the partition key", got)
	}
	if got := string(rec.Value); got != `{"promo_id":"p-42"}` {
		t.Errorf("value = %q", got)
	}
	want := map[string]string{kafka.UUIDHeader: msg.UUID, "type": "PromoActivated"}
	got := map[string]string{}
	for _, h := range rec.Headers {
		got[h.Key] = string(h.Value)
	}
	if len(got) != len(want) || got[kafka.UUIDHeader] != want[kafka.UUIDHeader] || got["type"] != want["type"] {
		t.Errorf("headers = %v, want %v (the partition key travels as the key only)", got, want)
	}
}

// TestSubscriberReadsForeignRecords reads a record that franz-go wrote, with
// no UUID header: its id is its position, its headers its metadata.
func TestSubscriberReadsForeignRecords(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	brokers := startBroker(t)
	const topic = "foreign"
	if err := kafka.EnsureTopics(ctx, brokers, 1, topic); err != nil {
		t.Fatal(err)
	}
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	rec := &kgo.Record{Topic: topic, Key: []byte("store-7"), Value: []byte("v"),
		Headers: []kgo.RecordHeader{{Key: "type", Value: []byte("StockChanged")}}}
	if err := client.ProduceSync(ctx, rec).FirstErr(); err != nil {
		t.Fatal(err)
	}

	msgs, err := newSubscriber(t, testSubscriberConfig(brokers, "")).Subscribe(ctx, topic)
	if err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-msgs:
		m.Ack()
		if m.UUID != topic+"/0/0" {
			t.Errorf("uuid = %q, want the record's position", m.UUID)
		}
		if m.Metadata.Get("type") != "StockChanged" || m.Metadata.Get(kafka.PartitionKey) != "store-7" {
			t.Errorf("metadata = %v", m.Metadata)
		}
	case <-ctx.Done():
		t.Fatal("no message")
	}
}

func consumeOneWithKgo(ctx context.Context, t *testing.T, brokers []string, topic string) *kgo.Record {
	t.Helper()
	client, err := kgo.NewClient(
		kgo.SeedBrokers(brokers...),
		kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	for {
		fetches := client.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("no record read: %v", err)
		}
		if errs := fetches.Errors(); len(errs) > 0 {
			t.Fatalf("fetch: %v", errs)
		}
		if recs := fetches.Records(); len(recs) > 0 {
			return recs[0]
		}
	}
}
