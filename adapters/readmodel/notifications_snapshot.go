package readmodel

import "fmt"

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
		nt := notice{user: int32(user), msg: int32(msg)}
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
		at := m.sentAtOf(&nt)
		if m.keepFrom > 0 && at < m.keepFrom { // a snapshot older than the retention's horizon
			m.countSent(m.msgs[msg].promoID, at)
			continue
		}
		m.put(nt)
		m.countSent(m.msgs[msg].promoID, at)
	}
}
