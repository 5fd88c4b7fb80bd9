package readmodel

import (
	"strings"
	"sync"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// Notifications keeps each user's notifications and each promo's count, in
// a layout the garbage collector need not scan: users are numbers of the
// idTable the model shares with the users model; the words a fan-out sends
// every user (promo, day, title, body) are kept once and numbered, and so
// are the sends, each words at a time (a fan-out sends them all at one
// time); each notification is a small struct of numbers in pages of a flat
// slice, linked to the user's previous one by its index. A notification
// takes 28 bytes plus its share of the page.
//
// Every page only grows: a notification, once recorded, never changes, so a
// snapshot copies the slice headers under the lock and reads the rest
// without it.
type Notifications struct {
	ids       *idTable
	mu        sync.RWMutex
	last      []int32 // by user number: their newest notice, or -1
	words     map[message]int32
	msgs      []message
	sends     []send
	sendIndex map[send]int32
	lastSend  int32            // the send of the newest notice
	sent      map[string]tally // by promo id
	pages     [][]notice
	odd       []oddNotice // notices whose id is not a uuid or whose time is not UTC

	keepFrom int64      // Unix nanoseconds: notices sent before are only counted (retention)
	lastUser int32      // the user of the last notification folded, tried first for the next
	pruning  sync.Mutex // one prune at a time
}

// message is what the notifications of a promo on a day share.
type message struct {
	promoID, day, title, body string
}

// send is what the notifications of one send share: their words, and the
// time, in Unix nanoseconds.
type send struct {
	msg    int32
	sentAt int64
}

// notice is one notification of a user. Its id is a uuid in 16 bytes, as
// the service makes them (the fan-out's ids are UUIDv7, codec.NewID), and
// send its words and time; any other id, or a time not in UTC, is kept
// whole in odd, and send is ^ its index there.
type notice struct {
	id   [16]byte
	user int32
	send int32
	prev int32 // the user's notice before this one, or -1
}

func (n *notice) isOdd() bool { return n.send < 0 }

type oddNotice struct {
	msg    int32
	id     string
	sentAt time.Time
}

// Notices are allocated a page at a time, so growing never copies them all.
const (
	noticePageBits = 16
	noticePageSize = 1 << noticePageBits
)

// NewNotifications makes an empty model with an idTable of its own.
func NewNotifications() *Notifications { return newNotifications(newIDTable()) }

// newNotifications makes an empty model whose user ids are numbered in ids.
func newNotifications(ids *idTable) *Notifications {
	return &Notifications{ids: ids, words: map[message]int32{}, sendIndex: map[send]int32{}, sent: map[string]tally{}, lastUser: -1}
}

// tally is what the model knows of a promo's notifications: how many, and
// when the newest was sent (Unix nanoseconds), which tells an operator when
// its fan-out ended.
type tally struct {
	n    int
	last int64
}

// countSent adds a notice sent at sentAt to the promo's tally; the caller holds the lock.
func (m *Notifications) countSent(promoID string, sentAt int64) {
	t := m.sent[promoID]
	t.n++
	t.last = max(t.last, sentAt)
	m.sent[promoID] = t
}

func (m *Notifications) Apply(e domain.Event) {
	n, ok := e.(domain.NotificationSent)
	if !ok {
		return
	}
	user := m.ids.internAfter(n.UserID, m.lastUser)
	m.lastUser = user
	m.mu.Lock()
	defer m.mu.Unlock()
	m.add(user, message{promoID: n.PromoID, day: n.Day, title: n.Title, body: n.Body}, n.NotificationID, n.SentAt)
}

// add records a notification; the caller holds the lock. One sent before
// the retention's horizon is only counted.
func (m *Notifications) add(user int32, w message, id string, sentAt time.Time) {
	if m.keepFrom > 0 && sentAt.UnixNano() < m.keepFrom {
		m.countOld(w.promoID, sentAt.UnixNano())
		return
	}
	msg := m.intern(w)
	nt := notice{user: user}
	if uuid, ok := parseUUID(id); ok && sentAt.Location() == time.UTC {
		nt.id, nt.send = uuid, m.internSend(send{msg, sentAt.UnixNano()})
	} else {
		nt.send = ^int32(len(m.odd))
		m.odd = append(m.odd, oddNotice{msg: msg, id: strings.Clone(id), sentAt: sentAt})
	}
	m.put(nt)
	m.countSent(m.msgs[msg].promoID, sentAt.UnixNano())
}

// intern numbers the words, kept once; the caller holds the lock.
func (m *Notifications) intern(w message) int32 {
	// A fan-out's notifications come one after another with the same
	// words: comparing with the last is cheaper than hashing four strings.
	if len(m.sends) > 0 {
		if last := m.sends[m.lastSend].msg; m.msgs[last] == w {
			return last
		}
	}
	msg, ok := m.words[w]
	if !ok {
		w = message{strings.Clone(w.promoID), strings.Clone(w.day), strings.Clone(w.title), strings.Clone(w.body)}
		msg = int32(len(m.msgs))
		m.words[w] = msg
		m.msgs = append(m.msgs, w)
	}
	return msg
}

// internSend numbers a send; the caller holds the lock.
func (m *Notifications) internSend(s send) int32 {
	if len(m.sends) > 0 && m.sends[m.lastSend] == s {
		return m.lastSend
	}
	n, ok := m.sendIndex[s]
	if !ok {
		n = int32(len(m.sends))
		m.sendIndex[s] = n
		m.sends = append(m.sends, s)
	}
	m.lastSend = n
	return n
}

// put appends a notice as its user's newest; the caller holds the lock.
func (m *Notifications) put(nt notice) {
	m.last = grown(m.last, int(nt.user)+1)
	nt.prev = m.last[nt.user]
	n := m.len()
	if n>>noticePageBits == len(m.pages) {
		m.pages = append(m.pages, make([]notice, 0, noticePageSize))
	}
	p := &m.pages[n>>noticePageBits]
	*p = append(*p, nt)
	m.last[nt.user] = int32(n)
}

// len is the number of notices; the caller holds the lock.
func (m *Notifications) len() int {
	if len(m.pages) == 0 {
		return 0
	}
	return (len(m.pages)-1)<<noticePageBits + len(m.pages[len(m.pages)-1])
}

func (m *Notifications) at(i int32) *notice {
	return &m.pages[i>>noticePageBits][i&(noticePageSize-1)]
}

// msgOf is the number of a notice's words; the caller holds the lock.
func (m *Notifications) msgOf(n *notice) int32 {
	if n.isOdd() {
		return m.odd[^n.send].msg
	}
	return m.sends[n.send].msg
}

// sentAtOf is when a notice was sent, in Unix nanoseconds; the caller
// holds the lock.
func (m *Notifications) sentAtOf(n *notice) int64 {
	if n.isOdd() {
		return m.odd[^n.send].sentAt.UnixNano()
	}
	return m.sends[n.send].sentAt
}

// sentNotification rebuilds the event of a notice.
func (m *Notifications) sentNotification(n *notice, userID string) domain.NotificationSent {
	w := &m.msgs[m.msgOf(n)]
	s := domain.NotificationSent{UserID: userID, PromoID: w.promoID, Day: w.day, Title: w.title, Body: w.body}
	if n.isOdd() {
		o := &m.odd[^n.send]
		s.NotificationID, s.SentAt = o.id, o.sentAt
	} else {
		s.NotificationID, s.SentAt = formatUUID(&n.id), time.Unix(0, m.sends[n.send].sentAt).UTC()
	}
	return s
}

// newest is the newest notice of the user numbered user, or -1; the caller
// holds the lock.
func (m *Notifications) newest(user int32) int32 {
	if user < 0 || int(user) >= len(m.last) {
		return -1
	}
	return m.last[user]
}

func (m *Notifications) of(userID string) []domain.NotificationSent {
	user, ok := m.ids.number(userID)
	m.mu.RLock()
	defer m.mu.RUnlock()
	if !ok {
		return []domain.NotificationSent{}
	}
	k := 0
	for i := m.newest(user); i >= 0; i = m.at(i).prev {
		k++
	}
	ns := make([]domain.NotificationSent, k)
	for i := m.newest(user); i >= 0; i = m.at(i).prev { // newest first, filled from the end
		k--
		ns[k] = m.sentNotification(m.at(i), userID)
	}
	return ns
}

func (m *Notifications) count(promoID string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.sent[promoID].n
}

// unnotified keeps the users who had no notification on day. A fan-out's
// users come in the order of their numbers.
func (m *Notifications) unnotified(users []string, day string) []string {
	kept, prev := users[:0:0], int32(-1)
	for _, u := range users {
		user, ok := m.ids.numberAfter(u, prev)
		if ok {
			prev = user
		}
		if !ok || !m.notifiedOn(user, day) {
			kept = append(kept, u)
		}
	}
	return kept
}

// notifiedOn tells whether the user numbered user had a notification on
// day: the last one is the newest, since the log is folded in order.
func (m *Notifications) notifiedOn(user int32, day string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	last := m.newest(user)
	return last >= 0 && m.msgs[m.msgOf(m.at(last))].day == day
}

// parseUUID reads a uuid in its canonical form (lower-case hex, 8-4-4-4-12),
// the one formatUUID writes back: any other spelling is not a uuid here, so
// an id always reads back as it was written.
func parseUUID(s string) (u [16]byte, ok bool) {
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, false
	}
	j := 0
	for i := 0; i < 36; {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			i++
			continue
		}
		hi, ok1 := unhex(s[i])
		lo, ok2 := unhex(s[i+1])
		if !ok1 || !ok2 {
			return u, false
		}
		u[j] = hi<<4 | lo
		j++
		i += 2
	}
	return u, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func formatUUID(u *[16]byte) string {
	const digits = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range u {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = digits[c>>4], digits[c&0xf]
		j += 2
	}
	return string(b[:])
}
