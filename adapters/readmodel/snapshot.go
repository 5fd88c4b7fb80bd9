package readmodel

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/golang/geo/s2"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// Snapshots keeps a copy of each read model with the cursor it was taken
// at, so a start loads the copies and reads only the log after them. The
// Postgres event store is one; the in-memory store needs none, since its log
// dies with the process.
type Snapshots interface {
	// SaveSnapshot replaces the snapshot called name with the bytes write
	// writes, in one transaction.
	SaveSnapshot(ctx context.Context, name string, format int, at eventstore.Cursor, write func(io.Writer) error) error
	// LoadSnapshot calls read with the snapshot called name; false if there
	// is none.
	LoadSnapshot(ctx context.Context, name string, read func(format int, at eventstore.Cursor, r io.Reader) error) (bool, error)
}

// SnapshotPolicy says when the models are saved: once the reader has caught
// up with the log, at most every Interval and only when at least Events
// events were read since the last save; and when Run ends, if anything was
// read since. A zero Interval turns snapshots off, loading included.
type SnapshotPolicy struct {
	Interval time.Duration
	Events   int
}

// snapshotFormat is the layout of every model's bytes; a snapshot of
// another format is ignored and the model replayed from the log. Change it
// whenever a model's encoding or meaning changes.
const snapshotFormat = 2

// UseSnapshots makes Run start from the models' snapshots and save them by
// the policy. Call it before Run.
func (rm *ReadModel) UseSnapshots(s Snapshots, p SnapshotPolicy) {
	if p.Interval <= 0 {
		return
	}
	rm.snapshots, rm.policy = s, p
}

// restore loads every model's snapshot and returns where the shared reader
// starts: the oldest of their cursors (the start of the log if one has no
// usable snapshot).
func (rm *ReadModel) restore(ctx context.Context) eventstore.Cursor {
	models := rm.snapshotters()
	at := make([]eventstore.Cursor, len(models))
	var g sync.WaitGroup
	for i, r := range models {
		g.Go(func() {
			var err error
			if at[i], err = r.restore(ctx, rm.snapshots); err != nil {
				rm.log.Warn("read model snapshot unusable; replaying the log", "model", r.modelName(), "err", err)
			}
		})
	}
	g.Wait()
	return slices.MinFunc(at, func(a, b eventstore.Cursor) int {
		switch {
		case a.Less(b):
			return -1
		case b.Less(a):
			return 1
		}
		return 0
	})
}

// saveAll snapshots every model, each at its own cursor, unless a save is
// running already. Each copy is taken under its runner's lock, which holds
// the live reader back for the time of a copy, not of the encoding.
func (rm *ReadModel) saveAll(ctx context.Context) {
	if rm.snapshots == nil || !rm.saving.TryLock() {
		return
	}
	defer rm.saving.Unlock()
	start := time.Now()
	for _, r := range rm.snapshotters() {
		if err := r.save(ctx, rm.snapshots); err != nil {
			rm.log.Error("read model snapshot not saved", "model", r.modelName(), "err", err)
			return
		}
	}
	rm.log.Info("read model snapshots saved", "took", time.Since(start).Round(time.Millisecond))
}

type snapshotter interface {
	modelName() string
	restore(context.Context, Snapshots) (eventstore.Cursor, error)
	save(context.Context, Snapshots) error
}

func (rm *ReadModel) snapshotters() []snapshotter {
	return []snapshotter{rm.promos, rm.users, rm.notifications}
}

// snapshotting is what a model does for snapshots: freeze takes a
// consistent copy under the runner's lock (cheaply: most of a model only
// grows) and returns what encodes it later without the lock; thaw fills an
// empty model.
type snapshotting interface {
	freeze() func(*snapWriter)
	thaw(*snapReader)
}

func (r *runner[M]) modelName() string { return r.name }

func (r *runner[M]) save(ctx context.Context, s Snapshots) error {
	m, ok := any(r.current()).(snapshotting)
	if !ok {
		return nil
	}
	r.mu.Lock()
	at, encode := r.cursor, m.freeze()
	r.mu.Unlock()
	if at == (eventstore.Cursor{}) {
		return nil // nothing folded yet
	}
	return s.SaveSnapshot(ctx, r.name, snapshotFormat, at, func(w io.Writer) error {
		sw := newSnapWriter(w)
		encode(sw)
		return sw.close()
	})
}

