package readmodel

import "fmt"

// The notifications: words, sends and notices only grow, so the copy is
// their slice headers. The users are written by id, once each, in the order
// the notices first name them, and numbered so in the notices.
func (m *Notifications) freeze() func(*snapWriter) {
	m.mu.RLock()
	msgs, sends, odd := m.msgs, m.sends, m.odd
	pages := append([][]notice(nil), m.pages...)
	m.mu.RUnlock()
	return func(w *snapWriter) {
		local := grown(nil, m.ids.len()) // user number -> place in the list written, or -1
		var users []int32
		n := 0
		for _, p := range pages {
			for i := range p {
				if u := p[i].user; local[u] < 0 {
					local[u] = int32(len(users))
					users = append(users, u)
				}
			}
			n += len(p)
		}
		w.uvarint(uint64(len(users)))
		for _, id := range m.ids.names(users) {
			w.string(id)
		}
		w.uvarint(uint64(len(msgs)))
		for _, msg := range msgs {
			w.string(msg.promoID)
			w.string(msg.day)
			w.string(msg.title)
			w.string(msg.body)
		}
		w.uvarint(uint64(len(sends)))
		var sentAt int64
		for _, s := range sends {
			w.uvarint(uint64(s.msg))
			w.varint(s.sentAt - sentAt) // the sends of a day are close
			sentAt = s.sentAt
		}
		w.uvarint(uint64(len(odd)))
		for _, o := range odd {
			w.uvarint(uint64(o.msg))
			w.string(o.id)
			w.time(o.sentAt)
		}
		w.uvarint(uint64(n))
		for _, p := range pages {
			for i := range p {
				nt := &p[i]
				w.uvarint(uint64(local[nt.user]))
				w.varint(int64(nt.send)) // < 0: odd
				if !nt.isOdd() {
					w.bytes(nt.id[:])
				}
			}
		}
	}
}

func (m *Notifications) thaw(r *snapReader) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var users []int32 // by place in the list written: the user's number
	for range r.count() {
		users = append(users, m.ids.intern(r.string()))
	}
	for range r.count() {
		w := message{promoID: r.string(), day: r.string(), title: r.string(), body: r.string()}
		m.words[w] = int32(len(m.msgs))
		m.msgs = append(m.msgs, w)
	}
	var sentAt int64
	for range r.count() {
		msg := r.uvarint()
		sentAt += r.varint()
		if r.err != nil || msg >= uint64(len(m.msgs)) {
			r.fail(fmt.Errorf("%w: a send of words %d", errCorrupt, msg))
			return
		}
		s := send{int32(msg), sentAt}
		m.sendIndex[s] = int32(len(m.sends))
		m.sends = append(m.sends, s)
	}
	for range r.count() {
		msg := r.uvarint()
		if r.err != nil || msg >= uint64(len(m.msgs)) {
			r.fail(fmt.Errorf("%w: an odd notice of words %d", errCorrupt, msg))
			return
		}
		m.odd = append(m.odd, oddNotice{msg: int32(msg), id: r.string(), sentAt: r.time()})
	}
	for range r.count() {
		user, s := r.uvarint(), r.varint()
		if r.err != nil || user >= uint64(len(users)) || s >= int64(len(m.sends)) || ^s >= int64(len(m.odd)) {
			r.fail(fmt.Errorf("%w: notice of user %d, send %d", errCorrupt, user, s))
			return
		}
		nt := notice{user: users[user], send: int32(s)}
		if !nt.isOdd() {
			r.full(nt.id[:])
		}
		at := m.sentAtOf(&nt)
		m.countSent(m.msgs[m.msgOf(&nt)].promoID, at)
		if m.keepFrom > 0 && at < m.keepFrom { // a snapshot older than the retention's horizon
			continue
		}
		m.put(nt)
	}
}
