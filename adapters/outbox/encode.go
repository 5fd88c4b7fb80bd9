package outbox

import (
	"strconv"

	"github.com/segmentio/encoding/json"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// The relay writes two messages for each of a million notifications, so it
// writes their JSON by hand, the same bytes json.Marshal writes
// (TestHandWrittenJSONIsMarshals), without reflection or a second look at
// the event's data.

// envelopeJSON is json.Marshal(e.Envelope()).
func envelopeJSON(e eventstore.Event) ([]byte, error) {
	if !plainJSON(e.Data) || e.Metadata != nil && !plainJSON(e.Metadata) {
		return json.Marshal(e.Envelope()) // a foreign writer's spacing or characters: compacted, escaped
	}
	b := make([]byte, 0, 128+len(e.ID)+len(e.StreamID)+len(e.Type)+len(e.Data)+len(e.Metadata))
	b = codec.AppendString(append(b, `{"id":`...), e.ID)
	b = codec.AppendString(append(b, `,"stream_id":`...), e.StreamID)
	b = strconv.AppendInt(append(b, `,"version":`...), e.Version, 10)
	b = strconv.AppendInt(append(b, `,"position":`...), e.Position, 10)
	b = codec.AppendString(append(b, `,"type":`...), e.Type)
	b = codec.AppendTime(append(b, `,"occurred_at":`...), e.OccurredAt)
	b = append(append(b, `,"data":`...), e.Data...)
	if len(e.Metadata) > 0 {
		b = append(append(b, `,"metadata":`...), e.Metadata...)
	}
	return append(b, '}'), nil
}

// deliveryJSON is json.Marshal of n's Delivery.
func deliveryJSON(n domain.NotificationSent) []byte {
	b := make([]byte, 0, 128+len(n.NotificationID)+len(n.UserID)+len(n.PromoID)+len(n.Title)+len(n.Body))
	b = codec.AppendString(append(b, `{"id":`...), n.NotificationID)
	b = codec.AppendString(append(b, `,"user_id":`...), n.UserID)
	b = codec.AppendString(append(b, `,"promo_id":`...), n.PromoID)
	b = codec.AppendString(append(b, `,"title":`...), n.Title)
	b = codec.AppendString(append(b, `,"body":`...), n.Body)
	b = codec.AppendTime(append(b, `,"sent_at":`...), n.SentAt)
	return append(b, '}')
}

// plainJSON tells whether raw, valid JSON (the store takes nothing else),
// is already as json.Marshal writes it again: no space outside strings, and
// none of what it escapes for HTML (<, >, &, U+2028, U+2029).
func plainJSON(raw []byte) bool {
	if len(raw) == 0 {
		return false
	}
	inString, escape := false, false
	for i, c := range raw {
		switch {
		case c == '<' || c == '>' || c == '&':
			return false
		case c == 0xE2 && i+2 < len(raw) && raw[i+1] == 0x80 && raw[i+2]&^1 == 0xA8:
			return false
		case escape:
			escape = false
		case inString:
			escape, inString = c == '\\', c != '"'
		case c == '"':
			inString = true
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			return false
		}
	}
	return true
}
