package codec

import (
	"time"
	"unicode/utf8"

	"github.com/segmentio/encoding/json"

	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// NotificationDecoder reads the JSON of a NotificationSent without
// reflection, for the millions a fan-out writes and the read models and the
// relay each read back. It takes only the plain shape: an object of the
// event's seven keys, spelled as encoded, with string values that hold no
// escape; anything else (ok false) is left to Decode, which decides as it
// always has. The words of a fan-out repeat from one notification to the
// next, so the last ones are reused instead of allocated again: a decoder
// is for one goroutine.
type NotificationDecoder struct {
	last [4]string // promo id, day, title, body
}

// Decode reads data as Decode reads a NotificationSent's, when it has the
// plain shape (ok); else the caller asks Decode.
func (d *NotificationDecoder) Decode(data []byte) (n domain.NotificationSent, ok bool) {
	i := skipSpace(data, 0)
	if i == len(data) || data[i] != '{' {
		return n, false
	}
	i = skipSpace(data, i+1)
	if i < len(data) && data[i] == '}' {
		return n, false // an empty object: the codec's zero event
	}
	for {
		key, j, ok := plainString(data, i)
		if !ok {
			return n, false
		}
		if i = skipSpace(data, j); i == len(data) || data[i] != ':' {
			return n, false
		}
		i = skipSpace(data, i+1)
		val, j, ok := plainString(data, i)
		if !ok {
			return n, false
		}
		switch string(key) {
		case "id":
			n.NotificationID = string(val)
		case "user_id":
			n.UserID = string(val)
		case "promo_id":
			n.PromoID = d.reuse(0, val)
		case "day":
			n.Day = d.reuse(1, val)
		case "title":
			n.Title = d.reuse(2, val)
		case "body":
			n.Body = d.reuse(3, val)
		case "sent_at":
			if !plainTime(val) {
				return n, false
			}
			if err := n.SentAt.UnmarshalJSON(data[i:j]); err != nil {
				return n, false
			}
		default:
			return n, false
		}
		i = skipSpace(data, j)
		if i == len(data) {
			return n, false
		}
		if data[i] == '}' {
			return n, skipSpace(data, i+1) == len(data)
		}
		if data[i] != ',' {
			return n, false
		}
		i = skipSpace(data, i+1)
	}
}

func (d *NotificationDecoder) reuse(k int, b []byte) string {
	if d.last[k] != string(b) { // no allocation to compare
		d.last[k] = string(b)
	}
	return d.last[k]
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// plainString reads a JSON string at b[i] that has no escape and no control
// character, and is valid UTF-8; it returns its contents and the index
// after its closing quote. One pass over the bytes: UTF-8 is checked
// only for a string that is not all ASCII.
func plainString(b []byte, i int) (s []byte, next int, ok bool) {
	if i >= len(b) || b[i] != '"' {
		return nil, 0, false
	}
	ascii := true
	for k := i + 1; k < len(b); k++ {
		switch c := b[k]; {
		case c == '"':
			s = b[i+1 : k]
			if !ascii && !utf8.Valid(s) {
				return nil, 0, false
			}
			return s, k + 1, true
		case c == '\\' || c < 0x20:
			return nil, 0, false
		case c >= utf8.RuneSelf:
			ascii = false
		}
	}
	return nil, 0, false
}

// plainTime tells whether s is an RFC 3339 time spelled as Go writes one:
// 2006-01-02T15:04:05, an optional fraction of 1 to 9 digits, then Z or an
// offset ±hh:mm. Decoders differ on looser spellings; on this one they agree.
func plainTime(s []byte) bool {
	const shape = "dddd-dd-ddTdd:dd:dd"
	if len(s) < len(shape)+1 {
		return false
	}
	for k := range len(shape) {
		if c := s[k]; shape[k] == 'd' && (c < '0' || c > '9') || shape[k] != 'd' && c != shape[k] {
			return false
		}
	}
	rest := s[len(shape):]
	if rest[0] == '.' {
		k := 1
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			k++
		}
		if k == 1 || k > 10 {
			return false
		}
		rest = rest[k:]
	}
	if len(rest) == 1 {
		return rest[0] == 'Z'
	}
	return len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && isDigit(rest[1]) && isDigit(rest[2]) &&
		rest[3] == ':' && isDigit(rest[4]) && isDigit(rest[5])
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// NotificationEncoder writes a NotificationSent's event as EncodeWithID
// does, without reflection: a fan-out writes a million that differ only in
// their id and user, so what follows those two, encoded once, is reused
// while the words are the same (FuzzNotificationEncoder checks the bytes).
// An encoder is for one goroutine.
type NotificationEncoder struct {
	words domain.NotificationSent // whose promo, day, title, body and time tail holds
	tail  []byte                  // `,"promo_id":…,"sent_at":"…"}`
}

// Encode returns n's event, as EncodeWithID(n.NotificationID, n, n.SentAt).
func (enc *NotificationEncoder) Encode(n domain.NotificationSent) (eventstore.NewEvent, error) {
	w := enc.words
	if enc.tail == nil || n.PromoID != w.PromoID || n.Day != w.Day || n.Title != w.Title || n.Body != w.Body || n.SentAt != w.SentAt {
		enc.words, enc.tail = n, notificationTail(n)
	}
	b := make([]byte, 0, 24+len(n.NotificationID)+len(n.UserID)+len(enc.tail))
	b = AppendString(append(b, `{"id":`...), n.NotificationID)
	b = AppendString(append(b, `,"user_id":`...), n.UserID)
	return eventstore.NewEvent{ID: n.NotificationID, Type: n.EventName(), OccurredAt: n.SentAt, Data: append(b, enc.tail...)}, nil
}

func notificationTail(n domain.NotificationSent) []byte {
	b := AppendString([]byte(`,"promo_id":`), n.PromoID)
	b = AppendString(append(b, `,"day":`...), n.Day)
	b = AppendString(append(b, `,"title":`...), n.Title)
	b = AppendString(append(b, `,"body":`...), n.Body)
	return append(AppendTime(append(b, `,"sent_at":`...), n.SentAt), '}')
}

// AppendString appends s as json.Marshal writes a string: quoted, HTML
// characters escaped.
func AppendString(b []byte, s string) []byte { return json.AppendEscape(b, s, json.EscapeHTML) }

// AppendTime appends t as json.Marshal (segmentio's) writes it, whatever
// the year.
func AppendTime(b []byte, t time.Time) []byte {
	return append(t.AppendFormat(append(b, '"'), time.RFC3339Nano), '"')
}
