package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// userDesk decides the commands on users: registration, moves and
// purchases, one at a time or in batches.
type userDesk struct {
	cfg   Config
	clock Clock
	repo  userStore
	read  userReads
	locks *locks
}

// userStore is where the user desk loads and saves.
type userStore interface {
	LoadUser(ctx context.Context, id string) (*domain.User, error) // ErrNotFound
	Save(ctx context.Context, aggregates ...Aggregate) (Written, error)
}

// userReads is what the user desk asks the read models: whether a user is
// known, which spares a batch a load per new user.
type userReads interface {
	Sync
	User(id string, now time.Time) (UserView, bool)
}

// RegisterUser registers a user or updates their registration and location.
type RegisterUser struct {
	UserID       string
	RegisteredAt time.Time
	Location     *domain.Location
}

func (a *userDesk) registerUser(ctx context.Context, c RegisterUser) (UserView, error) {
	return a.changeUser(ctx, c.UserID, func(u *domain.User, now time.Time) error {
		return u.Update(c.RegisteredAt, c.Location, now)
	}, func(now time.Time) (*domain.User, error) {
		return domain.RegisterUser(c.UserID, c.RegisteredAt, c.Location, now)
	})
}

// MoveUser records a user's new location.
type MoveUser struct {
	UserID   string
	Location domain.Location
}

func (a *userDesk) moveUser(ctx context.Context, c MoveUser) (UserView, error) {
	return a.changeUser(ctx, c.UserID, func(u *domain.User, _ time.Time) error {
		return u.MoveTo(c.Location)
	}, nil)
}

// RecordPurchase records a marketplace purchase; a repeated id counts once.
type RecordPurchase struct {
	UserID, PurchaseID string
	PurchasedAt        time.Time
}

func (a *userDesk) recordPurchase(ctx context.Context, c RecordPurchase) (UserView, error) {
	return a.changeUser(ctx, c.UserID, func(u *domain.User, now time.Time) error {
		return u.RecordPurchase(c.PurchaseID, c.PurchasedAt, now)
	}, nil)
}

// changeUser runs change on the user, or create when the user is new and
// create is given, and saves the result.
func (a *userDesk) changeUser(ctx context.Context, id string, change func(*domain.User, time.Time) error, create func(time.Time) (*domain.User, error)) (UserView, error) {
	defer a.locks.lock("user:" + id)()
	var u *domain.User
	err := retry(func() error {
		now := a.clock.Now()
		var err error
		u, err = a.repo.LoadUser(ctx, id)
		switch {
		case errors.Is(err, ErrNotFound) && create != nil:
			u, err = create(now)
		case err == nil:
			err = change(u, now)
		}
		if err != nil || len(u.Changes()) == 0 {
			return err
		}
		cur, err := a.repo.Save(ctx, u)
		if err == nil {
			waitRead(ctx, a.read, cur)
		}
		return err
	})
	if err != nil {
		return UserView{}, err
	}
	return NewUserView(u, a.clock.Now(), a.cfg.Rules), nil
}

// MaxBatch is the most users one RegisterUsers may carry.
const MaxBatch = 10000

// RegisterUsers registers or updates many users at once: all or none.
type RegisterUsers struct{ Users []RegisterUser }

func (a *userDesk) registerUsers(ctx context.Context, c RegisterUsers) (int, error) {
	if len(c.Users) == 0 || len(c.Users) > MaxBatch {
		return 0, Invalid("users", fmt.Sprintf("must hold 1 to %d users", MaxBatch))
	}
	trustRead := true // a retry reloads every user: another writer beat the read model
	err := retry(func() error {
		users, err := a.decideUsers(ctx, c.Users, a.clock.Now(), trustRead)
		trustRead = false
		if err != nil {
			return err
		}
		cur, err := a.repo.Save(ctx, users...)
		if err == nil {
			waitRead(ctx, a.read, cur)
		}
		return err
	})
	if err != nil {
		return 0, err
	}
	return len(c.Users), nil
}

// decideUsers applies every entry, in order, to its user; the first invalid
// entry refuses the whole batch, naming its index.
// A user the read model does not know is taken for new without a load: the
// store's "no stream yet" check catches one created meanwhile.
func (a *userDesk) decideUsers(ctx context.Context, entries []RegisterUser, now time.Time, trustRead bool) ([]Aggregate, error) {
	byID := map[string]*domain.User{}
	var changed []Aggregate
	for i, e := range entries {
		u, err := a.batchUser(ctx, byID, e, now, trustRead)
		if err != nil {
			var v *domain.ValidationError
			if errors.As(err, &v) {
				return nil, Invalid(fmt.Sprintf("users[%d].%s", i, v.Field), v.Reason)
			}
			return nil, err
		}
		if _, seen := byID[e.UserID]; !seen {
			byID[e.UserID] = u
			changed = append(changed, u)
		}
	}
	return changed, nil
}

func (a *userDesk) batchUser(ctx context.Context, byID map[string]*domain.User, e RegisterUser, now time.Time, trustRead bool) (*domain.User, error) {
	if u, ok := byID[e.UserID]; ok {
		return u, u.Update(e.RegisteredAt, e.Location, now)
	}
	if _, known := a.read.User(e.UserID, now); trustRead && !known {
		return domain.RegisterUser(e.UserID, e.RegisteredAt, e.Location, now)
	}
	u, err := a.repo.LoadUser(ctx, e.UserID)
	if errors.Is(err, ErrNotFound) {
		return domain.RegisterUser(e.UserID, e.RegisteredAt, e.Location, now)
	}
	if err != nil {
		return nil, err
	}
	return u, u.Update(e.RegisteredAt, e.Location, now)
}
