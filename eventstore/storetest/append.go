package storetest

import (
	"bytes"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
)

func testRoundTrip(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	data := []byte(`{"b":1,  "a" : [true, null], "s":"\u00e9 é"}`) // not canonical: kept as is
	in := []eventstore.NewEvent{
		{ID: "e1", Type: "PromoCreated", OccurredAt: at, Data: data},
		{ID: "e2", Type: "PromoActivated", OccurredAt: at.Add(time.Second), Data: []byte(`{}`)},
		{ID: "e3", Type: "PromoEnded", OccurredAt: at.Add(time.Minute), Data: []byte(`[1,2]`)},
	}
	c := mustAppend(t, ctx, s, eventstore.Append{StreamID: "promo-1", Expected: eventstore.NoStream, Events: in})

	got := mustRead(t, ctx, s, "promo-1", 0)
	if len(got) != 3 {
		t.Fatalf("read %d events, want 3", len(got))
	}
	for i, e := range got {
		checkStored(t, e, "promo-1", int64(i+1), in[i])
		if i > 0 && (e.Position <= got[i-1].Position || !got[i-1].Cursor.Less(e.Cursor)) {
			t.Errorf("event %d: position %d, cursor %v after %d, %v", i, e.Position, e.Cursor, got[i-1].Position, got[i-1].Cursor)
		}
	}
	if got[2].Cursor != c {
		t.Errorf("append returned %v, last event has cursor %v", c, got[2].Cursor)
	}
	if tail := mustRead(t, ctx, s, "promo-1", 2); !slices.Equal(ids(tail), []string{"e3"}) {
		t.Errorf("read after version 2: %v, want [e3]", ids(tail))
	}
	if none := mustRead(t, ctx, s, "nobody", 0); len(none) != 0 {
		t.Errorf("unknown stream: %d events", len(none))
	}
}

func checkStored(t *testing.T, e eventstore.Event, streamID string, version int64, in eventstore.NewEvent) {
	t.Helper()
	if e.ID != in.ID || e.StreamID != streamID || e.Version != version || e.Type != in.Type {
		t.Errorf("stored %s/%s v%d %s, want %s/%s v%d %s", e.StreamID, e.ID, e.Version, e.Type, streamID, in.ID, version, in.Type)
	}
	if !bytes.Equal(e.Data, in.Data) {
		t.Errorf("%s: data %s, want %s", e.ID, e.Data, in.Data)
	}
	want := in.OccurredAt.Truncate(time.Microsecond)
	if !e.OccurredAt.Equal(want) || e.OccurredAt.Location() != time.UTC {
		t.Errorf("%s: occurred at %v, want %v in UTC", e.ID, e.OccurredAt, want)
	}
	if e.Position <= 0 || e.Cursor.Position != e.Position || e.Cursor.Tx == 0 {
		t.Errorf("%s: position %d, cursor %v", e.ID, e.Position, e.Cursor)
	}
}

func testExpectedVersions(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	app := func(stream string, expected int64, id string) error {
		_, err := s.Append(ctx, eventstore.Append{StreamID: stream, Expected: expected, Events: events(id)})
		return err
	}
	mustOK := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("append: %v", err)
		}
	}
	mustOK(app("s", eventstore.NoStream, "e1"))
	wantConflict(t, app("s", eventstore.NoStream, "e2"), "s", eventstore.NoStream, 1)
	wantConflict(t, app("s", 2, "e2"), "s", 2, 1)
	mustOK(app("s", 1, "e2"))
	mustOK(app("s", eventstore.Any, "e3"))
	wantConflict(t, app("new", 1, "e4"), "new", 1, 0)
	mustOK(app("other", eventstore.Any, "e5"))

	if got := mustRead(t, ctx, s, "s", 0); !slices.Equal(ids(got), []string{"e1", "e2", "e3"}) || got[2].Version != 3 {
		t.Errorf("stream s: %v", ids(got))
	}
	if got := mustRead(t, ctx, s, "other", 0); len(got) != 1 || got[0].Version != 1 {
		t.Errorf("stream other: %v", got)
	}
}

