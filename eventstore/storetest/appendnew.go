package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/flashpromo/flashpromo/eventstore"
)

func newStream(stream, id string) eventstore.Append {
	return eventstore.Append{StreamID: stream, Expected: eventstore.NoStream, Events: events(id)}
}

func testAppendNew(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	mustAppend(t, ctx, s, newStream("x", "x1"))
	mustAppend(t, ctx, s, newStream("w", "w1"))
	batch := []eventstore.Append{
		newStream("x", "x-again"), // exists: skipped
		newStream("y", "y1"),
		newStream("z", "z1"),
		newStream("y", "y2"), // twice in the call: the first wins
		newStream("v", "w1"), // its event id is stored: a retry, skipped
	}
	written, err := s.AppendNew(ctx, batch)
	if err != nil {
		t.Fatalf("append new: %v", err)
	}
	if !slices.Equal(written, []string{"y", "z"}) {
		t.Errorf("written %v, want [y z]", written)
	}
	if y := mustRead(t, ctx, s, "y", 0); !slices.Equal(ids(y), []string{"y1"}) || y[0].Version != 1 {
		t.Errorf("stream y: %+v", y)
	}
	for stream, want := range map[string][]string{"x": {"x1"}, "v": nil} {
		if got := ids(mustRead(t, ctx, s, stream, 0)); !slices.Equal(got, want) {
			t.Errorf("stream %s: %v, want %v", stream, got, want)
		}
	}
	if again, err := s.AppendNew(ctx, batch); err != nil || len(again) != 0 {
		t.Errorf("repeated call wrote %v, %v", again, err)
	}
	if none, err := s.AppendNew(ctx, nil); err != nil || len(none) != 0 {
		t.Errorf("empty call: %v, %v", none, err)
	}
	bad := [][]eventstore.Append{
		{{StreamID: "u", Expected: 1, Events: events("u1")}},
		{{StreamID: "u", Expected: eventstore.NoStream, Events: events("u1", "u2")}},
		{newStream("u", "u1"), newStream("t", "u1")},
	}
	for _, b := range bad {
		if _, err := s.AppendNew(ctx, b); !errors.Is(err, eventstore.ErrInvalidArgument) {
			t.Errorf("%+v: got %v, want ErrInvalidArgument", b, err)
		}
	}
}

// testAppendNewMany is the one-notification-a-day guard: thousands of
// streams in one call, the existing ones skipped.
func testAppendNewMany(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const n = 10_000
	all := make([]eventstore.Append, n)
	var even, odd []eventstore.Append
	var oddIDs []string
	for i := range all {
		all[i] = newStream(fmt.Sprintf("user-%d", i), fmt.Sprintf("notified-%d", i))
		if i%2 == 0 {
			even = append(even, all[i])
		} else {
			odd = append(odd, all[i])
			oddIDs = append(oddIDs, all[i].StreamID)
		}
	}
	if written, err := s.AppendNew(ctx, even); err != nil || len(written) != n/2 {
		t.Fatalf("first half: %d written, %v", len(written), err)
	}
	written, err := s.AppendNew(ctx, all)
	if err != nil {
		t.Fatalf("all: %v", err)
	}
	if !slices.Equal(written, oddIDs) {
		t.Fatalf("all: wrote %d streams, want the %d odd ones in order", len(written), len(odd))
	}
}
