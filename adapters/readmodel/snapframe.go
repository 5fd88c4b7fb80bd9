package readmodel

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"time"
)

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
