package app

import "context"

// Actor is who asked for a command. Every event the command appends
// records it, so the log says who did what.
type Actor struct {
	ID        string // a user id, "admin-token", or "system"
	Role      string // the role that allowed the request
	RequestID string
}

// System is the service acting by itself: activations, fan-outs, expiries.
var System = Actor{ID: "system", Role: "system"}

type actorKey struct{}

// WithActor returns ctx carrying who asked.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorOf says who asked in ctx; System when nobody did.
func ActorOf(ctx context.Context) Actor {
	if a, ok := ctx.Value(actorKey{}).(Actor); ok {
		return a
	}
	return System
}

// batchActors says who asked for each change of a batch that several
// requests share (the group commit of a promo's commands).
type batchActors struct {
	promo  Aggregate
	ends   []int   // the promo's changes [ends[i-1], ends[i]) are actors[i]'s
	actors []Actor //
	others map[Aggregate]Actor
}

type batchKey struct{}

// ChangeActor says who asked for change i of aggregate a saved with ctx.
func ChangeActor(ctx context.Context, a Aggregate, i int) Actor {
	b, ok := ctx.Value(batchKey{}).(*batchActors)
	if !ok {
		return ActorOf(ctx)
	}
	if a == b.promo {
		for k, end := range b.ends {
			if i < end {
				return b.actors[k]
			}
		}
	}
	if actor, ok := b.others[a]; ok {
		return actor
	}
	return ActorOf(ctx)
}

// withBatchActors records who asked for each change of a decided batch on
// promo p: each command's changes follow the previous command's.
func withBatchActors(ctx context.Context, p Aggregate, batch []*promoCommand) context.Context {
	b := &batchActors{promo: p, others: map[Aggregate]Actor{}}
	for _, c := range batch {
		if c.settled {
			continue
		}
		actor := ActorOf(c.ctx)
		b.ends, b.actors = append(b.ends, c.changed), append(b.actors, actor)
		if c.err == nil {
			for _, ag := range c.extras {
				b.others[ag] = actor
			}
		}
	}
	return context.WithValue(ctx, batchKey{}, b)
}
