package codec

import (
	"errors"
	"fmt"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/encoding/json"

	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// Envelopes reads the messages of flashpromo.events, each an event's
// envelope with its type in the metadata, as domain events for watermill's
// cqrs processors. The service never publishes events through cqrs (the
// relay does), so it does not marshal.
type Envelopes struct{}

func (Envelopes) Marshal(any) (*message.Message, error) {
	return nil, errors.New("codec: envelopes are published by the relay, not marshalled")
}

// Unmarshal decodes the envelope's data into v, a pointer to a domain event.
func (Envelopes) Unmarshal(m *message.Message, v any) error {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(m.Payload, &env); err != nil {
		return fmt.Errorf("codec: envelope %s: %w", m.UUID, err)
	}
	if err := json.Unmarshal(env.Data, v); err != nil {
		return fmt.Errorf("codec: %s %s: %w", m.Metadata.Get(topology.TypeMetadata), m.UUID, err)
	}
	return nil
}

// Name is the stable name of a domain event (a value or a pointer).
func (Envelopes) Name(v any) string {
	if e, ok := v.(domain.Event); ok {
		return e.EventName()
	}
	return fmt.Sprintf("%T", v) // no domain event: matches no envelope
}

func (Envelopes) NameFromMessage(m *message.Message) string {
	return m.Metadata.Get(topology.TypeMetadata)
}
