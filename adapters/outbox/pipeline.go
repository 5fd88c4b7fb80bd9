package outbox

import (
	"context"
	"sync"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/codec"
	"github.com/flashpromo/flashpromo/eventstore"
)

// pipeline relays pages of the log while the next ones are read and
// encoded (ADR 0025). Each topic has a writer that publishes the pages one
// after another, each once the bus acknowledged the one before, so a
// topic's order, and so each key's, is the log's; the two topics are
// written at once. The checkpoint follows the pages in log order and moves
// past a page only once both topics took it: a page that fails stops the
// pipeline, and the pages after it are not checkpointed.
type pipeline struct {
	r      *Relay
	lease  Lease
	ctx    context.Context
	cancel context.CancelCauseFunc
	pages  chan *page    // to the checkpoint, in log order; its capacity bounds the pages in flight
	topics [2]chan *page // to each topic's writer
	wg     sync.WaitGroup
	next   *page // being filled
}

// topics are those a page is written to, in the order of page.msgs.
var topics = [2]string{EventsTopic, NotificationsTopic}

// page is the unit published and checkpointed: the messages of a run of
// events, up to Sizing.PageBytes.
type page struct {
	last  eventstore.Cursor
	msgs  [2][]*message.Message
	bytes int
	done  [2]chan error // each writer's result
}

func (r *Relay) start(ctx context.Context, lease Lease) *pipeline {
	p := &pipeline{r: r, lease: lease, pages: make(chan *page, r.sizing.InFlight)}
	if lease != nil {
		p.lease = &serialLease{Lease: lease}
	}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	for i := range topics {
		p.topics[i] = make(chan *page, r.sizing.InFlight+1) // a page more than the checkpoint holds: never full
		p.wg.Go(func() { p.write(i) })
	}
	p.wg.Go(p.checkpoint)
	return p
}

// take encodes a read of the log into pages and hands them on; it waits
// while InFlight pages are not yet checkpointed.
func (p *pipeline) take(ctx context.Context, events []eventstore.Event) error {
	var notes codec.NotificationDecoder
	for _, e := range events {
		envelope, delivery, bad := encode(e, &notes)
		for _, d := range bad {
			if err := p.r.deadLetter(ctx, p.lease, d); err != nil {
				return err
			}
		}
		if p.next == nil {
			p.next = &page{done: [2]chan error{make(chan error, 1), make(chan error, 1)}}
		}
		p.next.add(0, envelope)
		p.next.add(1, delivery)
		p.next.last = e.Cursor
		if p.next.bytes >= p.r.sizing.PageBytes {
			if err := p.send(ctx); err != nil {
				return err
			}
		}
	}
	if p.next == nil {
		return nil
	}
	return p.send(ctx)
}

func (pg *page) add(topic int, m *message.Message) {
	if m != nil {
		pg.msgs[topic] = append(pg.msgs[topic], m)
		pg.bytes += len(m.Payload)
	}
}

func (p *pipeline) send(ctx context.Context) error {
	pg := p.next
	p.next = nil
	select {
	case p.pages <- pg:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	for i := range topics {
		p.topics[i] <- pg
	}
	return nil
}

// write publishes each page's messages of one topic, in order, each page
// once the one before is acknowledged; once the pipeline stops it
// publishes nothing more.
func (p *pipeline) write(topic int) {
	for pg := range p.topics[topic] {
		err := context.Cause(p.ctx)
		if err == nil {
			err = p.r.publish(p.ctx, p.lease, topics[topic], pg.msgs[topic])
		}
		if err != nil {
			p.cancel(err)
		}
		pg.done[topic] <- err
	}
}

// checkpoint saves each page's cursor once both topics took it, in log
// order; after a failure it saves nothing more.
func (p *pipeline) checkpoint() {
	save := p.r.store.SaveCheckpoint
	if p.lease != nil {
		save = p.lease.SaveCheckpoint
	}
	for pg := range p.pages {
		var err error
		for i := range topics {
			if e := <-pg.done[i]; err == nil {
				err = e
			}
		}
		if err == nil && p.ctx.Err() == nil {
			err = save(p.ctx, Checkpoint, pg.last)
		}
		if err != nil {
			p.cancel(err)
		}
	}
}

// stop ends the pipeline after Follow returned err: the publishes in
// flight finish, nothing more is published or saved. It returns what
// stopped it first.
func (p *pipeline) stop(err error) error {
	p.cancel(err)
	close(p.pages)
	for i := range topics {
		close(p.topics[i])
	}
	p.wg.Wait()
	return context.Cause(p.ctx)
}

// serialLease lets the two writers check one lease, whose connection
// takes one query at a time.
type serialLease struct {
	mu sync.Mutex
	Lease
}

func (l *serialLease) Check(ctx context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.Lease.Check(ctx)
}
