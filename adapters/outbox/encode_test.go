package outbox

import (
	"bytes"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/segmentio/encoding/json"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// The hand-written envelopes and deliveries are, byte for byte, what
// json.Marshal writes, whatever the strings, the data's spelling and the
// times, and whichever decoder read the notification.
func TestHandWrittenJSONIsMarshals(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	pieces := []string{"a", "Z", "0", " ", "ñ", "é", "<", ">", "&", `"`, `\`, "/", "\n", "\t", "\x01", "\x7f",
		"\u2028", "\u2029", "\xff", "😀", "Audífonos XYZ", "user-0000001"}
	text := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		return b.String()
	}
	plainText := func() string {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString([]string{"a", "Z", "0", " ", "ñ", "é", "/", "😀", "Audífonos XYZ", "user-0000001"}[r.IntN(10)])
		}
		return b.String()
	}
	zones := []*time.Location{time.UTC, time.FixedZone("", -6*3600), time.FixedZone("", 5*3600+1800)}
	at := func() time.Time {
		year := 1990 + r.IntN(60)
		if r.IntN(10) == 0 { // years encoding/json refuses: segmentio's writes them, and so must we
			year = []int{-1, 0, 9999, 10000, 12345}[r.IntN(5)]
		}
		return time.Date(year, time.Month(1+r.IntN(12)), 1+r.IntN(28), r.IntN(24), r.IntN(60), r.IntN(60),
			[]int{0, 1000, 123456789, r.IntN(1e9)}[r.IntN(4)], zones[r.IntN(len(zones))])
	}
	plain, spaced, fast, slow := 0, 0, 0, 0
	var notes, probe codec.NotificationDecoder
	for range 20000 {
		fields := map[string]any{"id": text(), "n": r.IntN(1000), "f": r.Float64(), "ok": r.IntN(2) == 0, "list": []string{text()}}
		data, _ := json.Marshal(fields)
		var metadata []byte
		if r.IntN(2) == 0 {
			metadata, _ = json.Marshal(map[string]string{"actor": text()})
		}
		switch r.IntN(4) { // a foreign writer's spelling
		case 0:
			data = bytes.ReplaceAll(data, []byte(`":`), []byte(`" : `))
		case 1:
			data, _ = json.Append(nil, fields, 0) // <, >, & and U+2028 as they are
		}
		e := eventstore.Event{ID: text(), StreamID: text(), Version: r.Int64N(1e6), Position: r.Int64N(1e12), Type: text(),
			OccurredAt: at(), Data: data, Metadata: metadata}
		if plainJSON(data) {
			plain++
		} else {
			spaced++
		}
		got, err := envelopeJSON(e)
		want, wantErr := json.Marshal(e.Envelope())
		if !bytes.Equal(got, want) || (err == nil) != (wantErr == nil) {
			t.Fatalf("envelope of %+v:\n got %s (%v)\nwant %s (%v)", e, got, err, want, wantErr)
		}
		words := text
		if r.IntN(2) == 0 {
			words = plainText // as the service writes them: nothing to escape
		}
		n := domain.NotificationSent{NotificationID: words(), UserID: words(), PromoID: words(), Day: "2026-12-02",
			Title: words(), Body: words(), SentAt: at()}
		got = deliveryJSON(n)
		want, _ = json.Marshal(Delivery{n.NotificationID, n.UserID, n.PromoID, n.Title, n.Body, n.SentAt})
		if !bytes.Equal(got, want) {
			t.Fatalf("delivery of %+v:\n got %s\nwant %s", n, got, want)
		}
		// The same through the relay's reading of the stored notification:
		// the plain ones by the fast decoder, the rest by the codec (which
		// reads back no year beyond 0 to 9999: a dead letter, elsewhere).
		if y := n.SentAt.Year(); y < 0 || y > 9999 {
			continue
		}
		stored, err := codec.EncodeWithID(text(), n, n.SentAt)
		if err != nil {
			t.Fatal(err)
		}
		e = eventstore.Event{Type: stored.Type, Data: stored.Data}
		read, _, err := codec.Decode(e)
		if err != nil {
			t.Fatal(err)
		}
		want = deliveryJSON(read.(domain.NotificationSent)) // as the relay wrote it before the fast decoder
		m, err := deliveryOf(e, &notes)
		if err != nil || !bytes.Equal(m.Payload, want) {
			t.Fatalf("delivery of stored %s:\n got %s (%v)\nwant %s", stored.Data, m.Payload, err, want)
		}
		if _, ok := probe.Decode(stored.Data); ok {
			fast++
		} else {
			slow++
		}
	}
	if plain < 1000 || spaced < 1000 || fast < 1000 || slow < 1000 {
		t.Fatalf("%d plain and %d spaced data, %d notifications read fast and %d by the codec: not every way was tried",
			plain, spaced, fast, slow)
	}
	t.Logf("%d plain, %d spaced or with HTML characters; notifications %d read fast, %d by the codec", plain, spaced, fast, slow)
}
