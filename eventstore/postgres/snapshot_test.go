package postgres_test

import (
	"bytes"
	"crypto/rand"
	"errors"
	"io"
	"testing"

	"github.com/flashpromo/flashpromo/eventstore"
)

// A snapshot comes back as saved: bytes across several parts, format and
// cursor; saving again replaces it whole; an unknown name is not found.
func TestSnapshotsSaveAndLoad(t *testing.T) {
	s := newStore(t)
	ctx := t.Context()
	load := func(name string) (int, eventstore.Cursor, []byte, bool) {
		t.Helper()
		var format int
		var at eventstore.Cursor
		var b []byte
		found, err := s.LoadSnapshot(ctx, name, func(f int, c eventstore.Cursor, r io.Reader) error {
			format, at = f, c
			var err error
			b, err = io.ReadAll(r)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return format, at, b, found
	}
	if _, _, _, found := load("users"); found {
		t.Fatal("a snapshot that was never saved is found")
	}
	big := make([]byte, 9<<20+123) // three parts
	rand.Read(big)
	at := eventstore.Cursor{Tx: 1<<40 + 5, Position: 77}
	save := func(b []byte, format int, at eventstore.Cursor) {
		t.Helper()
		err := s.SaveSnapshot(ctx, "users", format, at, func(w io.Writer) error {
			for len(b) > 0 { // in odd pieces, as an encoder writes
				n := min(len(b), 100_003)
				if _, err := w.Write(b[:n]); err != nil {
					return err
				}
				b = b[n:]
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	save(big, 3, at)
	if format, got, b, found := load("users"); !found || format != 3 || got != at || !bytes.Equal(b, big) {
		t.Fatalf("loaded format %d at %v, %d bytes (equal %v), found %v", format, got, len(b), bytes.Equal(b, big), found)
	}
	small, at2 := []byte("a smaller one"), eventstore.Cursor{Tx: 1<<40 + 9, Position: 80}
	save(small, 4, at2)
	if format, got, b, _ := load("users"); format != 4 || got != at2 || !bytes.Equal(b, small) {
		t.Fatalf("after a second save: format %d at %v, %q", format, got, b)
	}
	// A save that fails leaves the last one as it was.
	failed := errors.New("encoder failed")
	err := s.SaveSnapshot(ctx, "users", 5, at, func(w io.Writer) error {
		w.Write(big)
		return failed
	})
	if !errors.Is(err, failed) {
		t.Fatalf("a failed save: %v", err)
	}
	if format, got, b, _ := load("users"); format != 4 || got != at2 || !bytes.Equal(b, small) {
		t.Fatalf("after a failed save: format %d at %v, %d bytes", format, got, len(b))
	}
}
