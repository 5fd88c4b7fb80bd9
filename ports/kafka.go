package ports

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/outbox"
	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// FanoutTopic carries the shards of each promo's fan-out to the instances
// of a consumer group, so that they share the work.
const FanoutTopic = "flashpromo.fanout"

// FanoutShard is one part of a promo's fan-out.
type FanoutShard struct {
	PromoID string `json:"promo_id"`
	Shard   int    `json:"shard"`
	Shards  int    `json:"shards"`
}

// PlanFanouts reads the event topic (in a consumer group of its own, so
// one instance sees each event) and splits each promo activation into
// shards on FanoutTopic.
func PlanFanouts(ctx context.Context, events message.Subscriber, bus message.Publisher, shards int, log *slog.Logger) error {
	msgs, err := events.Subscribe(ctx, outbox.EventsTopic)
	if err != nil {
		return err
	}
	for m := range msgs {
		if err := planFanout(m, bus, shards); err != nil {
			log.Warn("fan-out planning failed; the event comes again", "event", m.UUID, "err", err)
			m.Nack()
			continue
		}
		m.Ack()
	}
	return ctx.Err()
}

func planFanout(m *message.Message, bus message.Publisher, shards int) error {
	if m.Metadata.Get("type") != (domain.PromoActivated{}).EventName() {
		return nil
	}
	var env eventstore.Envelope
	var activated domain.PromoActivated
	if err := json.Unmarshal(m.Payload, &env); err != nil {
		return err
	}
	if err := json.Unmarshal(env.Data, &activated); err != nil {
		return err
	}
	tasks := make([]*message.Message, shards)
	for i := range tasks {
		payload, _ := json.Marshal(FanoutShard{activated.PromoID, i, shards}) // plain struct: cannot fail
		tasks[i] = message.NewMessage(fmt.Sprintf("%s/%d", env.ID, i), payload)
		tasks[i].Metadata.Set(outbox.KeyMetadata, fmt.Sprintf("%s/%d", activated.PromoID, i))
	}
	return bus.Publish(FanoutTopic, tasks...)
}

// NotifyShards handles fan-out shards from FanoutTopic. Before each it
// waits for the read models to catch up with the log, so that the promo and
// every user registered before its activation are known here. A shard whose
// work fails comes again, and the store's once-a-day rule absorbs what it
// repeats.
func NotifyShards(ctx context.Context, shards message.Subscriber, a app.Application, catchUp func(context.Context) error, log *slog.Logger) error {
	msgs, err := shards.Subscribe(ctx, FanoutTopic)
	if err != nil {
		return err
	}
	for m := range msgs {
		var s FanoutShard
		if err := json.Unmarshal(m.Payload, &s); err != nil {
			log.Error("fan-out drops a malformed shard", "message", m.UUID, "err", err)
			m.Ack()
			continue
		}
		if err := catchUp(ctx); err != nil {
			m.Nack()
			continue
		}
		n, err := a.Commands.NotifyEligible.Handle(ctx, app.NotifyEligible{PromoID: s.PromoID, Shard: s.Shard, Shards: s.Shards})
		if err != nil {
			m.Nack()
			continue
		}
		log.Debug("fan-out shard done", "promo", s.PromoID, "shard", s.Shard, "notified", n)
		m.Ack()
	}
	return ctx.Err()
}
