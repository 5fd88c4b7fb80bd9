package readmodel

import (
	"fmt"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/eventstore"
)

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
