package ports

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/components/cqrs"
	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/internal/topology"
)

// FanoutShard is one part of a promo's fan-out: the command the planner
// sends and a worker handles.
type FanoutShard struct {
	PromoID string `json:"promo_id"`
	Shard   int    `json:"shard"`
	Shards  int    `json:"shards"`
}

// Fanout is how the fan-out is fed: where the planner reads the events and
// the workers their shards, and where the shards are sent. Wiring chooses
// Kafka's consumer groups, or the log and an in-process channel.
type Fanout struct {
	Events    message.Subscriber // envelopes of flashpromo.events
	Shards    message.Subscriber // FanoutShard commands
	Send      message.Publisher  // where shards go
	Marshaler cqrs.CommandEventMarshaler
	Parts     int                         // shards a promo's fan-out is cut into
	CatchUp   func(context.Context) error // the read models reach the log's head
	Log       *slog.Logger
	Observe   FanoutObserver // nil: nobody
}

// FanoutObserver is told how each shard a worker handled went.
type FanoutObserver interface {
	ShardDone(notified int)
	ShardFailed()   // it comes again
	ShardRepeated() // a copy of one this instance finished lately: acked as it is
}

// NewFanoutRouter is the one reaction to a promo's activation: a planner
// that cuts it into shards, and a worker that notifies each shard's
// eligible users once its read models have caught up with the log, so the
// promo and every user registered before the activation are known. A
// failed shard comes again; the store's once-a-day rule absorbs repeats.
func NewFanoutRouter(a app.Application, f Fanout) (*message.Router, error) {
	wlog := WatermillLogger(f.Log)
	router, err := message.NewRouter(message.RouterConfig{}, wlog)
	if err != nil {
		return nil, err
	}
	shardJSON := cqrs.JSONMarshaler{GenerateName: cqrs.StructName}
	planner, err := cqrs.NewEventProcessorWithConfig(router, cqrs.EventProcessorConfig{
		GenerateSubscribeTopic: func(cqrs.EventProcessorGenerateSubscribeTopicParams) (string, error) {
			return topology.EventsTopic, nil
		},
		SubscriberConstructor: func(cqrs.EventProcessorSubscriberConstructorParams) (message.Subscriber, error) { return f.Events, nil },
		AckOnUnknownEvent:     true, // every other event of the log
		Marshaler:             f.Marshaler, Logger: wlog,
	})
	if err != nil {
		return nil, err
	}
	worker, err := cqrs.NewCommandProcessorWithConfig(router, cqrs.CommandProcessorConfig{
		GenerateSubscribeTopic: func(cqrs.CommandProcessorGenerateSubscribeTopicParams) (string, error) {
			return topology.FanoutTopic, nil
		},
		SubscriberConstructor: func(cqrs.CommandProcessorSubscriberConstructorParams) (message.Subscriber, error) {
			return f.Shards, nil
		},
		Marshaler: shardJSON, Logger: wlog,
	})
	if err != nil {
		return nil, err
	}
	if err := planner.AddHandlers(cqrs.NewEventHandler("fanout-planner", plan(f.Send, shardJSON, f.Parts))); err != nil {
		return nil, err
	}
	return router, worker.AddHandlers(cqrs.NewCommandHandler("fanout-worker", notify(a, f)))
}

// plan sends the shards of an activated promo in one publish, each keyed
// by promo and shard and named after the activation's event, so a repeat
// of the same activation sends the same messages.
func plan(send message.Publisher, m cqrs.CommandEventMarshaler, parts int) func(context.Context, *domain.PromoActivated) error {
	return func(ctx context.Context, e *domain.PromoActivated) error {
		activation := cqrs.OriginalMessageFromCtx(ctx).UUID
		shards := make([]*message.Message, parts)
		for i := range shards {
			msg, err := m.Marshal(&FanoutShard{e.PromoID, i, parts})
			if err != nil {
				return err
			}
			msg.UUID = fmt.Sprintf("%s/%d", activation, i)
			msg.Metadata.Set(topology.PartitionKey, fmt.Sprintf("%s/%d", e.PromoID, i))
			shards[i] = msg
		}
		return send.Publish(topology.FanoutTopic, shards...)
	}
}

// notify handles one shard, unless it is a copy of a shard it finished
// lately.
func notify(a app.Application, f Fanout) func(context.Context, *FanoutShard) error {
	finished := newRecentSet(recentShards)
	return func(ctx context.Context, s *FanoutShard) error {
		id := cqrs.OriginalMessageFromCtx(ctx).UUID
		if finished.has(id) {
			if f.Observe != nil {
				f.Observe.ShardRepeated()
			}
			f.Log.Debug("fan-out shard repeated: acked as it is", "promo", s.PromoID, "shard", s.Shard, "of", s.Shards, "message", id)
			return nil
		}
		n, err := notifyShard(ctx, a, f.CatchUp, s)
		if err != nil {
			if f.Observe != nil && ctx.Err() == nil {
				f.Observe.ShardFailed()
			}
			return err
		}
		finished.add(id)
		if f.Observe != nil {
			f.Observe.ShardDone(n)
		}
		f.Log.Info("fan-out shard done", "promo", s.PromoID, "shard", s.Shard, "of", s.Shards, "notified", n)
		return nil
	}
}

func notifyShard(ctx context.Context, a app.Application, catchUp func(context.Context) error, s *FanoutShard) (int, error) {
	if err := catchUp(ctx); err != nil {
		return 0, err
	}
	return a.Commands.NotifyEligible.Handle(ctx, app.NotifyEligible{PromoID: s.PromoID, Shard: s.Shard, Shards: s.Shards})
}
