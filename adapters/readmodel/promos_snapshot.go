package readmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flashpromo/flashpromo/domain"
)

// The promos: each record as it is, its reservations with it. A record's
// holds are only appended to, so the copy under the lock takes their
// length, and their statuses, a byte each.
func (m *Promos) freeze() func(*snapWriter) {
	m.mu.RLock()
	ps := make([]*promo, 0, len(m.promos))
	for _, p := range m.promos {
		ps = append(ps, &promo{id: p.id, spec: p.spec, series: p.series, zone: p.zone, life: p.life,
			version: p.version, holds: p.holds, statuses: slices.Clone(p.statuses)})
	}
	m.mu.RUnlock()
	return func(w *snapWriter) {
		slices.SortFunc(ps, func(a, b *promo) int { return strings.Compare(a.id, b.id) })
		w.uvarint(uint64(len(ps)))
		for _, p := range ps {
			p.write(w)
		}
	}
}

func (p *promo) write(w *snapWriter) {
	for _, s := range p.texts() {
		w.string(*s)
	}
	s := &p.spec
	w.float(s.Store.Location.Lat)
	w.float(s.Store.Location.Lng)
	writeMoney(w, s.RegularPrice)
	writeMoney(w, s.PromoPrice)
	w.uvarint(uint64(len(s.Segments)))
	for _, seg := range s.Segments {
		w.string(string(seg))
	}
	w.float(s.RadiusM)
	w.time(s.StartsAt)
	w.time(s.EndsAt)
	w.varint(int64(s.Stock))
	w.uvarint(lifeBits(p.life))
	w.varint(p.version)
	w.uvarint(uint64(len(p.holds)))
	for i, h := range p.holds {
		w.string(h.id)
		w.string(h.user)
		writeMoney(w, h.price)
		w.varint(h.expiresAt)
		w.uvarint(uint64(p.statuses[i]))
	}
}

// texts are the strings of a record, in the order of the snapshot.
func (p *promo) texts() []*string {
	s := &p.spec
	return []*string{&p.id, &s.Store.ID, &s.Store.Name, &s.Product.ID, &s.Product.Name, &p.series, &p.zone}
}

func writeMoney(w *snapWriter, m domain.Money) {
	w.varint(m.Amount)
	w.string(m.Currency)
}

func readMoney(r *snapReader) domain.Money {
	return domain.Money{Amount: r.varint(), Currency: r.string()}
}

func lifeBits(l domain.PromoLife) uint64 {
	var b uint64
	for i, set := range []bool{l.Activated, l.Ended, l.Cancelled} {
		if set {
			b |= 1 << i
		}
	}
	return b
}

// thaw makes each record again as its events made it: created, filed in
// the geo index unless it is over, then each hold placed and closed, so the
// units and the indexes are built by the code that builds them live.
func (m *Promos) thaw(r *snapReader) {
	for range r.count() {
		var f promo
		for _, s := range f.texts() {
			*s = r.string()
		}
		s := &f.spec
		s.Store.Location = domain.Location{Lat: r.float(), Lng: r.float()}
		s.RegularPrice, s.PromoPrice = readMoney(r), readMoney(r)
		if n := r.count(); n > 0 {
			s.Segments = make([]domain.Segment, 0, min(n, 8))
			for range n {
				s.Segments = append(s.Segments, domain.Segment(r.string()))
			}
		}
		s.RadiusM = r.float()
		s.StartsAt, s.EndsAt = r.time(), r.time()
		s.Stock = int(r.varint())
		life, version := r.uvarint(), r.varint()
		if r.err == nil && life >= 1<<3 {
			r.fail(fmt.Errorf("%w: promo %s: life %b", errCorrupt, f.id, life))
		}
		if r.err != nil {
			return
		}
		p := m.newPromo(f.id, f.spec, f.series, f.zone)
		p.life = domain.PromoLife{Activated: life&1 != 0, Ended: life&2 != 0, Cancelled: life&4 != 0}
		p.version = version
		m.mu.Lock()
		m.promos[p.id] = p
		if !p.life.Ended && !p.life.Cancelled {
			m.place(p)
		}
		m.thawHolds(r, p)
		if m.retires(p) {
			m.drop(p)
		}
		m.mu.Unlock()
	}
}

// thawHolds reads the holds of p; the caller holds the lock.
func (m *Promos) thawHolds(r *snapReader, p *promo) {
	for range r.count() {
		id, user, price := r.string(), r.string(), readMoney(r)
		at, status := r.varint(), r.uvarint()
		if r.err == nil && status >= uint64(len(holdStatuses)) {
			r.fail(fmt.Errorf("%w: reservation %s: status %d", errCorrupt, id, status))
		}
		if r.err != nil {
			return
		}
		m.hold(p, domain.ReservationPlaced{ReservationID: id, PromoID: p.id, UserID: user, Price: price, ExpiresAt: nanoTime(at)})
		if s := holdStatus(status); s != held {
			m.close(p, id, s)
		}
	}
}
