package kafka

import (
	"errors"
	"fmt"
	"testing"

	"github.com/segmentio/kafka-go"
)

// The writer's errors become an error per message, and the refusals no
// retry changes are told from the passing failures.
func TestRejectionsSayWhichMessageFailedAndWhy(t *testing.T) {
	kms := []kafka.Message{{Key: []byte("a"), Value: []byte("1")}, {Key: []byte("b"), Value: []byte("2")}, {Key: []byte("c"), Value: []byte("3")}}
	tooLarge := kafka.MessageTooLargeError{Message: kms[1], Remaining: []kafka.Message{kms[0], kms[2]}}
	var rej *Rejected
	if !errors.As(fmt.Errorf("wrapped: %w", perMessage(tooLarge, kms)), &rej) {
		t.Fatalf("a message over the writer's batch size is not a Rejected")
	}
	if !errors.Is(rej.Errs[0], ErrNotSent) || !errors.Is(rej.Errs[2], ErrNotSent) {
		t.Errorf("the others: %v", rej.Errs)
	}
	if reason, ok := Permanent(rej.Errs[1]); !ok || reason != "message_too_large" {
		t.Errorf("the large one: %v (%q, %v)", rej.Errs[1], reason, ok)
	}

	written := kafka.WriteErrors{nil, kafka.NotLeaderForPartition, kafka.InvalidRecord}
	if !errors.As(perMessage(written, kms), &rej) || rej.Errs[0] != nil {
		t.Fatalf("per-batch errors: %v", rej)
	}
	if _, ok := Permanent(rej.Errs[1]); ok {
		t.Errorf("a leader moving is not permanent")
	}
	if reason, ok := Permanent(rej.Errs[2]); !ok || reason != "invalid_record" {
		t.Errorf("an invalid record: %q, %v", reason, ok)
	}
	if other := errors.New("dial tcp: refused"); perMessage(other, kms) != other {
		t.Errorf("an error that names no message is kept as it is")
	}
}
