package storetest

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
)

// logOf writes a small log of two streams and two types, in three calls.
func logOf(t *testing.T, s eventstore.Store) []eventstore.Event {
	ctx := testContext(t)
	typed := func(id, typ string) eventstore.NewEvent { return event(id, typ) }
	mustAppend(t, ctx, s, eventstore.Append{StreamID: "a", Expected: eventstore.NoStream,
		Events: []eventstore.NewEvent{typed("a1", "T1"), typed("a2", "T2")}})
	mustAppend(t, ctx, s, eventstore.Append{StreamID: "b", Expected: eventstore.NoStream,
		Events: []eventstore.NewEvent{typed("b1", "T1")}})
	c := mustAppend(t, ctx, s,
		eventstore.Append{StreamID: "a", Expected: 2, Events: []eventstore.NewEvent{typed("a3", "T1")}},
		eventstore.Append{StreamID: "b", Expected: 1, Events: []eventstore.NewEvent{typed("b2", "T2")}})
	settle(t, ctx, s, c)
	all, err := s.ReadAll(ctx, eventstore.Query{Limit: 100})
	if err != nil {
		t.Fatalf("read all: %v", err)
	}
	if want := []string{"a1", "a2", "b1", "a3", "b2"}; !slices.Equal(ids(all), want) {
		t.Fatalf("read all: %v, want %v", ids(all), want)
	}
	checkOrder(t, all)
	return all
}

func testReadAll(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	all := logOf(t, s)
	cases := []struct {
		q    eventstore.Query
		want []string
	}{
		{eventstore.Query{Limit: 2}, []string{"a1", "a2"}},
		{eventstore.Query{After: all[1].Position, Limit: 10}, []string{"b1", "a3", "b2"}},
		{eventstore.Query{After: all[4].Position, Limit: 10}, nil},
		{eventstore.Query{StreamID: "a", Limit: 10}, []string{"a1", "a2", "a3"}},
		{eventstore.Query{Type: "T1", Limit: 10}, []string{"a1", "b1", "a3"}},
		{eventstore.Query{StreamID: "b", Type: "T2", Limit: 10}, []string{"b2"}},
		{eventstore.Query{After: all[2].Position, StreamID: "a", Limit: 1}, []string{"a3"}},
		{eventstore.Query{StreamID: "nobody", Limit: 10}, nil},
	}
	for _, c := range cases {
		got, err := s.ReadAll(ctx, c.q)
		if err != nil || !slices.Equal(ids(got), c.want) {
			t.Errorf("%+v: got %v, %v, want %v", c.q, ids(got), err, c.want)
		}
	}
	if _, err := s.ReadAll(ctx, eventstore.Query{After: all[4].Position + 1000, Limit: 1}); !errors.Is(err, eventstore.ErrUnknownPosition) {
		t.Errorf("unknown position: got %v", err)
	}

	// Paging by position walks the whole log.
	var paged []eventstore.Event
	for q := (eventstore.Query{Limit: 2}); ; {
		page, err := s.ReadAll(ctx, q)
		if err != nil {
			t.Fatalf("page after %d: %v", q.After, err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		q.After = page[len(page)-1].Position
	}
	if !slices.Equal(ids(paged), ids(all)) {
		t.Errorf("paged %v, want %v", ids(paged), ids(all))
	}
}

func testReadSince(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	all := logOf(t, s)
	var paged []eventstore.Event
	var after eventstore.Cursor
	for {
		page, err := s.ReadSince(ctx, after, 2)
		if err != nil {
			t.Fatalf("read since %v: %v", after, err)
		}
		if len(page) == 0 {
			break
		}
		paged = append(paged, page...)
		after = page[len(page)-1].Cursor
	}
	if !slices.Equal(ids(paged), ids(all)) {
		t.Errorf("paged %v, want %v", ids(paged), ids(all))
	}
	for i, e := range paged {
		if e.Cursor != all[i].Cursor || string(e.Data) != string(all[i].Data) || e.Version != all[i].Version {
			t.Errorf("ReadSince and ReadAll disagree on %s: %+v, %+v", e.ID, e, all[i])
		}
	}
}

func testHeadAndAppended(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	if head, err := s.Head(ctx); err != nil || head != (eventstore.Cursor{}) {
		t.Fatalf("head of an empty store: %v, %v", head, err)
	}
	woken := s.Appended()
	select {
	case <-woken:
		t.Fatal("appended is closed before any append")
	default:
	}
	c := mustAppend(t, ctx, s, newStream("s", "e1"))
	waitClosed(t, woken, "Append")
	settle(t, ctx, s, c)
	if head, err := s.Head(ctx); err != nil || head != c {
		t.Errorf("head %v, %v, want %v", head, err, c)
	}

	woken = s.Appended()
	if _, err := s.AppendNew(ctx, []eventstore.Append{newStream("t", "e2")}); err != nil {
		t.Fatal(err)
	}
	waitClosed(t, woken, "AppendNew")
}

func waitClosed(t *testing.T, ch <-chan struct{}, after string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(timeout):
		t.Fatalf("appended not closed after %s", after)
	}
}

func testCheckpoints(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	check := func(name string, want eventstore.Cursor) {
		t.Helper()
		if got, err := s.Checkpoint(ctx, name); err != nil || got != want {
			t.Errorf("checkpoint %q: %v, %v, want %v", name, got, err, want)
		}
	}
	save := func(name string, c eventstore.Cursor) {
		t.Helper()
		if err := s.SaveCheckpoint(ctx, name, c); err != nil {
			t.Fatalf("save %q: %v", name, err)
		}
	}
	check("relay", eventstore.Cursor{})
	save("relay", eventstore.Cursor{Tx: 42, Position: 7})
	check("relay", eventstore.Cursor{Tx: 42, Position: 7})
	save("relay", eventstore.Cursor{Tx: 1 << 62, Position: 9})
	save("projector", eventstore.Cursor{Tx: 3, Position: 1})
	check("relay", eventstore.Cursor{Tx: 1 << 62, Position: 9})
	check("projector", eventstore.Cursor{Tx: 3, Position: 1})
}
