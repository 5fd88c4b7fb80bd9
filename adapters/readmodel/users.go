package readmodel

import (
	"sync"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
)

// Users keeps every user, rehydrated; segments are evaluated when read.
type Users struct {
	rules domain.SegmentRules
	mu    sync.RWMutex
	users map[string]*domain.User
}

func NewUsers(rules domain.SegmentRules) *Users {
	return &Users{rules: rules, users: map[string]*domain.User{}}
}

func (m *Users) Apply(e domain.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch e := e.(type) {
	case domain.UserRegistered:
		if u, ok := m.users[e.UserID]; ok {
			u.Replay(e)
			return
		}
		m.users[e.UserID] = domain.LoadUser([]domain.Event{e})
	case domain.UserLocationUpdated:
		m.replay(e.UserID, e)
	case domain.UserPurchaseRecorded:
		m.replay(e.UserID, e)
	}
}

func (m *Users) replay(id string, e domain.Event) {
	if u, ok := m.users[id]; ok {
		u.Replay(e)
	}
}

func (m *Users) user(id string, now time.Time) (app.UserView, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	u, ok := m.users[id]
	if !ok {
		return app.UserView{}, false
	}
	return app.NewUserView(u, now, m.rules), true
}

// each calls f with every user's view at now, under the read lock.
func (m *Users) each(now time.Time, f func(app.UserView)) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	for _, u := range m.users {
		f(app.NewUserView(u, now, m.rules))
	}
}

func (m *Users) has(id string) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.users[id]
	return ok
}
