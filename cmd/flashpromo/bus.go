package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/ports"
)

// bus is Kafka, where the relay publishes and the instances share the
// fan-out. With no brokers configured the bus is in-process: the fan-out
// follows the event store itself and nothing is published (so turning
// Kafka on later publishes the whole log from its start).
type bus struct {
	pub     message.Publisher // nil in-process
	brokers []string          // empty in-process
	closers []func()
}

// Consumer groups: each consumer its own, so one's rebalance is not another's.
const (
	plannerGroup = "flashpromo-fanout-planner"
	workerGroup  = "flashpromo-fanout-workers"
)

func openBus(ctx context.Context, cfg config, log *slog.Logger) (*bus, error) {
	wlog := watermillLogger(log)
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
	if err := kafka.EnsureTopics(ctx, b.brokers, cfg.KafkaPartitions, outbox.EventsTopic, outbox.NotificationsTopic, ports.FanoutTopic); err != nil {
		b.close()
		return nil, fmt.Errorf("kafka topics: %w", err)
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

// subscriber joins a consumer group, committing its offsets every
// commitEvery (0: each one before the next message).
func (b *bus) subscriber(group string, commitEvery time.Duration, log *slog.Logger) (*kafka.Subscriber, error) {
	return kafka.NewSubscriber(kafka.SubscriberConfig{Brokers: b.brokers, ConsumerGroup: group,
		CommitInterval: commitEvery, Logger: watermillLogger(log)})
}

// close closes the publisher, then the embedded broker.
func (b *bus) close() {
	for _, c := range b.closers {
		c()
	}
}

// watermillLogger turns watermill's per-message info lines into debug ones:
// at a million messages they would be the service's main work.
func watermillLogger(log *slog.Logger) watermill.LoggerAdapter {
	return watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug})
}
