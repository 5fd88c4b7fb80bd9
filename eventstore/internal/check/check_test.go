package check

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/flashpromo/flashpromo/eventstore"
)

// A fan-out's chunk: 5,000 new streams of one NotificationSent each, its
// words in Spanish, as the marketplace's are.
func chunk() []eventstore.Append {
	appends := make([]eventstore.Append, 5000)
	for i := range appends {
		id := fmt.Sprintf("0193f1b2-7c4d-7e8f-9a0b-%012d", i)
		data := fmt.Sprintf(`{"id":%q,"user_id":"user-%07d","promo_id":"promo-audifonos-xyz","day":"2026-11-27",`+
			`"title":"Flash Promo: Audífonos XYZ en TechShop","body":"$499.00 en vez de $999.00, hasta las 19:00",`+
			`"sent_at":"2026-11-27T17:00:00Z"}`, id, i)
		appends[i] = eventstore.Append{StreamID: fmt.Sprintf("notification-user-%07d-2026-11-27", i), Expected: eventstore.NoStream,
			Events: []eventstore.NewEvent{{ID: id, Type: "NotificationSent", Data: json.RawMessage(data)}}}
	}
	return appends
}

// BenchmarkNew is the check of every chunk a fan-out appends.
func BenchmarkNew(b *testing.B) {
	appends := chunk()
	b.ReportAllocs()
	for b.Loop() {
		if err := New(appends); err != nil {
			b.Fatal(err)
		}
	}
}

// The check accepts as data what encoding/json calls valid, and nothing else.
func FuzzDataIsJSONAsTheStandardSays(f *testing.F) {
	for _, s := range []string{`{"a":1}`, `{"a":1,}`, `[1 2]`, `"\ud800"`, `01`, `1.`, `-`, `1e+`, `{"a":"\u0000"}`,
		"\"\x01\"", "\"\xff\"", `  {"a" : [ true , null ] }  `, `{"a":1}{}`, ``, `"\x"`, `{"Audífonos":"sí"}`, `nul`, `[[[]]]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		a := []eventstore.Append{{StreamID: "s", Expected: eventstore.NoStream,
			Events: []eventstore.NewEvent{{ID: "e", Type: "T", Data: data}}}}
		if err := New(a); (err == nil) != json.Valid(data) {
			t.Fatalf("%q: the check says %v, encoding/json's Valid %v", data, err, json.Valid(data))
		}
	})
}
