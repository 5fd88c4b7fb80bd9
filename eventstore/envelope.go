package eventstore

import (
	"encoding/json"
	"time"
)

// Envelope is an event as analysts read it: the JSON of the HTTP log, of
// the CLI's replay and of the flashpromo.events topic.
type Envelope struct {
	ID         string          `json:"id"`
	StreamID   string          `json:"stream_id"`
	Version    int64           `json:"version"`
	Position   int64           `json:"position"`
	Type       string          `json:"type"`
	OccurredAt time.Time       `json:"occurred_at"`
	Data       json.RawMessage `json:"data"`
	Metadata   json.RawMessage `json:"metadata,omitempty"` // who asked; absent on old events
}

// Envelope wraps the event for analysts.
func (e Event) Envelope() Envelope {
	return Envelope{e.ID, e.StreamID, e.Version, e.Position, e.Type, e.OccurredAt, json.RawMessage(e.Data), json.RawMessage(e.Metadata)}
}
