package outbox

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// LogSubscriber is the event log as a message.Subscriber of EventsTopic:
// what a consumer of flashpromo.events sees, without Kafka. It hands over
// one envelope at a time and moves its checkpoint once every message of a
// page is acked, so a crash hands the unfinished page over again. A nacked
// message comes again after Retry.
type LogSubscriber struct {
	Store      eventstore.Store
	Checkpoint string
	Types      []string // only events of these types; every event when empty
	Retry      time.Duration

	mu     sync.Mutex
	closed bool
	stop   []context.CancelFunc
	wg     sync.WaitGroup
}

// Subscribe follows the log from the checkpoint until ctx ends or Close.
func (s *LogSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	if topic != topology.EventsTopic {
		return nil, fmt.Errorf("outbox: the log is %s, not %s", topology.EventsTopic, topic)
	}
	from, err := s.Store.Checkpoint(ctx, s.Checkpoint)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, errors.New("outbox: log subscriber closed")
	}
	ctx, cancel := context.WithCancel(ctx)
	s.stop = append(s.stop, cancel)
	out := make(chan *message.Message)
	s.wg.Go(func() {
		defer close(out)
		_ = eventstore.Follow(ctx, s.Store, from, 1000, 100*time.Millisecond, func(ctx context.Context, events []eventstore.Event) error {
			for _, e := range events {
				if len(s.Types) > 0 && !slices.Contains(s.Types, e.Type) {
					continue
				}
				if err := s.deliver(ctx, out, e); err != nil {
					return err
				}
			}
			return s.Store.SaveCheckpoint(ctx, s.Checkpoint, events[len(events)-1].Cursor)
		})
	})
	return out, nil
}

// deliver hands e over until it is acked.
func (s *LogSubscriber) deliver(ctx context.Context, out chan<- *message.Message, e eventstore.Event) error {
	for {
		m, err := EnvelopeMessage(e)
		if err != nil {
			return err
		}
		m.SetContext(ctx)
		select {
		case out <- m:
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-m.Acked():
			return nil
		case <-m.Nacked():
		case <-ctx.Done():
			return ctx.Err()
		}
		select {
		case <-time.After(s.Retry):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Close ends every subscription and waits for them.
func (s *LogSubscriber) Close() error {
	s.mu.Lock()
	s.closed = true
	for _, cancel := range s.stop {
		cancel()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

// EnvelopeMessage is the message of flashpromo.events for e: its envelope,
// keyed by stream, with its type in the metadata.
func EnvelopeMessage(e eventstore.Event) (*message.Message, error) {
	payload, err := envelopeJSON(e)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	m := keyed(e.ID, e.StreamID, payload)
	m.Metadata.Set(topology.TypeMetadata, e.Type)
	return m, nil
}
