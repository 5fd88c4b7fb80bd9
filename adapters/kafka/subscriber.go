package kafka

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"
)

// ErrSubscriberClosed is returned by Subscribe after Close.
var ErrSubscriberClosed = errors.New("kafka: subscriber closed")

// SubscriberConfig configures a Subscriber. Only Brokers is required.
type SubscriberConfig struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string

	// ConsumerGroup shares the partitions of a topic among the subscriptions
	// with the same group and resumes from the group's committed offsets.
	// Empty: every subscription reads every partition from StartOffset and
	// commits nothing.
	ConsumerGroup string

	// StartOffset is kafka.FirstOffset (the default) or kafka.LastOffset: where
	// a subscription without a group starts, and where a group starts on a
	// partition it has no committed offset for.
	StartOffset int64

	// NackResendSleep is the pause before a nacked message is sent again.
	// Default 100 ms.
	NackResendSleep time.Duration

	// CommitInterval is how often a group's offsets are committed. Zero:
	// each ack waits until the broker stored its offset, a round trip per
	// message. Above zero: acks are committed together in the background,
	// so a crash redelivers up to an interval of messages (still at least
	// once) — for a consumer of many cheap, idempotent messages.
	CommitInterval time.Duration

	// Types, when set, hands out only the messages whose type header
	// (topology.TypeMetadata) is one of them. The others are committed as
	// handled without becoming watermill messages: for a consumer that acts
	// on a few of a topic's many messages, as the fan-out's planner on the
	// activations among every event, where a watermill message, its context
	// and its handoffs cost more than fetching it.
	Types []string

	// RetrySleep is the pause after a failed fetch. Default 1 s.
	RetrySleep time.Duration

	// InitializePartitions is the partition count SubscribeInitialize creates
	// a missing topic with. Default 1.
	InitializePartitions int

	// MaxWait bounds one fetch long poll. Default 1 s.
	MaxWait time.Duration

	// Consumer group timings; kafka-go's defaults (3 s, 30 s, 30 s, 5 s) make
	// a rebalance take seconds. Members learn of a rebalance on their next
	// heartbeat, and a Close during a rebalance waits for it to finish, up to
	// RebalanceTimeout. Defaults 1 s, 10 s, 10 s, 1 s.
	HeartbeatInterval time.Duration
	SessionTimeout    time.Duration
	RebalanceTimeout  time.Duration
	JoinGroupBackoff  time.Duration

	Logger watermill.LoggerAdapter
}

func (c SubscriberConfig) withDefaults() SubscriberConfig {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.NackResendSleep, 100*time.Millisecond)
	def(&c.RetrySleep, time.Second)
	def(&c.MaxWait, time.Second)
	def(&c.HeartbeatInterval, time.Second)
	def(&c.SessionTimeout, 10*time.Second)
	def(&c.RebalanceTimeout, 10*time.Second)
	def(&c.JoinGroupBackoff, time.Second)
	if c.StartOffset == 0 {
		c.StartOffset = kafka.FirstOffset
	}
	if c.InitializePartitions == 0 {
		c.InitializePartitions = 1
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	return c
}

// Subscriber is a watermill message.Subscriber reading Kafka with kafka-go.
// Each Subscribe gets its own reader; a message is committed after its Ack.
type Subscriber struct {
	cfg SubscriberConfig

	mu      sync.Mutex
	closed  bool
	closing chan struct{} // closed by Close, stops every subscription
	running sync.WaitGroup
}

// NewSubscriber returns a Subscriber; it connects on Subscribe.
func NewSubscriber(cfg SubscriberConfig) (*Subscriber, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka: subscriber needs at least one broker")
	}
	cfg = cfg.withDefaults()
	if cfg.StartOffset != kafka.FirstOffset && cfg.StartOffset != kafka.LastOffset {
		return nil, fmt.Errorf("kafka: StartOffset %d is neither FirstOffset nor LastOffset", cfg.StartOffset)
	}
	return &Subscriber{cfg: cfg, closing: make(chan struct{})}, nil
}

// Subscribe starts reading topic. The channel closes when ctx is done or the
// Subscriber closes. It carries one message at a time: the next comes after
// the previous is acked, and a nacked one comes again first.
func (s *Subscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if s.isClosed() {
		return nil, ErrSubscriberClosed
	}
	src, err := s.open(ctx, topic)
	if err != nil {
		return nil, fmt.Errorf("kafka: subscribing to %s: %w", topic, err)
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		s.closeSource(src, topic)
		return nil, ErrSubscriberClosed
	}

	sub := &subscription{
		src:    src,
		out:    make(chan *message.Message),
		cfg:    s.cfg,
		logger: s.cfg.Logger.With(watermill.LogFields{"topic": topic, "group": s.cfg.ConsumerGroup}),
	}
	s.running.Add(1)
	go func() {
		defer s.running.Done()
		defer s.closeSource(src, topic)
		sub.run(s.untilClosed(ctx))
	}()
	return sub.out, nil
}

// SubscribeInitialize creates topic, with InitializePartitions partitions,
// if it does not exist.
func (s *Subscriber) SubscribeInitialize(topic string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return EnsureTopics(ctx, s.cfg.Brokers, s.cfg.InitializePartitions, topic)
}

// Close stops every subscription, closes their channels and readers (a group
// member leaves its group) and returns when all of that is done. Idempotent.
// A message acked while Close runs may miss its commit and come again later.
func (s *Subscriber) Close() error {
	s.mu.Lock()
	if !s.closed {
		s.closed = true
		close(s.closing)
	}
	s.mu.Unlock()

	s.running.Wait()
	return nil
}

func (s *Subscriber) isClosed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closed
}

// untilClosed returns a child of ctx that is also cancelled by Close, so a
// message's context keeps the values of the Subscribe context.
func (s *Subscriber) untilClosed(ctx context.Context) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		select {
		case <-s.closing:
		case <-ctx.Done():
		}
	}()
	return ctx
}

// open returns the reader of one subscription: a consumer group member, or
// one reader per partition without a group.
func (s *Subscriber) open(ctx context.Context, topic string) (source, error) {
	if s.cfg.ConsumerGroup == "" {
		return openPartitions(ctx, s.cfg, topic)
	}

	rc := kafka.ReaderConfig{
		Brokers:           s.cfg.Brokers,
		GroupID:           s.cfg.ConsumerGroup,
		Topic:             topic,
		StartOffset:       s.cfg.StartOffset,
		MaxWait:           s.cfg.MaxWait,
		HeartbeatInterval: s.cfg.HeartbeatInterval,
		SessionTimeout:    s.cfg.SessionTimeout,
		RebalanceTimeout:  s.cfg.RebalanceTimeout,
		JoinGroupBackoff:  s.cfg.JoinGroupBackoff,
		ReadLagInterval:   -1, // lag is not available to group readers; it only logs errors
		ErrorLogger:       errorLogger(s.cfg.Logger),
		CommitInterval:    s.cfg.CommitInterval,
	}
	// NewReader panics on a bad config; fail the Subscribe instead.
	if err := rc.Validate(); err != nil {
		return nil, fmt.Errorf("reader config: %w", err)
	}
	return kafka.NewReader(rc), nil
}

func (s *Subscriber) closeSource(src source, topic string) {
	if err := src.Close(); err != nil {
		s.cfg.Logger.Error("kafka: closing reader", err, watermill.LogFields{"topic": topic})
	}
}
