// Package outbox relays the event store to a message bus: the store is the
// outbox, so a command never waits for the bus, and nothing appended is
// lost when the bus is away.
package outbox

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/encoding/json" // as the codec: the relay encodes every event

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// The topics of API.md (named in topology, with the others).
const (
	EventsTopic        = topology.EventsTopic
	NotificationsTopic = topology.NotificationsTopic
)

// KeyMetadata is the metadata entry that carries a message's partition
// key, the one the Kafka publisher turns into the record's key.
const KeyMetadata = kafka.PartitionKey

// Checkpoint names the relay's place in the log.
const Checkpoint = topology.RelayCheckpoint

// Relay publishes every event, in log order, at least once. Its checkpoint
// moves past a page only after the bus acknowledged it and every page
// before it.
type Relay struct {
	store  eventstore.Store
	bus    message.Publisher
	log    *slog.Logger
	retry  time.Duration
	obs    Observer
	sizing Sizing
}

// Sizing is how much the relay reads and holds at once.
type Sizing struct {
	ReadEvents int // events a read of the log
	PageBytes  int // payload bytes of a page, the unit published and checkpointed
	InFlight   int // pages read and encoded ahead of the last one acknowledged
}

// DefaultSizing keeps a page's writes to each partition within one batch
// of the publisher's (kafka.DefaultBatchSize, kafka-go's 1 MiB BatchBytes)
// on six partitions, and a few pages in flight: about 10 MiB held.
var DefaultSizing = Sizing{ReadEvents: 5000, PageBytes: 2 << 20, InFlight: 4}

// NewRelay relays store to bus.
func NewRelay(store eventstore.Store, bus message.Publisher, log *slog.Logger) *Relay {
	return &Relay{store: store, bus: bus, log: log, retry: 500 * time.Millisecond, obs: nopObserver{}, sizing: DefaultSizing}
}

// WithSizing sizes the relay's reads and pages.
func (r *Relay) WithSizing(s Sizing) *Relay {
	r.sizing = s
	return r
}

// Observer is told what the relay does: the service's metrics.
type Observer interface {
	Published(topic string, n int)
	PublishFailed(topic string, err error) // the relay retries after each
	DeadLetter(topic, reason string)       // a message given up on
}

// WithObserver tells o what the relay does.
func (r *Relay) WithObserver(o Observer) *Relay {
	r.obs = o
	return r
}

type nopObserver struct{}

func (nopObserver) Published(string, int)       {}
func (nopObserver) PublishFailed(string, error) {}
func (nopObserver) DeadLetter(string, string)   {}

// Lease fences a relay that one instance of several runs: Check fails once
// another instance may have taken over, and SaveCheckpoint moves the
// checkpoint only for the holder.
type Lease interface {
	Check(ctx context.Context) error
	SaveCheckpoint(ctx context.Context, name string, c eventstore.Cursor) error
}

// Run relays from the checkpoint until ctx ends.
func (r *Relay) Run(ctx context.Context) error { return r.RunLeased(ctx, nil) }

// RunLeased is Run under a lease (nil: none). It checks the lease before
// each publish of a page, retries included, so a relay that lost it stops
// before its next page, and it saves the checkpoint through the lease.
func (r *Relay) RunLeased(ctx context.Context, lease Lease) error {
	from, err := r.store.Checkpoint(ctx, Checkpoint)
	if err != nil {
		return err
	}
	p := r.start(ctx, lease)
	err = eventstore.Follow(p.ctx, r.store, from, r.sizing.ReadEvents, 100*time.Millisecond, p.take)
	return p.stop(err)
}

// publish retries until the bus takes the batch or ctx ends: the bus being
// down delays the relay, never a command. A message the bus refuses for
// good (too large for its topic, say) goes to the dead-letter topic: within
// a batch, each refused message is sent again alone, so that only a message
// at fault, and not its neighbours, is given up on.
func (r *Relay) publish(ctx context.Context, lease Lease, topic string, msgs []*message.Message) error {
	for len(msgs) > 0 {
		if err := ctx.Err(); err != nil {
			return err
		}
		if lease != nil {
			if err := lease.Check(ctx); err != nil {
				return err
			}
		}
		err := r.bus.Publish(topic, msgs...)
		if err == nil {
			r.obs.Published(topic, len(msgs))
			return nil
		}
		r.obs.PublishFailed(topic, err)
		again, refused, wait := sortOut(err, msgs)
		for _, f := range refused {
			if err := r.refused(ctx, lease, topic, f, len(msgs) == 1); err != nil {
				return err
			}
		}
		msgs = again
		if !wait {
			continue
		}
		r.log.Warn("relay waits for the bus", "topic", topic, "err", err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(r.retry):
		}
	}
	return nil
}

// refused deals with a message refused for good: alone, it is given up on
// (a dead letter refused in turn is only logged); in a batch, it is sent
// again alone.
func (r *Relay) refused(ctx context.Context, lease Lease, topic string, f refusal, alone bool) error {
	switch {
	case !alone:
		return r.publish(ctx, lease, topic, []*message.Message{f.msg})
	case topic == DeadLetterTopic:
		r.log.Error("the dead-letter topic refused a dead letter; it is dropped", "id", f.msg.UUID, "reason", f.reason, "err", f.err)
		return nil
	}
	return r.deadLetter(ctx, lease, refusedMessage(topic, f.msg, f.reason, f.err))
}

// encode makes the envelope of an event and, of a notification, its
// delivery; what it cannot encode becomes a dead letter instead.
func encode(e eventstore.Event, notes *codec.NotificationDecoder) (envelope, delivery *message.Message, bad []DeadLetter) {
	envelope, err := EnvelopeMessage(e)
	if err != nil {
		return nil, nil, []DeadLetter{unencodable(EventsTopic, e, err)}
	}
	if e.Type != (domain.NotificationSent{}).EventName() {
		return envelope, nil, nil
	}
	if delivery, err = deliveryOf(e, notes); err != nil {
		return envelope, nil, []DeadLetter{unencodable(NotificationsTopic, e, err)}
	}
	return envelope, delivery, nil
}

// deliveryOf is the message of a notification for the push gateway. The
// plain shape the service writes is read by notes, the rest by the codec.
func deliveryOf(e eventstore.Event, notes *codec.NotificationDecoder) (*message.Message, error) {
	n, ok := notes.Decode(e.Data)
	if !ok {
		ev, _, err := codec.Decode(e)
		if err != nil {
			return nil, err
		}
		if n, ok = ev.(domain.NotificationSent); !ok {
			return nil, fmt.Errorf("outbox: %s decoded as %T", e.Type, ev)
		}
	}
	return keyed(n.NotificationID, n.UserID, deliveryJSON(n)), nil
}

// Delivery is a notification for the push gateway.
type Delivery struct {
	ID      string    `json:"id"`
	UserID  string    `json:"user_id"`
	PromoID string    `json:"promo_id"`
	Title   string    `json:"title"`
	Body    string    `json:"body"`
	SentAt  time.Time `json:"sent_at"`
}

func jsonMessage(id, key string, v any) (*message.Message, error) {
	payload, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	return keyed(id, key, payload), nil
}

// keyed is a message of payload with its partition key.
func keyed(id, key string, payload []byte) *message.Message {
	m := message.NewMessage(id, payload)
	m.Metadata.Set(KeyMetadata, key)
	return m
}