// restore puts the model of the snapshot in place, with its cursor; on any
// error the model stays empty at the start of the log.
func (r *runner[M]) restore(ctx context.Context, s Snapshots) (eventstore.Cursor, error) {
	if _, ok := any(r.current()).(snapshotting); !ok {
		return eventstore.Cursor{}, nil
	}
	start := time.Now()
	m := r.fresh()
	var at eventstore.Cursor
	found, err := s.LoadSnapshot(ctx, r.name, func(format int, c eventstore.Cursor, rd io.Reader) error {
		if format != snapshotFormat {
			return fmt.Errorf("format %d, this build reads %d", format, snapshotFormat)
		}
		sr := newSnapReader(rd)
		any(m).(snapshotting).thaw(sr)
		at = c
		return sr.close()
	})
	if err != nil || !found {
		return eventstore.Cursor{}, err
	}
	r.mu.Lock()
	r.model.Store(m)
	r.cursor = at
	close(r.advanced)
	r.advanced = make(chan struct{})
	r.mu.Unlock()
	r.log.Info("read model restored from its snapshot", "model", r.name, "position", at.Position,
		"took", time.Since(start).Round(time.Millisecond))
	return at, nil
}

// snapWriter writes a snapshot: varints, strings and floats, in frames of
// about 64 KiB, each with its length before it and its CRC-32 after it, and
// an empty frame at the end. A value never spans two frames, so a reader
// decodes from a checked frame in memory. The first error sticks.
type snapWriter struct {
	w   io.Writer
	buf []byte
	err error
}

const frameSize = 1 << 16

func newSnapWriter(w io.Writer) *snapWriter {
	return &snapWriter{w: w, buf: make([]byte, 0, 2*frameSize)}
}

// value ends a value: a frame goes out once it is full.
func (w *snapWriter) value() {
	if len(w.buf) >= frameSize {
		w.frame()
	}
}

func (w *snapWriter) frame() {
	if w.err != nil {
		return
	}
	head := binary.LittleEndian.AppendUint32(nil, uint32(len(w.buf)))
	if _, w.err = w.w.Write(head); w.err == nil {
		if _, w.err = w.w.Write(w.buf); w.err == nil {
			_, w.err = w.w.Write(binary.LittleEndian.AppendUint32(nil, crc32.ChecksumIEEE(w.buf)))
		}
	}
	w.buf = w.buf[:0]
}

func (w *snapWriter) bytes(b []byte)   { w.buf = append(w.buf, b...); w.value() }
func (w *snapWriter) uvarint(v uint64) { w.buf = binary.AppendUvarint(w.buf, v); w.value() }
func (w *snapWriter) varint(v int64)   { w.buf = binary.AppendVarint(w.buf, v); w.value() }
func (w *snapWriter) float(f float64) {
	w.buf = binary.LittleEndian.AppendUint64(w.buf, math.Float64bits(f))
	w.value()
}

func (w *snapWriter) string(s string) {
	w.buf = binary.AppendUvarint(w.buf, uint64(len(s)))
	w.buf = append(w.buf, s...)
	w.value()
}

func (w *snapWriter) time(t time.Time) {
	b, err := t.MarshalBinary()
	if err != nil && w.err == nil {
		w.err = err
	}
	w.string(string(b))
}

// close writes the last frame and the empty one that ends the snapshot.
func (w *snapWriter) close() error {
	if len(w.buf) > 0 {
		w.frame()
	}
	w.frame()
	return w.err
}

// snapReader reads what snapWriter wrote, a checked frame at a time. The
// first error sticks and every read after it gives zeros, so a decoder
// checks once, at close; counts are bounded, so a corrupt count cannot ask
// for all the memory.
type snapReader struct {
	r     io.Reader
	frame []byte // the rest of the current frame
	buf   []byte
	ended bool // the empty frame was read
	err   error
}

const (
	maxCount = 1 << 31
	maxFrame = 1 << 26
)

var errCorrupt = errors.New("readmodel: corrupt snapshot")

func newSnapReader(r io.Reader) *snapReader { return &snapReader{r: r} }

func (r *snapReader) fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// next loads the next frame once the current one is read; false at the end
// or on an error.
func (r *snapReader) next() bool {
	if r.err != nil || r.ended {
		return false
	}
	if len(r.frame) > 0 {
		return true
	}
	var head [4]byte
	if _, err := io.ReadFull(r.r, head[:]); err != nil {
		r.fail(fmt.Errorf("%w: frame: %v", errCorrupt, err))
		return false
	}
	n := binary.LittleEndian.Uint32(head[:])
	if n > maxFrame {
		r.fail(fmt.Errorf("%w: frame of %d bytes", errCorrupt, n))
		return false
	}
	if cap(r.buf) < int(n)+4 {
		r.buf = make([]byte, int(n)+4)
	}
	b := r.buf[:n+4]
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.fail(fmt.Errorf("%w: frame: %v", errCorrupt, err))
		return false
	}
	if crc32.ChecksumIEEE(b[:n]) != binary.LittleEndian.Uint32(b[n:]) {
		r.fail(fmt.Errorf("%w: checksum", errCorrupt))
		return false
	}
	if n == 0 {
		r.ended = true
		return false
	}
	r.frame = b[:n]
	return true
}

