package readmodel

import (
	"strings"
	"sync"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// Notifications keeps each user's notifications and each promo's count. A
// fan-out sends every user the same words, so the words are kept once per
// promo and day and each notification keeps only its id and time: a
// million notifications take some 170 MiB instead of 470.
type Notifications struct {
	mu     sync.RWMutex
	byUser map[string][]notice
	sent   map[string]int // by promo id
	words  map[message]*message
}

// message is what the notifications of a promo on a day share.
type message struct {
	promoID, day, title, body string
}

// notice is one notification of a user.
type notice struct {
	id     string
	words  *message
	sentAt time.Time
}

func NewNotifications() *Notifications {
	return &Notifications{byUser: map[string][]notice{}, sent: map[string]int{}, words: map[message]*message{}}
}

func (m *Notifications) Apply(e domain.Event) {
	n, ok := e.(domain.NotificationSent)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	w := message{promoID: n.PromoID, day: n.Day, title: n.Title, body: n.Body}
	words, ok := m.words[w]
	if !ok {
		words = &w
		m.words[w] = words
	}
	user := n.UserID
	if _, known := m.byUser[user]; !known {
		user = strings.Clone(user)
	}
	m.byUser[user] = append(m.byUser[user], notice{id: strings.Clone(n.NotificationID), words: words, sentAt: n.SentAt})
	m.sent[words.promoID]++
}

func (m *Notifications) of(userID string) []domain.NotificationSent {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ns := make([]domain.NotificationSent, len(m.byUser[userID]))
	for i, n := range m.byUser[userID] {
		ns[i] = domain.NotificationSent{NotificationID: n.id, UserID: userID, PromoID: n.words.promoID,
			Day: n.words.day, Title: n.words.title, Body: n.words.body, SentAt: n.sentAt}
	}
	return ns
}

func (m *Notifications) count(promoID string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.sent[promoID]
}

// notifiedOn tells whether the user had a notification on day: the last one
// is the newest, since the log is folded in order.
func (m *Notifications) notifiedOn(userID, day string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	ns := m.byUser[userID]
	return len(ns) > 0 && ns[len(ns)-1].words.day == day
}
