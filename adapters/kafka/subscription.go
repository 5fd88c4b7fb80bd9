package kafka

import (
	"context"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"

	"github.com/flashpromo/flashpromo/internal/topology"
)

// source is what a subscription reads from: a *kafka.Reader in a consumer
// group, or partitionReaders without one.
type source interface {
	FetchMessage(ctx context.Context) (kafka.Message, error)
	CommitMessages(ctx context.Context, msgs ...kafka.Message) error
	Close() error
}

// subscription hands the messages of one source to out, one at a time.
type subscription struct {
	src    source
	out    chan *message.Message
	cfg    SubscriberConfig
	logger watermill.LoggerAdapter
}

// run fetches, delivers and commits until ctx is done, then closes out.
func (s *subscription) run(ctx context.Context) {
	defer close(s.out)
	for {
		km, err := s.src.FetchMessage(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			s.logger.Error("kafka: fetch failed, retrying", err, nil)
			if sleep(ctx, s.cfg.RetrySleep) != nil {
				return
			}
			continue
		}
		if s.wanted(km) && !s.deliver(ctx, km) {
			return
		}
		s.commit(ctx, km)
	}
}

// wanted says whether km's type is one cfg.Types asks for.
func (s *subscription) wanted(km kafka.Message) bool {
	if len(s.cfg.Types) == 0 {
		return true
	}
	for _, h := range km.Headers {
		if h.Key == topology.TypeMetadata {
			for _, t := range s.cfg.Types {
				if string(h.Value) == t { // compared, not copied
					return true
				}
			}
			return false
		}
	}
	return false
}

// deliver sends km until it is acked (true) or ctx is done (false). A nack
// sends it again, before anything after it: that keeps the partition's order.
func (s *subscription) deliver(ctx context.Context, km kafka.Message) bool {
	for {
		acked, done := s.send(ctx, km)
		if done {
			return false
		}
		if acked {
			return true
		}
		if sleep(ctx, s.cfg.NackResendSleep) != nil {
			return false
		}
	}
}

// send hands one copy of km out and waits for its Ack or Nack. A watermill
// message is acked once, so every attempt is a new one.
func (s *subscription) send(ctx context.Context, km kafka.Message) (acked, done bool) {
	msg := unmarshal(km)
	msgCtx, cancel := context.WithCancel(ctx)
	defer cancel() // the message's context ends with its handling
	msg.SetContext(msgCtx)

	select {
	case s.out <- msg:
	case <-ctx.Done():
		return false, true
	}
	select {
	case <-msg.Acked():
		return true, false
	case <-msg.Nacked():
		return false, false
	case <-ctx.Done():
		return false, true
	}
}

// commit stores the offset after km. A failure is logged, not retried: the
// message was handled, and at worst it is delivered again after a restart or
// a rebalance, which consumers deduplicate.
func (s *subscription) commit(ctx context.Context, km kafka.Message) {
	if err := s.src.CommitMessages(ctx, km); err != nil && ctx.Err() == nil {
		s.logger.Error("kafka: commit failed", err, watermill.LogFields{
			"partition": km.Partition, "offset": km.Offset,
		})
	}
}