// take returns the next n bytes of the current frame.
func (r *snapReader) take(n int) []byte {
	if !r.next() {
		r.fail(fmt.Errorf("%w: ends early", errCorrupt))
		return nil
	}
	if n > len(r.frame) {
		r.fail(fmt.Errorf("%w: a value spans frames", errCorrupt))
		return nil
	}
	b := r.frame[:n]
	r.frame = r.frame[n:]
	return b
}

func (r *snapReader) full(b []byte) {
	if v := r.take(len(b)); v != nil {
		copy(b, v)
	} else {
		clear(b)
	}
}

func (r *snapReader) uvarint() uint64 {
	if !r.next() {
		r.fail(fmt.Errorf("%w: ends early", errCorrupt))
		return 0
	}
	v, n := binary.Uvarint(r.frame)
	if n <= 0 {
		r.fail(fmt.Errorf("%w: varint", errCorrupt))
		return 0
	}
	r.frame = r.frame[n:]
	return v
}

func (r *snapReader) varint() int64 {
	u := r.uvarint()
	v := int64(u >> 1)
	if u&1 != 0 {
		v = ^v
	}
	return v
}

func (r *snapReader) float() float64 {
	if b := r.take(8); b != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	return 0
}

// count reads a number of things to come.
func (r *snapReader) count() int {
	n := r.uvarint()
	if n > maxCount {
		r.fail(fmt.Errorf("%w: count %d", errCorrupt, n))
		return 0
	}
	return int(n)
}

func (r *snapReader) string() string {
	n := r.count()
	if r.err != nil || n == 0 {
		return ""
	}
	return string(r.take(n))
}

func (r *snapReader) time() time.Time {
	var t time.Time
	if b := r.string(); r.err == nil {
		if err := t.UnmarshalBinary([]byte(b)); err != nil {
			r.fail(fmt.Errorf("%w: %v", errCorrupt, err))
		}
	}
	return t
}

// close checks that the snapshot was read to its end, and no further.
func (r *snapReader) close() error {
	if r.err == nil && r.next() {
		r.fail(fmt.Errorf("%w: bytes left over", errCorrupt))
	}
	if r.err == nil && !r.ended {
		r.fail(fmt.Errorf("%w: no end", errCorrupt))
	}
	if r.err == nil {
		if n, _ := r.r.Read(make([]byte, 1)); n > 0 {
			r.fail(fmt.Errorf("%w: bytes after the end", errCorrupt))
		}
	}
	return r.err
}

// The notifications: users, words and notices only grow, so the copy is
// their slice headers.
func (m *Notifications) freeze() func(*snapWriter) {
	m.mu.RLock()
	users, msgs, odd := m.userIDs, m.msgs, m.odd
	pages := append([][]notice(nil), m.pages...)
	m.mu.RUnlock()
	return func(w *snapWriter) {
		w.uvarint(uint64(len(users)))
		for _, u := range users {
			w.string(u)
		}
		w.uvarint(uint64(len(msgs)))
		for _, msg := range msgs {
			w.string(msg.promoID)
			w.string(msg.day)
			w.string(msg.title)
			w.string(msg.body)
		}
		w.uvarint(uint64(len(odd)))
		for _, o := range odd {
			w.string(o.id)
			w.time(o.sentAt)
		}
		n := 0
		for _, p := range pages {
			n += len(p)
		}
		w.uvarint(uint64(n))
		var sentAt int64
		for _, p := range pages {
			for i := range p {
				nt := &p[i]
				w.uvarint(uint64(nt.user))
				w.uvarint(uint64(nt.msg))
				if nt.isOdd {
					w.uvarint(1)
					w.uvarint(uint64(getIndex(&nt.id)))
					continue
				}
				w.uvarint(0)
				w.bytes(nt.id[:])
				w.varint(nt.sentAt - sentAt) // a fan-out's times are close
				sentAt = nt.sentAt
			}
		}
	}
}

