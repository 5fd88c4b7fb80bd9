package kafka

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// EnsureTopics creates the topics that do not exist yet, with partitions
// partitions and the broker's default replication factor, and waits until
// every topic has a leader for each partition. Existing topics are left as
// they are, whatever their partition count. Idempotent.
//
// It uses kadm rather than kafka-go's Conn.CreateTopics: kafka-go speaks
// CreateTopics v0-v2, which cannot ask for the broker's default replication
// factor (-1 needs v4, Kafka 2.4+).
func EnsureTopics(ctx context.Context, brokers []string, partitions int, topics ...string) error {
	if len(topics) == 0 {
		return nil
	}
	if len(brokers) == 0 {
		return errors.New("kafka: EnsureTopics needs at least one broker")
	}
	if partitions < 1 {
		return fmt.Errorf("kafka: EnsureTopics needs at least one partition, got %d", partitions)
	}
	client, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return fmt.Errorf("kafka: admin client: %w", err)
	}
	defer client.Close()
	adm := kadm.NewClient(client)

	if err := createTopics(ctx, adm, partitions, topics); err != nil {
		return fmt.Errorf("kafka: creating topics %v: %w", topics, err)
	}
	if err := awaitTopics(ctx, adm, topics); err != nil {
		return fmt.Errorf("kafka: waiting for topics %v: %w", topics, err)
	}
	return nil
}

func createTopics(ctx context.Context, adm *kadm.Client, partitions int, topics []string) error {
	resps, err := adm.CreateTopics(ctx, int32(partitions), -1, nil, topics...)
	if err != nil {
		return err
	}
	var errs []error
	for _, r := range resps.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			errs = append(errs, fmt.Errorf("%s: %w", r.Topic, r.Err))
		}
	}
	return errors.Join(errs...)
}

// awaitTopics polls metadata until every topic has all its partitions led:
// a broker acknowledges a creation before every broker serves the topic.
func awaitTopics(ctx context.Context, adm *kadm.Client, topics []string) error {
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 500*time.Millisecond) {
		ready, err := topicsReady(ctx, adm, topics)
		if ready || err != nil {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// topicsReady reports whether all topics are served; a non-retriable error
// (authorization, invalid name) ends the wait.
func topicsReady(ctx context.Context, adm *kadm.Client, topics []string) (bool, error) {
	details, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		return false, nil // the broker may be busy; the caller's ctx bounds the wait
	}
	for _, t := range topics {
		d, ok := details[t]
		switch {
		case !ok:
			return false, nil
		case d.Err != nil && !kerr.IsRetriable(d.Err):
			return false, fmt.Errorf("%s: %w", t, d.Err)
		case d.Err != nil || len(d.Partitions) == 0:
			return false, nil
		}
		for _, p := range d.Partitions {
			if p.Err != nil || p.Leader < 0 {
				return false, nil
			}
		}
	}
	return true, nil
}
