// Package topology names what the instances of the service share: the
// Kafka topics (those of API.md and the fan-out's own), the consumer
// groups, and the checkpoints in the event store. One place, so that the
// relay, the fan-out and the wiring cannot disagree.
package topology

// Topics.
const (
	EventsTopic        = "flashpromo.events"        // every event's envelope, key stream_id (API.md)
	NotificationsTopic = "flashpromo.notifications" // every notification, key user_id (API.md)
	FanoutTopic        = "flashpromo.fanout"        // the shards of each promo's fan-out
	DeadLetterTopic    = "flashpromo.deadletter"    // what the relay could not publish, key as the original's
)

// Topics lists the topics the service ensures at start.
func Topics() []string {
	return []string{EventsTopic, NotificationsTopic, FanoutTopic, DeadLetterTopic}
}

// Consumer groups: each consumer its own, so one's rebalance is not another's.
const (
	PlannerGroup = "flashpromo-fanout-planner"
	WorkerGroup  = "flashpromo-fanout-workers"
)

// Checkpoints in the event store.
const (
	RelayCheckpoint  = "relay"  // the relay's place in the log
	FanoutCheckpoint = "fanout" // the planner's, when it reads the log itself (no Kafka)
)

// PartitionKey is the message metadata whose value becomes the Kafka key.
const PartitionKey = "partition_key"

// TypeMetadata is the metadata of an envelope's event type (a Kafka header).
const TypeMetadata = "type"
