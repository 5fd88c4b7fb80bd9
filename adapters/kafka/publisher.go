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

// ErrPublisherClosed is returned by Publish after Close.
var ErrPublisherClosed = errors.New("kafka: publisher closed")

// PublisherConfig configures a Publisher. Only Brokers is required.
type PublisherConfig struct {
	// Brokers are the bootstrap addresses, host:port.
	Brokers []string

	// BatchTimeout is how long the writer waits to fill a batch. kafka-go's
	// default of 1 s would make every synchronous Publish take a second.
	// Default 1 ms: a Publish puts each partition's share of its messages in
	// batches at once, so only its last, partial batch waits this long.
	BatchTimeout time.Duration

	// AllowAutoTopicCreation lets the broker create a topic on first write,
	// with the broker's defaults. Off: topics are created with EnsureTopics.
	AllowAutoTopicCreation bool

	// MetadataTTL bounds how long the writer's cached topic list may be stale,
	// so how long a topic created by someone else can look unknown to it.
	// Publish waits up to twice this for such a topic. Default 1 s.
	MetadataTTL time.Duration

	// WriteTimeout bounds one produce request. Default 10 s (kafka-go's).
	WriteTimeout time.Duration

	// BatchSize caps the messages of one produce batch of a partition
	// (default DefaultBatchSize); BatchBytes caps its bytes (default
	// kafka-go's 1 MiB), and must stay under the broker's message.max.bytes
	// (1 MiB by default), which refuses a larger batch.
	BatchSize  int
	BatchBytes int64

	// Compression of the batches: default lz4, which paid on the relay's
	// benchmark (ADR 0025); Uncompressed turns it off.
	Compression  kafka.Compression
	Uncompressed bool

	Logger watermill.LoggerAdapter
}

// DefaultBatchSize lets a batch be bounded by its bytes rather than its
// count: a relay page's share of a partition fits in one batch (ADR 0025).
// kafka-go allocates room for BatchSize messages per batch, so it is not
// set higher than that needs.
const DefaultBatchSize = 1000

func (c PublisherConfig) withDefaults() PublisherConfig {
	if c.BatchSize == 0 {
		c.BatchSize = DefaultBatchSize
	}
	if c.BatchTimeout == 0 {
		c.BatchTimeout = time.Millisecond
	}
	switch {
	case c.Uncompressed:
		c.Compression = 0
	case c.Compression == 0:
		c.Compression = kafka.Lz4
	}
	if c.MetadataTTL == 0 {
		c.MetadataTTL = time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = watermill.NopLogger{}
	}
	return c
}

// Publisher is a watermill message.Publisher writing to Kafka through one
// shared kafka-go Writer (the topic is set per message). Safe for concurrent use.
type Publisher struct {
	cfg       PublisherConfig
	transport *kafka.Transport
	writer    *kafka.Writer

	// mu is held for reading by every Publish in flight, so that Close,
	// which takes it for writing, lets them finish instead of cutting them.
	mu     sync.RWMutex
	closed bool
}

// NewPublisher returns a Publisher; it connects lazily, on the first Publish.
func NewPublisher(cfg PublisherConfig) (*Publisher, error) {
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("kafka: publisher needs at least one broker")
	}
	cfg = cfg.withDefaults()

	writer := cfg.Writer()
	return &Publisher{cfg: cfg, transport: writer.Transport.(*kafka.Transport), writer: writer}, nil
}

// Writer is the kafka-go writer a Publisher of c writes through, on a
// transport of its own: the default one is shared by the whole process, and
// its metadata cache would outlive the publisher. Benchmarks write through
// it directly to measure Publish's ceiling.
func (c PublisherConfig) Writer() *kafka.Writer {
	c = c.withDefaults()
	return &kafka.Writer{
		Addr:                   kafka.TCP(c.Brokers...),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           c.BatchTimeout,
		BatchSize:              c.BatchSize,
		BatchBytes:             c.BatchBytes,
		Compression:            c.Compression,
		WriteTimeout:           c.WriteTimeout,
		AllowAutoTopicCreation: c.AllowAutoTopicCreation,
		Transport:              &kafka.Transport{MetadataTTL: c.MetadataTTL, ClientID: "flashpromo"},
		ErrorLogger:            errorLogger(c.Logger),
	}
}

// Publish writes messages to topic and returns once all of them are
// acknowledged by all in-sync replicas. When it can say which messages
// failed, its error is a *Rejected. The first message's context bounds
// the call: one write carries the whole batch, so it has one deadline.
func (p *Publisher) Publish(topic string, msgs ...*message.Message) error {
	p.mu.RLock()
	defer p.mu.RUnlock()
	if p.closed {
		return ErrPublisherClosed
	}
	if len(msgs) == 0 {
		return nil
	}

	kms := make([]kafka.Message, len(msgs))
	for i, msg := range msgs {
		kms[i] = Marshal(topic, msg)
	}
	if err := p.write(msgs[0].Context(), kms); err != nil {
		return fmt.Errorf("kafka: publishing %d messages to %s: %w", len(kms), topic, perMessage(err, kms))
	}
	return nil
}

// write retries an unknown topic until the metadata cache has had time to
// refresh: the writer answers from its cache, so a topic created after the
// last refresh is unknown for up to MetadataTTL. kafka-go fails that case
// before sending anything, so the retry cannot duplicate a message.
func (p *Publisher) write(ctx context.Context, kms []kafka.Message) error {
	giveUp := time.Now().Add(2 * p.cfg.MetadataTTL)
	for wait := 50 * time.Millisecond; ; wait = min(2*wait, time.Second) {
		err := p.writer.WriteMessages(ctx, kms...)
		if !errors.Is(err, kafka.UnknownTopicOrPartition) || time.Now().After(giveUp) {
			return err
		}
		if err := sleep(ctx, wait); err != nil {
			return err
		}
	}
}

// Close waits for the Publishes in flight, then closes the writer. Idempotent.
func (p *Publisher) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true

	err := p.writer.Close()
	p.transport.CloseIdleConnections()
	if err != nil {
		return fmt.Errorf("kafka: closing writer: %w", err)
	}
	return nil
}

// sleep waits for d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// errorLogger sends kafka-go's error log lines to the watermill logger.
func errorLogger(l watermill.LoggerAdapter) kafka.Logger {
	return kafka.LoggerFunc(func(format string, args ...any) {
		l.Error("kafka-go", fmt.Errorf(format, args...), nil)
	})
}
