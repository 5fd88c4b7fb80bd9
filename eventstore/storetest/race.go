package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/flashpromo/flashpromo/eventstore"
)

// testFiftyRacers: fifty writers append to one stream at the same expected
// version; exactly one wins and every other gets a ConcurrencyError.
func testFiftyRacers(t *testing.T, s eventstore.Store) {
	ctx := testContext(t)
	const racers = 50
	mustAppend(t, ctx, s, newStream("hot", "seed"))

	start := make(chan struct{})
	errs := make([]error, racers)
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			_, errs[i] = s.Append(ctx, eventstore.Append{StreamID: "hot", Expected: 1,
				Events: events(fmt.Sprintf("racer-%d", i))})
		})
	}
	close(start)
	wg.Wait()

	wins := 0
	for i, err := range errs {
		var ce *eventstore.ConcurrencyError
		switch {
		case err == nil:
			wins++
		case !errors.As(err, &ce) || ce.Expected != 1 || ce.Actual != 2:
			t.Errorf("racer %d: %v, want a ConcurrencyError at version 2", i, err)
		}
	}
	if wins != 1 {
		t.Errorf("%d racers won, want 1", wins)
	}
	if got := mustRead(t, ctx, s, "hot", 0); len(got) != 2 {
		t.Errorf("stream has %d events, want 2", len(got))
	}
}
