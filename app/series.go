package app

import (
	"context"
	"errors"
	"time"

	"github.com/flashpromo/flashpromo/domain"
)

// seriesDesk creates, reads and cancels promo series; their occurrences
// are promos, saved with the series in one append.
type seriesDesk struct {
	cfg   Config
	clock Clock
	ids   IDs
	repo  seriesStore
	read  Sync
	locks *locks // the promo desk's: a cancel takes its occurrences' locks
}

// seriesStore is where the series desk loads and saves.
type seriesStore interface {
	promoStore
	LoadSeries(ctx context.Context, id string) (*domain.PromoSeries, error) // ErrNotFound
}

// CreateSeries creates a promo series and all its occurrences; ID is
// optional and makes a retry idempotent. TimeZone "" is the service's zone.
type CreateSeries struct {
	ID       string
	TimeZone string
	Spec     domain.SeriesSpec // Zone is set from TimeZone
}

// SeriesView is a series as clients see it.
type SeriesView struct {
	domain.PromoSeriesCreated
	Status domain.SeriesStatus
}

// SeriesCreated tells whether the series is new or an earlier create's.
type SeriesCreated struct {
	SeriesView
	Created bool
}

func newSeriesView(s *domain.PromoSeries) SeriesView {
	return SeriesView{PromoSeriesCreated: s.Created(), Status: s.Status()}
}

// zone resolves an IANA zone name; "" is the service's own.
func (a *seriesDesk) zone(name string) (*time.Location, error) {
	if name == "" {
		if a.cfg.Zone == nil {
			return time.UTC, nil
		}
		return a.cfg.Zone, nil
	}
	if name == "Local" { // Go's name for the machine's zone, not an IANA one
		return nil, Invalid("time_zone", "unknown time zone "+name)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, Invalid("time_zone", "unknown time zone "+name)
	}
	return loc, nil
}

// createSeries writes the series, every occurrence and their claims on the
// listing in one append, each stream at the version it was read at: a
// promo or series created meanwhile on another instance fails the append,
// and the retry sees it and refuses with promo_conflict.
func (a *seriesDesk) createSeries(ctx context.Context, c CreateSeries) (SeriesCreated, error) {
	zone, err := a.zone(c.TimeZone)
	if err != nil {
		return SeriesCreated{}, err
	}
	c.Spec.Zone = zone
	if err := c.Spec.Validate(); err != nil {
		return SeriesCreated{}, err
	}
	if c.ID == "" {
		c.ID = a.ids()
	}
	defer a.locks.lock("series:" + c.ID)()
	var out SeriesCreated
	err = retry(func() error {
		if s, err := a.repo.LoadSeries(ctx, c.ID); err == nil {
			if !s.SameSpec(c.Spec) {
				return domain.ErrPromoConflict
			}
			out = SeriesCreated{newSeriesView(s), false}
			return nil
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		s, promos, err := domain.CreatePromoSeries(c.ID, c.Spec, a.clock.Now(), domain.NewPromoIDs(a.ids))
		if err != nil {
			return err
		}
		listing, err := a.repo.LoadListing(ctx, domain.ListingID(c.Spec.Promo.Store.ID, c.Spec.Promo.Product.ID))
		if err != nil {
			return err
		}
		if err := s.Claim(listing); err != nil {
			return err
		}
		changed := make([]Aggregate, 0, len(promos)+2)
		changed = append(changed, s, listing)
		for _, p := range promos {
			changed = append(changed, p)
		}
		cur, err := a.repo.Save(ctx, changed...)
		if err != nil {
			return err
		}
		waitRead(ctx, a.read, cur)
		out = SeriesCreated{newSeriesView(s), true}
		return nil
	})
	return out, err
}

// GetSeries reads one series.
type GetSeries struct{ ID string }

// getSeries reads the series' own stream: a short one, read by admins now
// and then, so it has no read model of its own.
func (a *seriesDesk) getSeries(ctx context.Context, q GetSeries) (SeriesView, error) {
	s, err := a.repo.LoadSeries(ctx, q.ID)
	if err != nil {
		return SeriesView{}, err
	}
	return newSeriesView(s), nil
}

// CancelSeries cancels a series: every occurrence not ended yet is
// cancelled (a running one ends now), the ended ones stay as they were.
type CancelSeries struct{ ID string }

// cancelSeries cancels the series and its occurrences in one append, under
// the locks of every occurrence: their batches (promoqueue.go) wait, so no
// cached promo is changed by two goroutines at once.
func (a *seriesDesk) cancelSeries(ctx context.Context, c CancelSeries) (SeriesView, error) {
	s, err := a.repo.LoadSeries(ctx, c.ID)
	if err != nil {
		return SeriesView{}, err
	}
	keys := []string{"series:" + c.ID}
	for _, o := range s.Created().Occurrences {
		keys = append(keys, "promo:"+o.PromoID)
	}
	defer a.locks.lockAll(keys)()
	var out SeriesView
	err = retry(func() error {
		s, err := a.repo.LoadSeries(ctx, c.ID)
		if err != nil {
			return err
		}
		created := s.Created()
		listing, err := a.repo.LoadListing(ctx, domain.ListingID(created.Store.ID, created.Product.ID))
		if err != nil {
			return err
		}
		changed := []Aggregate{s, listing}
		now := a.clock.Now()
		for _, o := range created.Occurrences {
			p, err := a.repo.LoadPromo(ctx, o.PromoID)
			if err != nil {
				return err
			}
			if st := p.Status(now); st == domain.PromoStatusEnded || st == domain.PromoStatusCancelled {
				continue
			}
			if err := p.Cancel(now); err != nil {
				return err
			}
			listing.Release(p.ID())
			changed = append(changed, p)
		}
		s.Cancel()
		cur, err := a.repo.Save(ctx, changed...)
		if err != nil {
			return err
		}
		waitRead(ctx, a.read, cur)
		out = newSeriesView(s)
		return nil
	})
	return out, err
}
