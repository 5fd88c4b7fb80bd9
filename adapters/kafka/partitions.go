package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/segmentio/kafka-go"
)

// partitionReaders reads every partition of a topic without a consumer group
// (kafka-go's Reader reads one partition unless it is in a group) and merges
// them into one stream. It commits nothing.
type partitionReaders struct {
	msgs    chan kafka.Message
	stop    context.CancelFunc
	pumping sync.WaitGroup
	readers []*kafka.Reader
}

// openPartitions starts one reader per partition of topic at cfg.StartOffset.
// Partitions added to the topic later are not read.
func openPartitions(ctx context.Context, cfg SubscriberConfig, topic string) (*partitionReaders, error) {
	ids, err := partitionIDs(ctx, cfg.Brokers, topic)
	if err != nil {
		return nil, err
	}

	pumpCtx, stop := context.WithCancel(context.Background())
	p := &partitionReaders{msgs: make(chan kafka.Message), stop: stop}
	for _, id := range ids {
		r := kafka.NewReader(kafka.ReaderConfig{
			Brokers:         cfg.Brokers,
			Topic:           topic,
			Partition:       id,
			MaxWait:         cfg.MaxWait,
			ReadLagInterval: -1,
			ErrorLogger:     errorLogger(cfg.Logger),
		})
		if err := r.SetOffset(cfg.StartOffset); err != nil {
			_ = r.Close()
			_ = p.Close()
			return nil, fmt.Errorf("partition %d: %w", id, err)
		}
		p.readers = append(p.readers, r)
		p.pumping.Add(1)
		go p.pump(pumpCtx, r, cfg)
	}
	return p, nil
}

// pump moves the messages of one partition, in order, to the merged stream.
func (p *partitionReaders) pump(ctx context.Context, r *kafka.Reader, cfg SubscriberConfig) {
	defer p.pumping.Done()
	for {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			cfg.Logger.Error("kafka: fetch failed, retrying", err, nil)
			if sleep(ctx, cfg.RetrySleep) != nil {
				return
			}
			continue
		}
		select {
		case p.msgs <- m:
		case <-ctx.Done():
			return
		}
	}
}

func (p *partitionReaders) FetchMessage(ctx context.Context) (kafka.Message, error) {
	select {
	case m := <-p.msgs:
		return m, nil
	case <-ctx.Done():
		return kafka.Message{}, ctx.Err()
	}
}

// CommitMessages does nothing: without a group there is nowhere to commit.
func (p *partitionReaders) CommitMessages(context.Context, ...kafka.Message) error { return nil }

// Close stops the pumps, then closes the readers all at once: each Close
// waits for its fetch in flight, up to MaxWait.
func (p *partitionReaders) Close() error {
	p.stop()
	p.pumping.Wait()

	errs := make([]error, len(p.readers))
	var closing sync.WaitGroup
	for i, r := range p.readers {
		closing.Go(func() { errs[i] = r.Close() })
	}
	closing.Wait()
	return errors.Join(errs...)
}

// partitionIDs asks a broker for the partitions of topic. It dials instead of
// using a kafka.Client, whose transport answers from a metadata cache that
// may not know a topic created a moment ago.
func partitionIDs(ctx context.Context, brokers []string, topic string) ([]int, error) {
	var errs []error
	for _, broker := range brokers {
		ids, err := partitionIDsFrom(ctx, broker, topic)
		if err == nil {
			return ids, nil
		}
		errs = append(errs, err)
	}
	return nil, errors.Join(errs...)
}

func partitionIDsFrom(ctx context.Context, broker, topic string) ([]int, error) {
	conn, err := kafka.DialContext(ctx, "tcp", broker)
	if err != nil {
		return nil, fmt.Errorf("dialing %s: %w", broker, err)
	}
	defer conn.Close()
	if deadline, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(deadline)
	}

	parts, err := conn.ReadPartitions(topic)
	if err != nil {
		return nil, fmt.Errorf("reading partitions of %s from %s: %w", topic, broker, err)
	}
	ids := make([]int, 0, len(parts))
	for _, p := range parts {
		ids = append(ids, p.ID)
	}
	if len(ids) == 0 {
		return nil, fmt.Errorf("topic %s: %w", topic, kafka.UnknownTopicOrPartition)
	}
	return ids, nil
}
