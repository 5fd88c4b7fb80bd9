package readmodel

import (
	"fmt"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"testing"
)

// Every id keeps its number and reads back byte for byte, across the
// table's growth, chunks, the empty id and ids longer than a chunk.
func TestIDTableNumbersEachIDOnce(t *testing.T) {
	tab := newIDTable()
	ids := []string{"", "a", "ab", strings.Repeat("x", idChunk+5), "ñandú", "user-1\x00"}
	for i := range 20_000 {
		ids = append(ids, fmt.Sprintf("user-%d", i))
	}
	ids = append(ids, strings.Repeat("y", 3*idChunk))
	for round := range 2 { // the second interns again: the same numbers
		for i, id := range ids {
			if n := tab.intern(id); n != int32(i) {
				t.Fatalf("round %d: %.20q numbered %d, want %d", round, id, n, i)
			}
		}
	}
	if tab.len() != len(ids) {
		t.Fatalf("%d numbered, want %d", tab.len(), len(ids))
	}
	for i, id := range ids {
		if n, ok := tab.number(id); !ok || n != int32(i) {
			t.Fatalf("number(%.20q) = %d, %v; want %d", id, n, ok, i)
		}
		if got := tab.name(int32(i)); got != id {
			t.Fatalf("name(%d) = %.20q, want %.20q", i, got, id)
		}
	}
	for _, id := range []string{"user-20000", "user-", "b", "user-1\x00\x00"} {
		if n, ok := tab.number(id); ok {
			t.Fatalf("number(%q) = %d for an id never interned", id, n)
		}
	}
	if got := tab.names([]int32{3, 0, 7}); got[0] != ids[3] || got[1] != "" || got[2] != ids[7] {
		t.Fatalf("names: %.20q", got)
	}
}

// A guess of the number (the one after the caller's last) changes nothing
// of the answer, right or wrong, in range or not; an id never interned is
// numbered after the others whatever the guess.
func TestIDTableGuessesChangeNoAnswer(t *testing.T) {
	tab := newIDTable()
	const n = 5000
	for i := range n {
		tab.intern(fmt.Sprintf("user-%d", i))
	}
	for _, prev := range []int32{-1, 0, 1, 41, 42, 43, n - 2, n - 1, n, 1 << 30, math.MaxInt32} {
		for _, i := range []int{0, 1, 42, 43, 44, guessAhead, guessAhead + 1, guessAhead + 2, n - 1} {
			id := fmt.Sprintf("user-%d", i)
			if got, ok := tab.numberAfter(id, prev); !ok || got != int32(i) {
				t.Fatalf("numberAfter(%s, %d) = %d, %v", id, prev, got, ok)
			}
			if got := tab.internAfter(id, prev); got != int32(i) {
				t.Fatalf("internAfter(%s, %d) = %d", id, prev, got)
			}
		}
		if got, ok := tab.numberAfter("nobody", prev); ok {
			t.Fatalf("numberAfter(nobody, %d) = %d", prev, got)
		}
	}
	if got := tab.internAfter("newcomer", n-1); got != n {
		t.Fatalf("a new id after the last: numbered %d, want %d", got, n)
	}
	if got, ok := tab.number("newcomer"); !ok || got != n {
		t.Fatalf("the newcomer is not found by its hash: %d, %v", got, ok)
	}
}

// BenchmarkIDTableInOrder looks up 1,000,000 ids in the order they were
// numbered, as a fan-out's notifications name their users, and those of one
// shard of 12, as a sharded fan-out's do: with the guess of the numbers
// after the last, and without.
func BenchmarkIDTableInOrder(b *testing.B) {
	tab := newIDTable()
	ids := make([]string, 1_000_000)
	var shard []string // a fan-out's shard of 12: the ids app.inShard keeps for shard 0
	for i := range ids {
		ids[i] = fmt.Sprintf("%08x-0000-4000-8000-%012x", i*7919, i)
		tab.intern(ids[i])
		h := fnv.New32a()
		h.Write([]byte(ids[i]))
		if h.Sum32()%12 == 0 {
			shard = append(shard, ids[i])
		}
	}
	for _, c := range []struct {
		name  string
		ids   []string
		guess bool
	}{{"guess", ids, true}, {"hash", ids, false}, {"shard/guess", shard, true}, {"shard/hash", shard, false}} {
		b.Run(c.name, func(b *testing.B) {
			i, prev := 0, int32(-1)
			for b.Loop() {
				if !c.guess {
					prev = -1
				}
				n, _ := tab.numberAfter(c.ids[i], prev)
				prev, i = n, (i+1)%len(c.ids)
			}
		})
	}
}

// Interning and reading at once: one number per id, whoever comes first.
func TestIDTableUnderConcurrentInterns(t *testing.T) {
	tab := newIDTable()
	const n = 5000
	got := make([][]int32, 4)
	var g sync.WaitGroup
	for w := range got {
		got[w] = make([]int32, n)
		g.Go(func() {
			for i := range n {
				k := (i + w*1237) % n // each its own order
				id := fmt.Sprintf("u%d", k)
				got[w][k] = tab.intern(id)
				if tab.name(got[w][k]) != id {
					t.Errorf("name of %s read back wrong", id)
				}
			}
		})
	}
	g.Wait()
	for i := range n {
		for w := 1; w < len(got); w++ {
			if got[w][i] != got[0][i] {
				t.Fatalf("u%d: numbered %d and %d", i, got[0][i], got[w][i])
			}
		}
	}
}
