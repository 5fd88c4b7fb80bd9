// Package kafka carries watermill messages over Kafka with segmentio/kafka-go,
// and starts an embedded Kafka-protocol broker (franz-go's kfake) for tests
// and local runs.
//
// Delivery is at least once. kafka-go has no idempotent producer, so a retried
// produce can write a message twice, and a consumer that stops between
// processing and commit sees it again: consumers deduplicate by the watermill
// message UUID, which travels in the UUIDHeader header.
//
// Order: messages with the same PartitionKey metadata land on one partition
// (FNV-1a hash of the key, kafka-go's Hash balancer) and a subscription hands
// out one message at a time, in each partition's offset order, redelivering a
// nacked message before the next one. A consumer group gives a partition to
// one member at a time. Messages without a PartitionKey are keyed by their
// UUID, so they spread over partitions and keep no order between them (a
// one-partition topic keeps them all in order).
//
// Shutdown: close the Subscribers first (they stop handing out messages and
// leave their groups), then the Publisher (it lets the Publishes in flight
// finish), then an Embedded broker.
package kafka
