package readmodel

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
	"unsafe"
)

// idTable numbers ids and keeps each once, in a layout the garbage
// collector need not scan: the bytes of the ids in chunks that never move,
// where each number's bytes are, and an open-addressed table from an id's
// hash to its number. The users and notifications models share one, so a
// user's id is held once however many models know the user.
//
// An id, once numbered, keeps its number for the life of the table, and
// its bytes never change: the strings it hands out point into its chunks.
// Its lock is taken last: nothing takes a model's lock while holding it.
type idTable struct {
	mu     sync.RWMutex
	chunks [][]byte // each filled up to its capacity and then left
	at     []uint64 // by number: chunk<<32 | offset of its length and bytes
	slots  []int32  // by hash, probed in turn: a number+1, or 0 where free
	seed   maphash.Seed
}

const idChunk = 1 << 16

func newIDTable() *idTable { return &idTable{seed: maphash.MakeSeed()} }

// number is the id's number, if it has one.
func (t *idTable) number(id string) (int32, bool) { return t.numberAfter(id, -1) }

// numberAfter is number for a caller that looks ids up in the order they
// were numbered, as a fan-out names its users (in the order they
// registered, a shard of them skipping some): it tries the numbers just
// after prev (the caller's last; -1 for none) first, which when right
// spares the probe of the table.
func (t *idTable) numberAfter(id string, prev int32) (int32, bool) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	n, _ := t.find(id, prev)
	return n, n >= 0
}

// intern is the id's number, given now if it has none. The table keeps
// its own copy of the bytes.
func (t *idTable) intern(id string) int32 { return t.internAfter(id, -1) }

// internAfter is intern that tries the numbers after prev first, as
// numberAfter does.
func (t *idTable) internAfter(id string, prev int32) int32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	n, slot := t.find(id, prev)
	if n >= 0 {
		return n
	}
	if 4*(len(t.at)+1) > 3*len(t.slots) {
		t.rehash(max(1024, 2*len(t.slots)))
		_, slot = t.find(id, -1)
	}
	n = int32(len(t.at))
	t.at = append(t.at, t.store(id))
	t.slots[slot] = n + 1
	return n
}

// name is the id numbered n.
func (t *idTable) name(n int32) string {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.nameLocked(n)
}

// names are the ids of numbers, read a page at a time under the lock.
func (t *idTable) names(numbers []int32) []string {
	out := make([]string, len(numbers))
	for from := 0; from < len(numbers); from += pageSize {
		t.mu.RLock()
		for i := from; i < min(from+pageSize, len(numbers)); i++ {
			out[i] = t.nameLocked(numbers[i])
		}
		t.mu.RUnlock()
	}
	return out
}

// len is how many ids have a number.
func (t *idTable) len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.at)
}

func (t *idTable) nameLocked(n int32) string {
	at := t.at[n]
	c := t.chunks[at>>32][uint32(at):]
	size, k := binary.Uvarint(c)
	if size == 0 {
		return ""
	}
	return unsafe.String(&c[k], int(size)) // never written again
}

// guessAhead is how many numbers after a caller's last find tries before
// the table. A fan-out's shard of 12 keeps a user in 12, by hash: the next
// user of its list is 12 numbers on, on average, and within 48 in 98
// cases of 100. Their bytes lie side by side in the chunks, where a probe
// of the table costs two misses of the processor's caches.
const guessAhead = 48

// find is the id's number (-1 if none) and, if it has none, the slot where
// it would go; the guessAhead numbers after prev (if prev >= 0) are tried
// first. The caller holds the lock.
func (t *idTable) find(id string, prev int32) (int32, int) {
	if prev >= 0 {
		for n, end := int(prev)+1, min(int(prev)+1+guessAhead, len(t.at)); n < end; n++ {
			if t.nameLocked(int32(n)) == id {
				return int32(n), -1
			}
		}
	}
	if len(t.slots) == 0 {
		return -1, 0
	}
	mask := uint64(len(t.slots) - 1)
	for i := maphash.String(t.seed, id) & mask; ; i = (i + 1) & mask {
		s := t.slots[i]
		if s == 0 {
			return -1, int(i)
		}
		if t.nameLocked(s-1) == id {
			return s - 1, int(i)
		}
	}
}

// rehash files every number again in a table of size slots.
func (t *idTable) rehash(size int) {
	t.slots = make([]int32, size)
	mask := uint64(size - 1)
	for n := range t.at {
		i := maphash.String(t.seed, t.nameLocked(int32(n))) & mask
		for t.slots[i] != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = int32(n) + 1
	}
}

// store copies the id, after its length, into the last chunk, or a new one
// if it does not fit, and says where it is.
func (t *idTable) store(id string) uint64 {
	need := binary.MaxVarintLen64 + len(id)
	if len(t.chunks) == 0 || cap(t.chunks[len(t.chunks)-1])-len(t.chunks[len(t.chunks)-1]) < need {
		t.chunks = append(t.chunks, make([]byte, 0, max(idChunk, need)))
	}
	last := len(t.chunks) - 1
	c := t.chunks[last]
	at := uint64(last)<<32 | uint64(len(c))
	c = binary.AppendUvarint(c, uint64(len(id)))
	t.chunks[last] = append(c, id...)
	return at
}
