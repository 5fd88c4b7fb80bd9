package service

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/gochannel"

	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/internal/topology"
	"github.com/flashpromo/flashpromo/ports"
)

// bus is Kafka, where the relay publishes and the instances share the
// fan-out. With no brokers configured the bus is in-process: the fan-out
// follows the event store itself and nothing is published (so turning
// Kafka on later publishes the whole log from its start).
type bus struct {
	pub        message.Publisher // nil in-process
	brokers    []string          // empty in-process
	partitions int
	topics     atomic.Bool // created, or found
	closers    []func()
}

func openBus(ctx context.Context, cfg Config, log *slog.Logger) (*bus, error) {
	wlog := ports.WatermillLogger(log)
	brokers := cfg.KafkaBrokers
	if brokers == "" {
		log.Info("bus: in-process, nothing published (set FLASHPROMO_KAFKA_BROKERS for Kafka)")
		return &bus{}, nil
	}
	b := &bus{}
	if brokers == "embedded" {
		e, err := kafka.StartEmbedded(cfg.KafkaEmbeddedAddr)
		if err != nil {
			return nil, fmt.Errorf("embedded kafka: %w", err)
		}
		b.closers = append(b.closers, e.Close)
		brokers = strings.Join(e.Addrs(), ",")
		log.Info("bus: embedded Kafka-protocol broker", "addr", brokers)
	}
	for _, b0 := range strings.Split(brokers, ",") {
		b.brokers = append(b.brokers, strings.TrimSpace(b0))
	}
	b.partitions = cfg.KafkaPartitions
	if err := b.ensureTopics(ctx, 5*time.Second); err != nil {
		log.Warn("Kafka is unreachable: starting without it; commands and reads work, the relay and the fan-out wait for it", "err", err)
	}
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: b.brokers, Logger: wlog})
	if err != nil {
		b.close()
		return nil, err
	}
	b.pub = pub
	b.closers = append([]func(){func() { _ = pub.Close() }}, b.closers...)
	log.Info("bus: kafka", "brokers", b.brokers)
	return b, nil
}

// ensureTopics creates the topics once the brokers answer; the relay and
// the fan-out call it first, so a start while Kafka is down only delays them.
func (b *bus) ensureTopics(ctx context.Context, within time.Duration) error {
	if b.topics.Load() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, within)
	defer cancel()
	if err := kafka.EnsureTopics(ctx, b.brokers, b.partitions, topology.Topics()...); err != nil {
		return fmt.Errorf("kafka topics: %w", err)
	}
	b.topics.Store(true)
	return nil
}

// reachable says whether a broker answers now: "off" without Kafka.
func (b *bus) reachable(ctx context.Context) string {
	if b.pub == nil {
		return "off"
	}
	var d net.Dialer
	ctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	for _, addr := range b.brokers {
		if c, err := d.DialContext(ctx, "tcp", addr); err == nil {
			_ = c.Close()
			return "up"
		}
	}
	return "down"
}

// subscriber joins a consumer group, committing its offsets every
// commitEvery (0: each one before the next message), and hands out the
// messages of types (all when none).
func (b *bus) subscriber(group string, commitEvery time.Duration, log *slog.Logger, types ...string) (*kafka.Subscriber, error) {
	return kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: b.brokers, ConsumerGroup: group,
		CommitInterval: commitEvery, Types: types, Logger: ports.WatermillLogger(log)})
}

// fanoutFeed is where the fan-out reads and sends. On Kafka: the event
// topic in a consumer group of the planner's, which gets only activations
// (its offsets committed every second: it reads every event and acts on
// few, and a replanned activation notifies nobody twice), the shards in the workers' group (each shard
// committed before the next: they are heavy). In-process: the log itself
// from the fan-out's checkpoint, and a channel whose send returns once the
// shard is done, so the checkpoint moves only past finished fan-outs.
func (b *bus) fanoutFeed(ctx context.Context, store eventstore.Store, log *slog.Logger) (ports.Fanout, func(), error) {
	activations := []string{domain.PromoActivated{}.EventName()} // the planner's one event
	if b.pub == nil {
		events := &outbox.LogSubscriber{Store: store, Checkpoint: topology.FanoutCheckpoint,
			Types: activations, Retry: time.Second}
		shards := gochannel.NewGoChannel(gochannel.Config{BlockPublishUntilSubscriberAck: true}, ports.WatermillLogger(log))
		return ports.Fanout{Events: events, Shards: shards, Send: shards},
			func() { _ = shards.Close(); _ = events.Close() }, nil
	}
	if err := b.ensureTopics(ctx, 10*time.Second); err != nil {
		return ports.Fanout{}, nil, err
	}
	planner, err := b.subscriber(topology.PlannerGroup, time.Second, log, activations...)
	if err != nil {
		return ports.Fanout{}, nil, err
	}
	worker, err := b.subscriber(topology.WorkerGroup, 0, log)
	if err != nil {
		_ = planner.Close()
		return ports.Fanout{}, nil, err
	}
	return ports.Fanout{Events: planner, Shards: worker, Send: b.pub},
		func() { _ = planner.Close(); _ = worker.Close() }, nil
}

// relayCheckpoint names the relay's place in the log; empty in-process,
// where nothing is relayed.
func (b *bus) relayCheckpoint() string {
	if b.pub == nil {
		return ""
	}
	return outbox.Checkpoint
}

// close closes the publisher, then the embedded broker.
func (b *bus) close() {
	for _, c := range b.closers {
		c()
	}
}
