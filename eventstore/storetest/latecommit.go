package storetest

import (
	"context"
	"slices"
	"sync"
	"testing"

	"github.com/flashpromo/flashpromo/eventstore"
)

// testLateCommit: writer A takes its place in the log first and commits
// last; writer B appends and commits in between. A reader that reads while A
// is open and then resumes from its last cursor must still get A's event. A
// reader that follows positions alone would not: B's position is past A's.
func testLateCommit(t *testing.T, s eventstore.Store) {
	holder, ok := s.(HoldingAppender)
	if !ok {
		t.Skip("the store cannot hold a transaction open (no HoldingAppender)")
	}
	ctx := testContext(t)
	inserted, release := make(chan struct{}), make(chan struct{})
	type result struct {
		c   eventstore.Cursor
		err error
	}
	slow := make(chan result, 1)
	go func() {
		var once sync.Once
		c, err := holder.AppendHolding(ctx, func() { once.Do(func() { close(inserted) }) }, release, newStream("slow", "slow-1"))
		slow <- result{c, err}
	}()
	select {
	case <-inserted:
	case <-ctx.Done():
		t.Fatal("the slow writer never inserted")
	}
	fast := mustAppend(t, ctx, s, newStream("fast", "fast-1"))

	first := readSince(t, ctx, s, eventstore.Cursor{})
	if slices.Contains(ids(first), "slow-1") {
		t.Fatal("read an event of an open transaction")
	}
	close(release)
	r := <-slow
	if r.err != nil {
		t.Fatalf("slow append: %v", r.err)
	}
	settle(t, ctx, s, r.c)
	settle(t, ctx, s, fast)

	var resume eventstore.Cursor
	if len(first) > 0 {
		resume = first[len(first)-1].Cursor
	}
	got := append(first, readSince(t, ctx, s, resume)...)
	checkOrder(t, got)
	if sorted := slices.Sorted(slices.Values(ids(got))); !slices.Equal(sorted, []string{"fast-1", "slow-1"}) {
		t.Fatalf("the reader got %v, want fast-1 and slow-1 once each", ids(got))
	}
}

func readSince(t *testing.T, ctx context.Context, s eventstore.Store, after eventstore.Cursor) []eventstore.Event {
	t.Helper()
	got, err := s.ReadSince(ctx, after, 100)
	if err != nil {
		t.Fatalf("read since %v: %v", after, err)
	}
	return got
}
