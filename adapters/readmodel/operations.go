package readmodel

import (
	"sync"
	"time"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// What the operators watch, read from the models: how the fan-outs go and
// how many holds are about to run out.

// A fan-out has no event of its own that says it is over: its shards end on
// whichever instances took them. Every instance folds the same log, though,
// so each one judges alike from it: a promo's fan-out is over once the promo
// ended or was cancelled, or once FanoutSettle has passed with no new
// notification of it (nor its activation). Judged so, every instance reports
// the same durations, and a quantile over all of them is the one of each.
const (
	FanoutSettle = 15 * time.Second
	// fanoutHorizon: a fan-out activated longer ago than this is not
	// reported. A start replays old activations, which must not count as
	// fan-outs of today.
	fanoutHorizon = time.Hour
)

var (
	promoActivated = domain.PromoActivated{}.EventName()
	promoEnded     = domain.PromoEnded{}.EventName()
	promoCancelled = domain.PromoCancelled{}.EventName()
)

// fanouts are the activations whose fan-out is not judged over yet.
type fanouts struct {
	mu   sync.Mutex
	open map[string]*fanout // by promo id
}

type fanout struct {
	activatedAt time.Time // the PromoActivated's occurred_at
	over        bool      // the promo ended or was cancelled
}

// fold notes activations and ends in a page of the log; it decodes only
// those few events.
func (f *fanouts) fold(events []eventstore.Event) {
	for _, e := range events {
		if e.Type != promoActivated && e.Type != promoEnded && e.Type != promoCancelled {
			continue
		}
		ev, ok, err := codec.Decode(e)
		if err != nil || !ok {
			continue
		}
		f.mu.Lock()
		if f.open == nil {
			f.open = map[string]*fanout{}
		}
		id := promoOf(ev)
		if e.Type == promoActivated {
			if _, seen := f.open[id]; !seen {
				f.open[id] = &fanout{activatedAt: e.OccurredAt}
			}
		} else if o, ok := f.open[id]; ok {
			o.over = true
		}
		f.mu.Unlock()
	}
}

// FanoutsOver judges at now which fan-outs are over, forgets them, and
// returns for each that notified anyone the time from its activation to its
// last notification, and how many fan-outs are still going.
func (rm *ReadModel) FanoutsOver(now time.Time) (took []time.Duration, going int) {
	notes := rm.notifications.current()
	f := &rm.fanouts
	f.mu.Lock()
	defer f.mu.Unlock()
	for id, o := range f.open {
		if now.Sub(o.activatedAt) > fanoutHorizon {
			delete(f.open, id)
			continue
		}
		n, last := notes.tally(id)
		quiet := o.activatedAt
		if n > 0 && last.After(quiet) {
			quiet = last
		}
		if !o.over && now.Sub(quiet) < FanoutSettle {
			continue
		}
		if n > 0 {
			took = append(took, max(0, last.Sub(o.activatedAt)))
		}
		delete(f.open, id)
	}
	return took, len(f.open)
}

// tally is how many notifications of the promo the model has, and when the
// newest was sent.
func (m *Notifications) tally(promoID string) (int, time.Time) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	t := m.sent[promoID]
	return t.n, time.Unix(0, t.last)
}

// HoldsExpiring counts the open holds that run out after now and before
// now+within.
func (rm *ReadModel) HoldsExpiring(now time.Time, within time.Duration) int {
	return rm.promos.current().expiring(now, now.Add(within))
}
