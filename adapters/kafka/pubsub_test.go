package kafka_test

import (
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/ThreeDotsLabs/watermill/pubsub/tests"
)

// TestPubSub runs watermill's universal suite with consumer groups, over TCP
// against kfake. The topics are created with one partition by
// SubscribeInitialize, so the order the suite checks (per payload, over
// messages with no partition key) is the partition's order.
func TestPubSub(t *testing.T) {
	brokers := startBroker(t)
	features := tests.Features{
		ConsumerGroups:      true,
		ExactlyOnceDelivery: false, // no idempotent producer; a commit can be lost after processing
		GuaranteedOrder:     true,  // per partition; see the package doc
		Persistent:          true,
		// The suite's subscribers share one group per test, so a new one does
		// not read what another already committed; TestPubSubWithoutGroup
		// covers this feature.
		NewSubscriberReceivesOldMessages: false,
		RestartServiceCommand:            nil, // kfake lives in this process: nothing to restart
		ForceShort:                       !fullSuite(),
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPubSub(t, brokers, groupOf(t))
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return newPubSub(t, brokers, group)
		},
	)
}

// TestPubSubWithoutGroup runs the suite with unshared readers: every
// subscription reads every partition from the first offset.
func TestPubSubWithoutGroup(t *testing.T) {
	brokers := startBroker(t)
	features := tests.Features{
		ConsumerGroups:                   false, // TestPubSub covers groups
		ExactlyOnceDelivery:              false,
		GuaranteedOrder:                  true,
		Persistent:                       true,
		NewSubscriberReceivesOldMessages: true,
		ForceShort:                       !fullSuite(),
	}
	tests.TestPubSub(t, features,
		func(t *testing.T) (message.Publisher, message.Subscriber) {
			return newPubSub(t, brokers, "")
		},
		func(t *testing.T, group string) (message.Publisher, message.Subscriber) {
			return newPubSub(t, brokers, group)
		},
	)
}