func wantConflict(t *testing.T, err error, stream string, expected, actual int64) {
	t.Helper()
	var ce *eventstore.ConcurrencyError
	if !errors.As(err, &ce) || !errors.Is(err, eventstore.ErrConcurrency) {
		t.Fatalf("got %v, want a ConcurrencyError", err)
	}
	if ce.StreamID != stream || ce.Expected != expected || ce.Actual != actual {
		t.Errorf("got %+v, want stream %q expected %d actual %d", *ce, stream, expected, actual)
	}
}

func testAtomicMultiStream(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	mustAppend(t, ctx, s, eventstore.Append{StreamID: "a", Expected: eventstore.NoStream, Events: events("a1")})

	_, err := s.Append(ctx,
		eventstore.Append{StreamID: "a", Expected: 1, Events: events("a2")},
		eventstore.Append{StreamID: "b", Expected: 5, Events: events("b1")})
	wantConflict(t, err, "b", 5, 0)
	if a, b := mustRead(t, ctx, s, "a", 0), mustRead(t, ctx, s, "b", 0); len(a) != 1 || len(b) != 0 {
		t.Fatalf("a failed append wrote: a %v, b %v", ids(a), ids(b))
	}

	c := mustAppend(t, ctx, s,
		eventstore.Append{StreamID: "a", Expected: 1, Events: events("a2")},
		eventstore.Append{StreamID: "b", Expected: eventstore.NoStream, Events: events("b1", "b2")})
	a, b := mustRead(t, ctx, s, "a", 1), mustRead(t, ctx, s, "b", 0)
	if len(a) != 1 || len(b) != 2 || a[0].Cursor.Tx != b[1].Cursor.Tx || b[1].Cursor != c {
		t.Fatalf("one append, one transaction: a %v, b %v, returned %v", a, b, c)
	}

	// One stream twice in a call: the second append sees the first.
	mustAppend(t, ctx, s,
		eventstore.Append{StreamID: "c", Expected: eventstore.NoStream, Events: events("c1")},
		eventstore.Append{StreamID: "c", Expected: 1, Events: events("c2")})
	_, err = s.Append(ctx,
		eventstore.Append{StreamID: "d", Expected: eventstore.NoStream, Events: events("d1")},
		eventstore.Append{StreamID: "d", Expected: eventstore.NoStream, Events: events("d2")})
	wantConflict(t, err, "d", eventstore.NoStream, 1)
	if c, d := mustRead(t, ctx, s, "c", 0), mustRead(t, ctx, s, "d", 0); len(c) != 2 || len(d) != 0 {
		t.Fatalf("stream twice in one call: c %v, d %v", ids(c), ids(d))
	}
}

func testRetry(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	first := []eventstore.Append{
		{StreamID: "s", Expected: eventstore.NoStream, Events: events("e1", "e2")},
		{StreamID: "t", Expected: eventstore.Any, Events: events("e3")},
	}
	c1 := mustAppend(t, ctx, s, first...)
	c2 := mustAppend(t, ctx, s, first...) // the reply was lost: the caller retries
	mustAppend(t, ctx, s, eventstore.Append{StreamID: "s", Expected: 2, Events: events("e4")})
	c3 := mustAppend(t, ctx, s, first...) // a late retry, after the stream moved on
	if c2 != c1 || c3 != c1 {
		t.Errorf("retries returned %v and %v, want %v", c2, c3, c1)
	}
	if got := mustRead(t, ctx, s, "s", 0); !slices.Equal(ids(got), []string{"e1", "e2", "e4"}) {
		t.Errorf("stream s: %v", ids(got))
	}
	if got := mustRead(t, ctx, s, "t", 0); len(got) != 1 {
		t.Errorf("stream t, appended with Any twice: %v", ids(got))
	}
}

