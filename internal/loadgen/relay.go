package loadgen

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
	"github.com/flashpromo/flashpromo/eventstore/postgres"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// RelayBench measures the relay alone: Events notifications already in a
// store, relayed to a broker over TCP, and in the same run its ceiling,
// kafka-go's Writer writing the same messages with the publisher's
// settings, in writes of Write messages, one writer a topic at once.
type RelayBench struct {
	Brokers     []string
	Events      int
	Partitions  int    // of the topics it recreates
	Write       int    // messages a write of the ceiling
	DatabaseURL string // a fresh schema; empty: the memory store
	Publisher   kafka.PublisherConfig
	Out         io.Writer
}

// relayTopics are the topics the relay writes, emptied before each run.
var relayTopics = []string{topology.EventsTopic, topology.NotificationsTopic, topology.DeadLetterTopic}

// Run seeds the store, relays it once to a bus that only keeps the
// messages (the relay's own cost), once to the broker, then writes the
// kept messages with the Writer alone.
func (b RelayBench) Run(ctx context.Context) error {
	b.Publisher.Brokers = b.Brokers
	store, closeStore, err := b.store(ctx)
	if err != nil {
		return err
	}
	defer closeStore()
	if err := seedNotifications(ctx, store, b.Events); err != nil {
		return err
	}
	fmt.Fprintf(b.Out, "seeded %d NotificationSent events (%s store)\n", b.Events, b.storeName())

	kept := &keeper{}
	took, err := relayOnce(ctx, store, kept)
	if err != nil {
		return err
	}
	msgs := kept.len()
	b.report("relay, no broker (its own cost)", msgs, took)

	if err := b.resetTopics(ctx); err != nil {
		return err
	}
	if err := store.SaveCheckpoint(ctx, outbox.Checkpoint, eventstore.Cursor{}); err != nil {
		return err
	}
	pub, err := kafka.NewPublisher(b.Publisher)
	if err != nil {
		return err
	}
	took, err = relayOnce(ctx, store, pub)
	_ = pub.Close()
	if err != nil {
		return err
	}
	relayed := b.report("relay to the broker", msgs, took)

	if err := b.resetTopics(ctx); err != nil {
		return err
	}
	took, err = b.ceiling(ctx, kept.byTopic())
	if err != nil {
		return err
	}
	ceiling := b.report(fmt.Sprintf("ceiling: kafka-go Writer, same messages, writes of %d", b.Write), msgs, took)
	fmt.Fprintf(b.Out, "relay / ceiling: %.2f\n", relayed/ceiling)
	return nil
}

func (b RelayBench) report(what string, msgs int, took time.Duration) float64 {
	rate := float64(msgs) / took.Seconds()
	fmt.Fprintf(b.Out, "%s: %d messages in %.2fs: %.0f msg/s\n", what, msgs, took.Seconds(), rate)
	return rate
}

func (b RelayBench) storeName() string {
	if b.DatabaseURL == "" {
		return "memory"
	}
	return "Postgres"
}

func (b RelayBench) store(ctx context.Context) (eventstore.Store, func(), error) {
	if b.DatabaseURL == "" {
		return memory.New(), func() {}, nil
	}
	if err := postgres.Migrate(ctx, b.DatabaseURL); err != nil {
		return nil, nil, err
	}
	pool, err := postgres.Connect(ctx, b.DatabaseURL)
	if err != nil {
		return nil, nil, err
	}
	return postgres.New(pool), pool.Close, nil
}

