package kafka

import (
	"fmt"
	"maps"
	"slices"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/segmentio/kafka-go"

	"github.com/flashpromo/flashpromo/internal/topology"
)

const (
	// PartitionKey is the metadata entry whose value becomes the Kafka message
	// key, choosing the partition and so the order. It is not sent as a header:
	// the subscriber restores it from the key.
	PartitionKey = topology.PartitionKey

	// UUIDHeader carries the watermill message UUID. The name is the one
	// watermill-kafka uses, so either adapter reads the other's messages.
	UUIDHeader = "_watermill_message_uuid"
)

// Marshal turns a watermill message into the Kafka message Publish writes
// to topic.
func Marshal(topic string, msg *message.Message) kafka.Message {
	key := msg.Metadata.Get(PartitionKey)
	if key == "" {
		key = msg.UUID
	}

	headers := make([]kafka.Header, 0, len(msg.Metadata)+1)
	headers = append(headers, kafka.Header{Key: UUIDHeader, Value: []byte(msg.UUID)})
	// Sorted so that the same message always has the same bytes on the wire.
	for _, k := range slices.Sorted(maps.Keys(msg.Metadata)) {
		if k == PartitionKey || k == UUIDHeader {
			continue
		}
		headers = append(headers, kafka.Header{Key: k, Value: []byte(msg.Metadata[k])})
	}

	return kafka.Message{Topic: topic, Key: []byte(key), Value: msg.Payload, Headers: headers}
}

// unmarshal turns a fetched Kafka message back into a watermill message.
//
// A message written by another producer has no UUID header; its id is then
// its position (topic/partition/offset), which is stable across redeliveries
// and so still deduplicates.
func unmarshal(km kafka.Message) *message.Message {
	var id string
	md := make(message.Metadata, len(km.Headers)+1)
	for _, h := range km.Headers {
		if h.Key == UUIDHeader {
			id = string(h.Value)
			continue
		}
		md[h.Key] = string(h.Value)
	}
	if id == "" {
		id = fmt.Sprintf("%s/%d/%d", km.Topic, km.Partition, km.Offset)
	}
	// A key equal to the id is the publisher's default, not a chosen key.
	if key := string(km.Key); key != "" && key != id {
		md[PartitionKey] = key
	}

	msg := message.NewMessage(id, km.Value)
	msg.Metadata = md
	return msg
}
