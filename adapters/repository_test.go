package adapters_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/flashpromo/flashpromo/adapters"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
	"github.com/flashpromo/flashpromo/eventstore/memory"
)

type clockAt time.Time

func (c clockAt) Now() time.Time { return time.Time(c) }

// down fails every read, as a database that is away.
type down struct{ eventstore.Store }

var errRefused = errors.New("connection refused")

func (down) ReadStream(context.Context, string, int64) ([]eventstore.Event, error) {
	return nil, errRefused
}

// The repository sorts store failures into app's kinds and keeps the cause.
func TestRepositoryErrorsKeepTheirCause(t *testing.T) {
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	store := memory.New()
	repo, err := adapters.NewRepository(store, clockAt(now), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer repo.Close()
	u1, err := domain.RegisterUser("ana", now.Add(-time.Hour), nil, now)
	if err != nil {
		t.Fatal(err)
	}
	u2, _ := domain.RegisterUser("ana", now.Add(-time.Hour), nil, now)
	if _, err := repo.Save(t.Context(), u1); err != nil {
		t.Fatal(err)
	}
	_, err = repo.Save(t.Context(), u2) // expects no stream: lost to u1
	if !errors.Is(err, app.ErrConcurrent) || !errors.Is(err, eventstore.ErrConcurrency) {
		t.Errorf("a lost race: %v, want app.ErrConcurrent wrapping eventstore.ErrConcurrency", err)
	}

	away, err := adapters.NewRepository(down{store}, clockAt(now), 10)
	if err != nil {
		t.Fatal(err)
	}
	defer away.Close()
	_, err = away.LoadUser(t.Context(), "ana")
	if !errors.Is(err, app.ErrUnavailable) || !errors.Is(err, errRefused) {
		t.Errorf("a store away: %v, want app.ErrUnavailable wrapping the cause", err)
	}
}