func (m *Notifications) thaw(r *snapReader) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := r.count()
	if len(m.users) == 0 { // sized once: growing a map of millions is most of a load
		m.users = make(map[string]int32, min(users, 1<<24))
	}
	for range users {
		id := r.string()
		m.users[id] = int32(len(m.userIDs))
		m.userIDs = append(m.userIDs, id)
		m.last = append(m.last, -1)
	}
	for range r.count() {
		w := message{promoID: r.string(), day: r.string(), title: r.string(), body: r.string()}
		m.words[w] = int32(len(m.msgs))
		m.msgs = append(m.msgs, w)
	}
	for range r.count() {
		m.odd = append(m.odd, oddNotice{id: r.string(), sentAt: r.time()})
	}
	var sentAt int64
	for range r.count() {
		user, msg := r.uvarint(), r.uvarint()
		if r.err != nil || user >= uint64(len(m.userIDs)) || msg >= uint64(len(m.msgs)) {
			r.fail(fmt.Errorf("%w: notice of user %d, words %d", errCorrupt, user, msg))
			return
		}
		nt := notice{user: int32(user), msg: int32(msg), prev: m.last[user]}
		if r.uvarint() == 1 {
			i := r.uvarint()
			if i >= uint64(len(m.odd)) {
				r.fail(fmt.Errorf("%w: odd notice %d", errCorrupt, i))
				return
			}
			nt.isOdd = true
			putIndex(&nt.id, int(i))
		} else {
			r.full(nt.id[:])
			sentAt += r.varint()
			nt.sentAt = sentAt
		}
		n := m.len()
		if n>>noticePageBits == len(m.pages) {
			m.pages = append(m.pages, make([]notice, 0, noticePageSize))
		}
		p := &m.pages[n>>noticePageBits]
		*p = append(*p, nt)
		m.last[user] = int32(n)
		m.lastMsg = nt.msg
		m.sent[m.msgs[msg].promoID]++
	}
}

// The users: a user changes (moves, buys), so the copy is of every user,
// with the purchases each had then.
func (m *Users) freeze() func(*snapWriter) {
	m.mu.RLock()
	users := make([]user, 0, len(m.index))
	purchases := map[int][]time.Time{}
	for _, p := range m.pages {
		for i := range p {
			if p[i].purchases != nil {
				purchases[len(users)] = *p[i].purchases // only appended to: the elements stay
			}
			users = append(users, p[i])
		}
	}
	m.mu.RUnlock()
	return func(w *snapWriter) {
		w.uvarint(uint64(len(users)))
		for i := range users {
			u := &users[i]
			w.string(u.id)
			w.varint(u.registeredSec)
			w.varint(int64(u.registeredNsec))
			w.uvarint(uint64(u.cell)) // 0: not located; else its cell, so a load computes none
			if u.cell != 0 {
				w.float(u.loc.Lat)
				w.float(u.loc.Lng)
			}
			bought := purchases[i]
			w.uvarint(uint64(len(bought)))
			for _, t := range bought {
				w.time(t)
			}
		}
	}
}

func (m *Users) thaw(r *snapReader) {
	m.mu.Lock()
	defer m.mu.Unlock()
	users := r.count()
	if len(m.index) == 0 {
		m.index = make(map[string]uint32, min(users, 1<<24))
	}
	for range users {
		id := r.string()
		if r.err != nil {
			return
		}
		u := m.find(id)
		if u == nil {
			u = m.add(id)
		}
		u.registeredSec, u.registeredNsec = r.varint(), int32(r.varint())
		if c := s2.CellID(r.uvarint()); c != 0 {
			if u.cell != 0 || !c.IsValid() || c.Level() != userLevel {
				r.fail(fmt.Errorf("%w: user %s in cell %v", errCorrupt, id, c))
				return
			}
			u.loc = domain.Location{Lat: r.float(), Lng: r.float()}
			u.cell, u.slot = c, uint32(len(m.cells[c]))
			m.cells[c] = append(m.cells[c], m.index[id])
		}
		for range r.count() {
			u.bought(r.time())
		}
	}
}

// The promos: few, so the snapshot is the events they were folded from,
// folded again on a restore.
func (m *Promos) freeze() func(*snapWriter) {
	m.mu.RLock()
	events := m.events
	m.mu.RUnlock()
	return func(w *snapWriter) {
		w.uvarint(uint64(len(events)))
		for _, e := range events {
			ne, err := codec.EncodeWithID("", e, time.Time{})
			if err != nil {
				w.err = err
				return
			}
			w.string(ne.Type)
			w.string(string(ne.Data))
		}
	}
}

func (m *Promos) thaw(r *snapReader) {
	for range r.count() {
		typ, data := r.string(), r.string()
		if r.err != nil {
			return
		}
		e, ok, err := codec.Decode(eventstore.Event{Type: typ, Data: []byte(data)})
		if err != nil || !ok {
			r.fail(fmt.Errorf("%w: event %s: %v", errCorrupt, typ, err))
			return
		}
		m.Apply(e)
	}
}
