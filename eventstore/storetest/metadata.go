package storetest

import (
	"bytes"
	"testing"

	"github.com/flashpromo/flashpromo/eventstore"
)

// testMetadata: an event's metadata comes back as given, from every read,
// and an event stored without any has none.
func testMetadata(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	meta := []byte(`{"actor":"u-1","role":"client","request_id":"r-1"}`)
	with := event("m-1", "Happened")
	with.Metadata = meta
	fresh := event("m-3", "Happened")
	fresh.Metadata = []byte(`{"actor":"system","role":"system"}`)
	if _, err := s.AppendNew(ctx, []eventstore.Append{newStreamOf("m-new", fresh)}); err != nil {
		t.Fatal(err)
	}
	c := mustAppend(t, ctx, s, eventstore.Append{StreamID: "m", Expected: eventstore.NoStream,
		Events: []eventstore.NewEvent{with, event("m-2", "Happened")}})
	want := map[string][]byte{"m-1": meta, "m-2": nil, "m-3": fresh.Metadata}
	check := func(how string, got []eventstore.Event) {
		t.Helper()
		for _, e := range got {
			if !bytes.Equal(e.Metadata, want[e.ID]) {
				t.Errorf("%s: %s has metadata %q, want %q", how, e.ID, e.Metadata, want[e.ID])
			}
		}
	}
	check("ReadStream", mustRead(t, ctx, s, "m", 0))
	settle(t, ctx, s, c) // the AppendNew committed first, so it is readable too
	all, err := s.ReadAll(ctx, eventstore.Query{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3 {
		t.Fatalf("log has %d events, want 3", len(all))
	}
	check("ReadAll", all)
	check("ReadSince", readSince(t, ctx, s, eventstore.Cursor{}))
}

func newStreamOf(stream string, e eventstore.NewEvent) eventstore.Append {
	return eventstore.Append{StreamID: stream, Expected: eventstore.NoStream, Events: []eventstore.NewEvent{e}}
}
