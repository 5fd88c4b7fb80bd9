package readmodel

import (
	"fmt"
	"slices"
	"strings"

	"github.com/flashpromo/flashpromo/domain"
)

// The promos: each record as it is, its reservations with it. A record's
// holds are only appended to, so the copy under the lock takes their
// length and the statuses, a byte each.
type frozenPromo struct {
	created  domain.PromoCreated
	life     domain.PromoLife
	version  int64
	holds    []hold
	statuses []holdStatus
}

func (m *Promos) freeze() func(*snapWriter) {
	m.mu.RLock()
	ps := make([]frozenPromo, 0, len(m.promos))
	for _, p := range m.promos {
		ps = append(ps, frozenPromo{p.created(), p.life, p.version, p.holds, slices.Clone(p.statuses)})
	}
	m.mu.RUnlock()
	return func(w *snapWriter) {
		slices.SortFunc(ps, func(a, b frozenPromo) int { return strings.Compare(a.created.PromoID, b.created.PromoID) })
		w.uvarint(uint64(len(ps)))
		for i := range ps {
			ps[i].write(w)
		}
	}
}

func (p *frozenPromo) write(w *snapWriter) {
	c := &p.created
	for _, s := range texts(c) {
		w.string(*s)
	}
	w.float(c.Store.Location.Lat)
	w.float(c.Store.Location.Lng)
	writeMoney(w, c.RegularPrice)
	writeMoney(w, c.PromoPrice)
	w.uvarint(uint64(len(c.Segments)))
	for _, s := range c.Segments {
		w.string(string(s))
	}
	w.float(c.RadiusM)
	w.time(c.StartsAt)
	w.time(c.EndsAt)
	w.varint(int64(c.Stock))
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

// texts are the strings of a creation, in the order of the snapshot.
func texts(c *domain.PromoCreated) []*string {
	return []*string{&c.PromoID, &c.Store.ID, &c.Store.Name, &c.Product.ID, &c.Product.Name, &c.SeriesID, &c.TimeZone}
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

// thaw folds each record again as the events it came from would: the
// creation, then each hold placed and closed, so the units and the indexes
// are built by the code that builds them live.
func (m *Promos) thaw(r *snapReader) {
	for range r.count() {
		var c domain.PromoCreated
		for _, s := range texts(&c) {
			*s = r.string()
		}
		c.Store.Location = domain.Location{Lat: r.float(), Lng: r.float()}
		c.RegularPrice, c.PromoPrice = readMoney(r), readMoney(r)
		if n := r.count(); n > 0 {
			c.Segments = make([]domain.Segment, 0, min(n, 8))
			for range n {
				c.Segments = append(c.Segments, domain.Segment(r.string()))
			}
		}
		c.RadiusM = r.float()
		c.StartsAt, c.EndsAt = r.time(), r.time()
		c.Stock = int(r.varint())
		life := r.uvarint()
		version := r.varint()
		if r.err != nil {
			return
		}
		if life >= 1<<3 {
			r.fail(fmt.Errorf("%w: promo %s: life %b", errCorrupt, c.PromoID, life))
			return
		}
		m.Apply(c)
		m.mu.Lock()
		p := m.promos[c.PromoID]
		p.life = domain.PromoLife{Activated: life&1 != 0, Ended: life&2 != 0, Cancelled: life&4 != 0}
		p.version = version
		if p.life.Ended || p.life.Cancelled {
			m.unplace(p.id)
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
		if r.err != nil {
			return
		}
		if status >= uint64(len(holdStatuses)) {
			r.fail(fmt.Errorf("%w: reservation %s: status %d", errCorrupt, id, status))
			return
		}
		m.hold(p, domain.ReservationPlaced{ReservationID: id, PromoID: p.id, UserID: user, Price: price, ExpiresAt: nanoTime(at)})
		if s := holdStatus(status); s != held {
			m.close(p, id, s)
		}
	}
}
