package kafka_test

import (
	"context"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flashpromo/flashpromo/adapters/kafka"
)

func TestEnsureTopicsIsIdempotent(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	brokers := startBroker(t)

	if err := kafka.EnsureTopics(ctx, brokers, 3, "a", "b"); err != nil {
		t.Fatal(err)
	}
	// Again, with one more topic and another count: a and b stay as they are.
	if err := kafka.EnsureTopics(ctx, brokers, 5, "a", "b", "c"); err != nil {
		t.Fatal(err)
	}

	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	details, err := kadm.NewClient(client).ListTopics(ctx, "a", "b", "c")
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]int{"a": 3, "b": 3, "c": 5} {
		if got := len(details[topic].Partitions); got != want {
			t.Errorf("%s has %d partitions, want %d", topic, got, want)
		}
	}
}

func TestEnsureTopicsRejectsZeroPartitions(t *testing.T) {
	if err := kafka.EnsureTopics(context.Background(), []string{"x:1"}, 0, "a"); err == nil {
		t.Fatal("0 partitions accepted")
	}
}
