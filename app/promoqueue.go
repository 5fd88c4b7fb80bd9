package app

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/flashpromo/flashpromo/domain"
)

// maxPromoBatch bounds how many commands one append carries, so that a
// batch's decisions and its append stay short and latency stays bounded.
const maxPromoBatch = 256

// promoCommand is one command on a promo waiting for its batch. decide
// applies it to the promo and returns the aggregates it changed (the promo
// and any other); it is run again when the batch is decided again.
type promoCommand struct {
	ctx    context.Context
	decide func(*domain.Promo) ([]Aggregate, error)
	alone  bool // loads and changes other aggregates too: a batch of its own
	view   bool // answer with the promo as saved

	// The batch's bookkeeping, written by the batch only.
	extras   []Aggregate // other aggregates it changed
	recorded bool        // its decision recorded events
	changed  int         // the promo's changes once it was decided
	dirty    bool        // decided on events of its batch not stored yet
	settled  bool        // answered already

	// The answer: set before done is closed.
	result PromoView
	err    error
	done   chan struct{}
}

func (c *promoCommand) answer(v PromoView, err error) {
	c.result, c.err, c.settled = v, err, true
	close(c.done)
}

// promoQueues is the group commit of promo commands. Commands on one promo
// queue up; while any wait, one goroutine takes up to maxPromoBatch of them
// at a time and runs them as a batch: the promo is loaded once, every
// command is decided in arrival order on it, and all their events go in
// one append. The goroutine and the promo's queue go away when the queue
// drains, so an idle promo costs nothing.
type promoQueues struct {
	run func(id string, batch []*promoCommand)

	mu      sync.Mutex
	pending map[string][]*promoCommand // a key is present while its worker runs
}

func newPromoQueues(run func(id string, batch []*promoCommand)) *promoQueues {
	return &promoQueues{run: run, pending: map[string][]*promoCommand{}}
}

// submit queues c on promo id, starting the promo's worker if none runs.
func (q *promoQueues) submit(id string, c *promoCommand) {
	q.mu.Lock()
	pending, busy := q.pending[id]
	q.pending[id] = append(pending, c)
	q.mu.Unlock()
	if !busy {
		go q.work(id)
	}
}

func (q *promoQueues) work(id string) {
	for batch := q.next(id); batch != nil; batch = q.next(id) {
		q.run(id, batch)
	}
}

// next takes the promo's next batch, in arrival order: up to maxPromoBatch
// commands, a command that must be alone by itself. It forgets the promo
// when nothing waits.
func (q *promoQueues) next(id string) []*promoCommand {
	q.mu.Lock()
	defer q.mu.Unlock()
	pending := q.pending[id]
	if len(pending) == 0 {
		delete(q.pending, id)
		return nil
	}
	n := 1
	if !pending[0].alone {
		for n < len(pending) && n < maxPromoBatch && !pending[n].alone {
			n++
		}
	}
	if n == len(pending) {
		q.pending[id] = nil // still busy; the next append starts a new array
	} else {
		q.pending[id] = pending[n:]
	}
	return pending[:n:n]
}

// queued is how many commands wait on promo id (tests).
func (q *promoQueues) queued(id string) (n int, busy bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	pending, busy := q.pending[id]
	return len(pending), busy
}

// onPromo queues a command on promo id and waits for its answer. The
// wait ignores ctx: the command may be in an append already. A command
// whose ctx ended before its batch was decided is answered with ctx's error.
func (a *promoDesk) onPromo(ctx context.Context, id string, c *promoCommand) (PromoView, error) {
	a.promos.submit(id, a.prepare(ctx, c))
	<-c.done
	return c.result, c.err
}

func (a *promoDesk) prepare(ctx context.Context, c *promoCommand) *promoCommand {
	c.ctx, c.done = ctx, make(chan struct{})
	return c
}

