package ports

import (
	"strconv"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// userLimiter allows each user a number of reservation attempts a second,
// so one client cannot monopolise a flash crowd. Idle users are forgotten.
type userLimiter struct {
	perSecond rate.Limit
	burst     int

	mu       sync.Mutex
	users    map[string]*rate.Limiter
	lastSwep time.Time
}

func newUserLimiter(perSecond float64) *userLimiter {
	return &userLimiter{perSecond: rate.Limit(perSecond), burst: max(1, int(perSecond)), users: map[string]*rate.Limiter{}}
}

// allow takes one attempt of user's; when refused it says, in whole
// seconds for Retry-After, when to come back.
func (l *userLimiter) allow(user string) (string, bool) {
	now := time.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.sweep(now)
	lim, ok := l.users[user]
	if !ok {
		lim = rate.NewLimiter(l.perSecond, l.burst)
		l.users[user] = lim
	}
	r := lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return strconv.Itoa(int(d.Seconds()) + 1), false
	}
	return "", true
}

// sweep drops the limiters of users who are back to a full bucket.
func (l *userLimiter) sweep(now time.Time) {
	if now.Sub(l.lastSwep) < time.Minute {
		return
	}
	l.lastSwep = now
	for u, lim := range l.users {
		if lim.TokensAt(now) >= float64(l.burst) {
			delete(l.users, u)
		}
	}
}
