package kafka

import (
	"context"
	"errors"
	"net"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kerr"
)

// Cause names why a Publish failed, for a metric's label: the broker's
// error code as the protocol names it (NOT_LEADER_OR_FOLLOWER,
// REQUEST_TIMED_OUT, ...), or timeout, network, closed, other.
func Cause(err error) string {
	var werrs kafka.WriteErrors
	if errors.As(err, &werrs) {
		for _, e := range werrs {
			if e != nil {
				return Cause(e)
			}
		}
	}
	var code kafka.Error
	if errors.As(err, &code) {
		if code == kafka.NotLeaderForPartition {
			return "NOT_LEADER_OR_FOLLOWER" // its name since Kafka 2.7; kerr keeps the older one
		}
		var ke *kerr.Error
		if errors.As(kerr.ErrorForCode(int16(code)), &ke) && ke.Code == int16(code) {
			return ke.Message
		}
		return "UNKNOWN_SERVER_ERROR"
	}
	var nerr net.Error
	switch {
	case errors.Is(err, ErrPublisherClosed):
		return "closed"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &nerr) && nerr.Timeout():
		return "timeout"
	case errors.As(err, &nerr):
		return "network"
	}
	return "other"
}