func testPartlyRepeated(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	mustAppend(t, ctx, s, eventstore.Append{StreamID: "s", Expected: eventstore.NoStream, Events: events("e1")})
	for _, expected := range []int64{1, eventstore.Any, 7} {
		_, err := s.Append(ctx, eventstore.Append{StreamID: "s", Expected: expected, Events: events("e1", "e2")})
		if !errors.Is(err, eventstore.ErrDuplicateEvent) {
			t.Errorf("expected %d: got %v, want ErrDuplicateEvent", expected, err)
		}
	}
	_, err := s.Append(ctx,
		eventstore.Append{StreamID: "u", Expected: eventstore.NoStream, Events: events("e3")},
		eventstore.Append{StreamID: "s", Expected: 1, Events: events("e1")})
	if !errors.Is(err, eventstore.ErrDuplicateEvent) {
		t.Errorf("across streams: got %v, want ErrDuplicateEvent", err)
	}
	if s, u := mustRead(t, ctx, s, "s", 0), mustRead(t, ctx, s, "u", 0); len(s) != 1 || len(u) != 0 {
		t.Errorf("a duplicate wrote: s %v, u %v", ids(s), ids(u))
	}
}

func testInvalid(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	bad := map[string]eventstore.Append{
		"empty stream": {StreamID: "", Expected: eventstore.Any, Events: events("e1")},
		"no events":    {StreamID: "s", Expected: eventstore.Any},
		"bad expected": {StreamID: "s", Expected: -2, Events: events("e1")},
		"not json":     {StreamID: "s", Expected: eventstore.Any, Events: []eventstore.NewEvent{{ID: "e1", Type: "T", Data: []byte("{")}}},
		"no data":      {StreamID: "s", Expected: eventstore.Any, Events: []eventstore.NewEvent{{ID: "e1", Type: "T"}}},
		"no id":        {StreamID: "s", Expected: eventstore.Any, Events: events("")},
		"id twice":     {StreamID: "s", Expected: eventstore.Any, Events: events("e1", "e1")},
		"no type":      {StreamID: "s", Expected: eventstore.Any, Events: []eventstore.NewEvent{{ID: "e1", Data: []byte("1")}}},
	}
	for name, a := range bad {
		if _, err := s.Append(ctx, a); !errors.Is(err, eventstore.ErrInvalidArgument) {
			t.Errorf("%s: got %v, want ErrInvalidArgument", name, err)
		}
	}
	if _, err := s.ReadAll(ctx, eventstore.Query{}); !errors.Is(err, eventstore.ErrInvalidArgument) {
		t.Errorf("ReadAll without limit: got %v", err)
	}
	if _, err := s.ReadSince(ctx, eventstore.Cursor{}, 0); !errors.Is(err, eventstore.ErrInvalidArgument) {
		t.Errorf("ReadSince without limit: got %v", err)
	}
	if c, err := s.Append(ctx); err != nil || c != (eventstore.Cursor{}) {
		t.Errorf("empty append: %v, %v", c, err)
	}
	if got := mustRead(t, ctx, s, "s", 0); len(got) != 0 {
		t.Errorf("invalid appends wrote %v", ids(got))
	}
}

func testCopies(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	data := []byte(`{"a":1}`)
	mustAppend(t, ctx, s, eventstore.Append{StreamID: "s", Expected: eventstore.NoStream,
		Events: []eventstore.NewEvent{{ID: "e1", Type: "T", OccurredAt: at, Data: data}}})
	data[2] = 'X'
	got := mustRead(t, ctx, s, "s", 0)
	got[0].Data[2] = 'Y'
	if again := mustRead(t, ctx, s, "s", 0); string(again[0].Data) != `{"a":1}` {
		t.Errorf("stored data changed to %s", again[0].Data)
	}
}
