package readmodel

import (
	"sync"

	"github.com/flashpromo/flashpromo/domain"
)

// Notifications keeps each user's notifications and each promo's count.
type Notifications struct {
	mu     sync.RWMutex
	byUser map[string][]domain.NotificationSent
	sent   map[string]int // by promo id
}

func NewNotifications() *Notifications {
	return &Notifications{byUser: map[string][]domain.NotificationSent{}, sent: map[string]int{}}
}

func (m *Notifications) Apply(e domain.Event) {
	n, ok := e.(domain.NotificationSent)
	if !ok {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.byUser[n.UserID] = append(m.byUser[n.UserID], n)
	m.sent[n.PromoID]++
}

func (m *Notifications) of(userID string) []domain.NotificationSent {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return append([]domain.NotificationSent{}, m.byUser[userID]...)
}

func (m *Notifications) count(promoID string) int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.sent[promoID]
}
