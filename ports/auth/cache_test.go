package auth

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"testing"
	"time"
)

// A verified token is cached for a minute at most, however long it lives,
// and at about what it costs: the cache holds the last minute's callers.
func TestCacheHoldsAMinuteOfCallers(t *testing.T) {
	now := time.Now()
	v, err := New(context.Background(), Config{JWTSecret: "secret", Now: func() time.Time { return now }},
		slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	const n = 20000
	tokens := make([]string, n)
	for i := range tokens {
		tok, err := Mint("secret", Token{Subject: fmt.Sprintf("user-%08d", i), IssuedAt: now, TTL: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		tokens[i] = tok
	}
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for _, tok := range tokens {
		if _, err := v.Verify(context.Background(), "Bearer "+tok); err != nil {
			t.Fatal(err)
		}
		v.cache.Wait() // ristretto admits sets asynchronously; drop none
	}
	runtime.GC()
	runtime.ReadMemStats(&after)

	ttl, ok := v.cache.GetTTL(tokens[0])
	if !ok || ttl <= 0 || ttl > cacheFor {
		t.Fatalf("a day-long token is cached for %v (found %v), want at most %v", ttl, ok, cacheFor)
	}
	held := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	var counted int64
	for i, tok := range tokens {
		if _, ok := v.cache.Get(tok); !ok {
			t.Fatalf("token %d of %d is not cached: the budget is too small for this test", i, n)
		}
		counted += entryBytes + int64(len(fmt.Sprintf("user-%08d", i)))
	}
	if held > counted*5/4 || held < counted*3/4 {
		t.Errorf("%d tokens hold %d bytes of heap, the cache counts %d: its budget is not what it holds", n, held, counted)
	}
	runtime.KeepAlive(tokens)
}
