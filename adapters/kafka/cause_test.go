package kafka

import (
	"context"
	"fmt"
	"io"
	"net"
	"testing"

	"github.com/segmentio/kafka-go"
)

func TestCauseNamesTheBrokersCode(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: fmt.Errorf("connection refused")}
	for err, want := range map[error]string{
		fmt.Errorf("kafka: publishing 2 messages: %w", kafka.WriteErrors{nil, kafka.NotLeaderForPartition}): "NOT_LEADER_OR_FOLLOWER",
		fmt.Errorf("kafka: publishing: %w", kafka.RequestTimedOut):                                          "REQUEST_TIMED_OUT",
		fmt.Errorf("kafka: %w", context.DeadlineExceeded):                                                   "timeout",
		fmt.Errorf("kafka: %w", refused):                                                                    "network",
		ErrPublisherClosed:                                                                                  "closed",
		io.ErrUnexpectedEOF:                                                                                 "other",
	} {
		if got := Cause(err); got != want {
			t.Errorf("Cause(%v) = %q, want %q", err, got, want)
		}
	}
}
