package postgres

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/jackc/pgx/v5"

	"github.com/flashpromo/flashpromo/eventstore"
)

// snapshotPart is the size of one row of a snapshot's bytes.
const snapshotPart = 4 << 20

// SaveSnapshot replaces the snapshot called name by the bytes write writes,
// with its format and cursor, in one transaction: a reader sees the old
// snapshot or the new one, whole. The bytes go in parts as they are written.
func (s *Store) SaveSnapshot(ctx context.Context, name string, format int, at eventstore.Cursor, write func(io.Writer) error) error {
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		const upsert = `INSERT INTO snapshots (name, format, transaction_id, position, size)
			VALUES ($1, $2, $3::text::xid8, $4, 0)
			ON CONFLICT (name) DO UPDATE SET format = excluded.format, transaction_id = excluded.transaction_id,
				position = excluded.position, size = 0, saved_at = now()`
		if _, err := tx.Exec(ctx, upsert, name, format, formatTx(at.Tx), at.Position); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM snapshot_parts WHERE name = $1`, name); err != nil {
			return err
		}
		w := &partWriter{ctx: ctx, tx: tx, name: name, buf: make([]byte, 0, snapshotPart)}
		if err := write(w); err != nil {
			return err
		}
		if err := w.flush(); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE snapshots SET size = $2 WHERE name = $1`, name, w.size)
		return err
	})
	if err != nil {
		return fmt.Errorf("eventstore/postgres: save snapshot %q: %w", name, err)
	}
	return nil
}

// partWriter inserts what is written to it a part at a time.
type partWriter struct {
	ctx  context.Context
	tx   pgx.Tx
	name string
	buf  []byte
	part int
	size int64
}

func (w *partWriter) Write(p []byte) (int, error) {
	n := len(p)
	for len(p) > 0 {
		k := min(len(p), cap(w.buf)-len(w.buf))
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		if len(w.buf) == cap(w.buf) {
			if err := w.flush(); err != nil {
				return n - len(p), err
			}
		}
	}
	return n, nil
}

func (w *partWriter) flush() error {
	if len(w.buf) == 0 {
		return nil
	}
	if _, err := w.tx.Exec(w.ctx, `INSERT INTO snapshot_parts (name, part, data) VALUES ($1, $2, $3)`, w.name, w.part, w.buf); err != nil {
		return err
	}
	w.part++
	w.size += int64(len(w.buf))
	w.buf = w.buf[:0]
	return nil
}

// LoadSnapshot calls read with the snapshot called name, its bytes streamed
// part by part from one consistent read; false, and read not called, when
// there is none.
func (s *Store) LoadSnapshot(ctx context.Context, name string, read func(format int, at eventstore.Cursor, r io.Reader) error) (bool, error) {
	found := false
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		var format int
		var txid string
		var at eventstore.Cursor
		err := tx.QueryRow(ctx, `SELECT format, transaction_id::text, position FROM snapshots WHERE name = $1`, name).
			Scan(&format, &txid, &at.Position)
		if errors.Is(err, pgx.ErrNoRows) {
			return nil
		}
		if err != nil {
			return err
		}
		if at.Tx, err = parseTx(txid); err != nil {
			return err
		}
		found = true
		r := &partReader{query: func() (pgx.Rows, error) {
			return tx.Query(ctx, `SELECT data FROM snapshot_parts WHERE name = $1 ORDER BY part`, name)
		}}
		defer r.close()
		if err := read(format, at, r); err != nil {
			return err
		}
		return r.close()
	})
	if err != nil {
		return found, fmt.Errorf("eventstore/postgres: load snapshot %q: %w", name, err)
	}
	return found, nil
}

// partReader reads the parts of a snapshot as one stream. The parts are
// queried at the first Read, so a reader that refuses the snapshot by its
// format or cursor costs no transfer of its bytes.
type partReader struct {
	query func() (pgx.Rows, error)
	rows  pgx.Rows
	part  []byte
}

func (r *partReader) close() error {
	if r.rows == nil {
		return nil
	}
	r.rows.Close()
	return r.rows.Err()
}

func (r *partReader) Read(p []byte) (int, error) {
	if r.rows == nil {
		rows, err := r.query()
		if err != nil {
			return 0, err
		}
		r.rows = rows
	}
	for len(r.part) == 0 {
		if !r.rows.Next() {
			if err := r.rows.Err(); err != nil {
				return 0, err
			}
			return 0, io.EOF
		}
		if err := r.rows.Scan(&r.part); err != nil {
			return 0, err
		}
	}
	n := copy(p, r.part)
	r.part = r.part[n:]
	return n, nil
}