// seedNotifications appends n notifications, each its own stream, as the
// fan-out does.
func seedNotifications(ctx context.Context, s eventstore.Store, n int) error {
	at := time.Now().UTC()
	day := at.Format(time.DateOnly)
	const chunk = 5000
	for from := 0; from < n; from += chunk {
		appends := make([]eventstore.Append, 0, chunk)
		for i := from; i < min(from+chunk, n); i++ {
			note := domain.NotificationSent{NotificationID: fmt.Sprintf("relaybench-n%07d", i), UserID: fmt.Sprintf("relaybench-u%07d", i),
				PromoID: "relaybench-promo", Day: day, Title: "¡Flash Promo! Audífonos XYZ a 499.00 MXN",
				Body: "Bench store, a 1.2 km: 50% de descuento hasta las 22:00", SentAt: at}
			e, err := codec.EncodeWithID(note.NotificationID, note, at)
			if err != nil {
				return err
			}
			appends = append(appends, eventstore.Append{StreamID: "notification-" + day + "-" + note.UserID,
				Expected: eventstore.NoStream, Events: []eventstore.NewEvent{e}})
		}
		if _, err := s.Append(ctx, appends...); err != nil {
			return err
		}
	}
	return nil
}

// relayOnce runs the relay from its checkpoint until the checkpoint is at
// the head of the log, and says how long that took.
func relayOnce(ctx context.Context, s eventstore.Store, bus message.Publisher) (time.Duration, error) {
	head, err := s.Head(ctx)
	if err != nil {
		return 0, err
	}
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- outbox.NewRelay(s, bus, slog.New(slog.DiscardHandler)).Run(ctx) }()
	for {
		at, err := s.Checkpoint(ctx, outbox.Checkpoint)
		if err != nil {
			return 0, err
		}
		if !at.Less(head) {
			took := time.Since(start)
			stop()
			if err := <-done; !errors.Is(err, context.Canceled) {
				return 0, err
			}
			return took, nil
		}
		select {
		case err := <-done:
			return 0, fmt.Errorf("the relay stopped: %w", err)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// ceiling writes each topic's messages with the publisher's writer, in
// writes of b.Write, the topics at once.
func (b RelayBench) ceiling(ctx context.Context, topics map[string][]kafkago.Message) (time.Duration, error) {
	w := b.Publisher.Writer()
	defer w.Close()
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(topics))
	for _, msgs := range topics {
		wg.Go(func() {
			for from := 0; from < len(msgs); from += b.Write {
				if err := w.WriteMessages(ctx, msgs[from:min(from+b.Write, len(msgs))]...); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	close(errs)
	return took, <-errs
}

// resetTopics deletes and creates again the topics the relay writes, so
// that each run starts on empty topics and the broker's memory stays flat.
func (b RelayBench) resetTopics(ctx context.Context) error {
	client, err := kgo.NewClient(kgo.SeedBrokers(b.Brokers...))
	if err != nil {
		return err
	}
	defer client.Close()
	adm := kadm.NewClient(client)
	if _, err := adm.DeleteTopics(ctx, relayTopics...); err != nil {
		return fmt.Errorf("deleting the relay's topics: %w", err)
	}
	for gone := false; !gone; time.Sleep(20 * time.Millisecond) {
		listed, err := adm.ListTopics(ctx, relayTopics...)
		if err != nil {
			return err
		}
		gone = true
		for _, d := range listed {
			gone = gone && d.Err != nil // unknown topic
		}
	}
	return kafka.EnsureTopics(ctx, b.Brokers, b.Partitions, relayTopics...)
}

// keeper is a bus that keeps what it is given, as Kafka messages.
type keeper struct {
	mu   sync.Mutex
	msgs []kafkago.Message
}

func (k *keeper) Publish(topic string, msgs ...*message.Message) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, m := range msgs {
		k.msgs = append(k.msgs, kafka.Marshal(topic, m))
	}
	return nil
}

func (k *keeper) Close() error { return nil }

func (k *keeper) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.msgs)
}

// byTopic splits the kept messages by topic, in the order kept.
func (k *keeper) byTopic() map[string][]kafkago.Message {
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string][]kafkago.Message{}
	for _, m := range k.msgs {
		out[m.Topic] = append(out[m.Topic], m)
	}
	return out
}