// runBatch decides a batch of commands on one promo and saves them in one
// append, retrying the whole batch when another process wrote the promo
// first; the version check of that append is the only guard between
// processes. The promo's lock keeps out the commands that do not queue
// (creation), and a cached promo is only ever touched under it.
//
// Each command gets its own answer. A refusal records nothing and stands.
// A command whose decision failed after recording events is answered with
// its error and the batch is decided again without it, on a fresh load, so
// its events go nowhere. When the append fails, every command that recorded
// events, or was decided on events of the batch not stored (the second
// reservation of a user, a refusal for want of stock), or wants the promo's
// view, is answered with the append's error; the others were decided on
// stored state alone and keep their answers.
func (a *promoDesk) runBatch(id string, batch []*promoCommand) {
	defer a.locks.lock("promo:" + id)()
	defer func() {
		// A bug in a decision fails its batch, not the process: the handler
		// it ran in before batches would have been recovered the same way.
		if r := recover(); r != nil {
			err := fmt.Errorf("promo %s: a batch of %d commands panicked: %v", id, len(batch), r)
			for _, c := range batch {
				if !c.settled {
					c.answer(PromoView{}, err)
				}
			}
		}
	}()
	live := batch[:0:0]
	for _, c := range batch {
		if err := c.ctx.Err(); err != nil {
			c.answer(PromoView{}, err)
			continue
		}
		live = append(live, c)
	}
	if len(live) == 0 {
		return
	}
	ctx, stop := batchContext(live)
	defer stop()

	var (
		p       *domain.Promo
		cur     Written
		saveErr bool
	)
	err := retry(func() error {
		saveErr = false
		var err error
		if p, err = a.decideBatch(ctx, id, live); err != nil {
			return err
		}
		if len(p.Changes()) == 0 {
			cur = nil
			return nil
		}
		changed := []Aggregate{p}
		for _, c := range live {
			if !c.settled && c.err == nil {
				changed = append(changed, c.extras...)
			}
		}
		cur, err = a.repo.Save(withBatchActors(ctx, p, live), changed...)
		saveErr = err != nil
		return err
	})
	switch {
	case err != nil && !saveErr: // the promo could not be loaded
		for _, c := range live {
			if !c.settled {
				c.answer(PromoView{}, err)
			}
		}
		return
	case err != nil:
		for _, c := range live {
			if !c.settled && (c.recorded || c.dirty || c.view) {
				c.answer(PromoView{}, err) // a view would show what was not stored
			}
		}
	case cur != nil:
		waitRead(ctx, a.read, cur) // once for the batch: every command reads its own write
	}
	var view *PromoView
	for _, c := range live {
		if c.settled {
			continue
		}
		var v PromoView
		if c.view && c.err == nil {
			if view == nil {
				view = new(NewPromoView(p, a.clock.Now(), a.read.NotificationsSent(id)))
			}
			v = *view
		}
		c.answer(v, c.err)
	}
}

// decideBatch loads the promo and decides, in order, every command of the
// batch not answered yet. A command that fails after recording events is
// answered and the rest decided again on a fresh load.
func (a *promoDesk) decideBatch(ctx context.Context, id string, batch []*promoCommand) (*domain.Promo, error) {
next:
	for {
		p, err := a.repo.LoadPromo(ctx, id)
		if err != nil {
			return nil, err
		}
		dirty := false
		for _, c := range batch {
			if c.settled {
				continue
			}
			before := len(p.Changes())
			changed, err := c.decide(p)
			recorded := len(p.Changes()) > before
			if err != nil && recorded {
				// Its events are in p now: answer it and start over without it.
				c.answer(PromoView{}, err)
				continue next
			}
			c.err, c.recorded, c.dirty, c.extras = err, recorded, dirty, nil
			c.changed = len(p.Changes())
			if err == nil {
				for _, ag := range changed {
					if ag != Aggregate(p) {
						c.extras = append(c.extras, ag)
					}
				}
			}
			dirty = dirty || recorded
		}
		return p, nil
	}
}

// batchContext is the context of a batch's loads and append: it keeps the
// values of the first command's context and ends when every command's
// context has ended, so no single client leaving cancels the others' append.
func batchContext(batch []*promoCommand) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(batch[0].ctx))
	for _, c := range batch {
		if c.ctx.Done() == nil {
			return ctx, cancel // this one never ends, so neither does the batch
		}
	}
	var left atomic.Int64
	left.Store(int64(len(batch)))
	stops := make([]func() bool, len(batch))
	for i, c := range batch {
		stops[i] = context.AfterFunc(c.ctx, func() {
			if left.Add(-1) == 0 {
				cancel()
			}
		})
	}
	return ctx, func() {
		for _, s := range stops {
			s()
		}
		cancel()
	}
}
