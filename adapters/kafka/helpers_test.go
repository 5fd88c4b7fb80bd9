package kafka_test

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ThreeDotsLabs/watermill/message"

	"github.com/flashpromo/flashpromo/adapters/kafka"
)

// startBroker starts an embedded broker on a free port for the test.
func startBroker(t *testing.T) []string {
	t.Helper()
	broker, err := kafka.StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	return broker.Addrs()
}

// testSubscriberConfig shortens the waits that only cost time in tests:
// kfake answers at once, so group members can heartbeat often. The short
// RebalanceTimeout bounds what a kafka-go reader closed in the middle of a
// rebalance costs: it returns without LeaveGroup, so the broker waits that
// long for it before the other members get their assignment.
func testSubscriberConfig(brokers []string, group string) kafka.SubscriberConfig {
	return kafka.SubscriberConfig{
		Brokers:           brokers,
		ConsumerGroup:     group,
		NackResendSleep:   5 * time.Millisecond,
		RetrySleep:        100 * time.Millisecond,
		MaxWait:           500 * time.Millisecond,
		HeartbeatInterval: 100 * time.Millisecond,
		RebalanceTimeout:  2 * time.Second,
		JoinGroupBackoff:  100 * time.Millisecond,
	}
}

func newPublisher(t *testing.T, brokers []string) *kafka.Publisher {
	t.Helper()
	pub, err := kafka.NewPublisher(kafka.PublisherConfig{Brokers: brokers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = pub.Close() })
	return pub
}

func newSubscriber(t *testing.T, cfg kafka.SubscriberConfig) *kafka.Subscriber {
	t.Helper()
	sub, err := kafka.NewSubscriber(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sub.Close() })
	return sub
}

func newPubSub(t *testing.T, brokers []string, group string) (message.Publisher, message.Subscriber) {
	return newPublisher(t, brokers), newSubscriber(t, testSubscriberConfig(brokers, group))
}

// groupOf names one consumer group per suite test: the constructors of one
// test share it, so a new subscriber resumes where the last one committed,
// and tests running in parallel do not rebalance each other.
func groupOf(t *testing.T) string {
	return "g-" + strings.ReplaceAll(t.Name(), "/", ".")
}

// fullSuite runs watermill's suite with its full message counts (5,000 and
// 10,000 instead of 50 to 100). Off by default to keep the package fast.
func fullSuite() bool { return os.Getenv("FLASHPROMO_KAFKA_FULL_SUITE") != "" }
