// Package storetest is the conformance suite every event store must pass.
// A store's test calls Run with a constructor that returns an empty store.
package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/eventstore"
)

// HoldingAppender is an optional hook for the late-commit tests: it appends
// like Append but, once the events have taken their places, calls inserted
// and keeps the transaction open until release is closed. A store whose
// commits are serialised may simply wait for release before appending.
type HoldingAppender interface {
	AppendHolding(ctx context.Context, inserted func(), release <-chan struct{}, appends ...eventstore.Append) (eventstore.Cursor, error)
}

// timeout bounds every test; waiting is by polling, never by sleeping.
const timeout = 30 * time.Second

// Run runs the suite; newStore returns a new, empty store for each test.
func Run(t *testing.T, newStore func(t *testing.T) eventstore.Store) {
	tests := []struct {
		name string
		test func(t *testing.T, s eventstore.Store)
	}{
		{"RoundTrip", testRoundTrip},
		{"ExpectedVersions", testExpectedVersions},
		{"AtomicMultiStream", testAtomicMultiStream},
		{"RetryIsStoredOnce", testRetry},
		{"PartlyRepeatedIDs", testPartlyRepeated},
		{"InvalidArguments", testInvalid},
		{"BytesAreCopied", testCopies},
		{"Metadata", testMetadata},
		{"AppendNew", testAppendNew},
		{"AppendNewMany", testAppendNewMany},
		{"ReadAll", testReadAll},
		{"ReadSincePages", testReadSince},
		{"HeadAndAppended", testHeadAndAppended},
		{"Checkpoints", testCheckpoints},
		{"FiftyRacers", testFiftyRacers},
		{"LateCommitIsNotSkipped", testLateCommit},
		{"FollowWithSlowWriters", testFollowSlowWriters},
		{"FollowStops", testFollowStops},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { tt.test(t, newStore(t)) })
	}
}

// testContext ends with the test or after timeout.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	t.Cleanup(cancel)
	return ctx
}

// at is the time of every test event: not UTC, and with nanoseconds, which
// the store keeps as UTC microseconds.
var at = time.Date(2025, 3, 1, 12, 30, 45, 123456789, time.FixedZone("UTC+3", 3*3600))

func event(id, typ string) eventstore.NewEvent {
	return eventstore.NewEvent{ID: id, Type: typ, OccurredAt: at, Data: []byte(fmt.Sprintf(`{"id":%q}`, id))}
}

func events(ids ...string) []eventstore.NewEvent {
	out := make([]eventstore.NewEvent, len(ids))
	for i, id := range ids {
		out[i] = event(id, "Happened")
	}
	return out
}

func mustAppend(t *testing.T, ctx context.Context, s eventstore.Store, appends ...eventstore.Append) eventstore.Cursor {
	t.Helper()
	c, err := s.Append(ctx, appends...)
	if err != nil {
		t.Fatalf("append: %v", err)
	}
	return c
}

func mustRead(t *testing.T, ctx context.Context, s eventstore.Store, streamID string, after int64) []eventstore.Event {
	t.Helper()
	got, err := s.ReadStream(ctx, streamID, after)
	if err != nil {
		t.Fatalf("read stream %q: %v", streamID, err)
	}
	return got
}

// settle waits until c is readable: a transaction elsewhere on a shared
// database may hold the global log back for a moment.
func settle(t *testing.T, ctx context.Context, s eventstore.Store, c eventstore.Cursor) {
	t.Helper()
	for {
		head, err := s.Head(ctx)
		if err != nil {
			t.Fatalf("head: %v", err)
		}
		if !head.Less(c) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("cursor %v never became readable; head is %v", c, head)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func ids(events []eventstore.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = e.ID
	}
	return out
}

// checkOrder fails unless cursors strictly increase.
func checkOrder(t *testing.T, events []eventstore.Event) {
	t.Helper()
	for i := 1; i < len(events); i++ {
		if !events[i-1].Cursor.Less(events[i].Cursor) {
			t.Fatalf("cursor %v of %s does not follow %v of %s",
				events[i].Cursor, events[i].ID, events[i-1].Cursor, events[i-1].ID)
		}
	}
}
