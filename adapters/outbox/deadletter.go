package outbox

import (
	"context"
	"errors"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// DeadLetterTopic is where the relay puts what it cannot publish.
const DeadLetterTopic = topology.DeadLetterTopic

// DeadLetter says which message the relay gave up on and why. It names the
// message rather than carrying it: the event stays in the log (GET
// /v1/events), and a message too large for its topic would be too large
// here too.
type DeadLetter struct {
	Topic    string `json:"topic"`              // where it was bound
	ID       string `json:"id"`                 // the event's id, or the notification's on flashpromo.notifications
	Key      string `json:"key"`                // its Kafka key: stream_id, or user_id
	Type     string `json:"type,omitempty"`     // the event type
	Position int64  `json:"position,omitempty"` // in the log, when known
	Bytes    int    `json:"bytes,omitempty"`    // of the message refused
	Reason   string `json:"reason"`             // unencodable, message_too_large, ...
	Error    string `json:"error"`
}

// reasonUnencodable: the event could not be made into a message at all.
const reasonUnencodable = "unencodable"

func unencodable(topic string, e eventstore.Event, err error) DeadLetter {
	return DeadLetter{Topic: topic, ID: e.ID, Key: e.StreamID, Type: e.Type, Position: e.Position,
		Bytes: len(e.Data), Reason: reasonUnencodable, Error: err.Error()}
}

func refusedMessage(topic string, m *message.Message, reason string, err error) DeadLetter {
	return DeadLetter{Topic: topic, ID: m.UUID, Key: m.Metadata.Get(KeyMetadata), Type: m.Metadata.Get(topology.TypeMetadata),
		Bytes: len(m.Payload), Reason: reason, Error: err.Error()}
}

// deadLetter logs and counts a message given up on, and publishes its dead
// letter: the relay goes on past it, so one bad event never holds back the
// ones after it.
func (r *Relay) deadLetter(ctx context.Context, lease Lease, d DeadLetter) error {
	r.log.Error("relay gives up on a message: it goes to the dead-letter topic", "topic", d.Topic, "id", d.ID,
		"key", d.Key, "type", d.Type, "position", d.Position, "bytes", d.Bytes, "reason", d.Reason, "err", d.Error)
	r.obs.DeadLetter(d.Topic, d.Reason)
	m, err := jsonMessage(d.ID, d.Key, d)
	if err != nil {
		return err
	}
	return r.publish(ctx, lease, DeadLetterTopic, []*message.Message{m})
}

// refusal is a message the bus refused for good.
type refusal struct {
	msg    *message.Message
	reason string
	err    error
}

// sortOut splits the messages of a failed publish into those to send again
// and those refused for good, keeping their order: a refused message after
// one that failed (and is sent again) is sent again with it. wait says
// whether the bus failed for a while, rather than only refusing.
func sortOut(err error, msgs []*message.Message) (again []*message.Message, refused []refusal, wait bool) {
	var rej *kafka.Rejected
	if !errors.As(err, &rej) || len(rej.Errs) != len(msgs) {
		return msgs, nil, true
	}
	failed := false // an earlier message failed: the ones after wait for it
	for i, e := range rej.Errs {
		reason, permanent := kafka.Permanent(e)
		switch {
		case e == nil:
		case errors.Is(e, kafka.ErrNotSent): // never went out: no order to keep
			again = append(again, msgs[i])
		case permanent && !failed:
			refused = append(refused, refusal{msgs[i], reason, e})
		default:
			again, failed = append(again, msgs[i]), true
			wait = wait || !permanent
		}
	}
	return again, refused, wait
}
