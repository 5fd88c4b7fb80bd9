package kafka

import (
	"bytes"
	"errors"

	"github.com/segmentio/kafka-go"
)

// Rejected is the error of a Publish some of whose messages were not
// written: Errs holds each message's error, nil for those written, so a
// caller can tell a message at fault (Permanent) from a passing failure and
// send again only what needs it.
type Rejected struct {
	Errs []error
	err  error
}

func (r *Rejected) Error() string { return r.err.Error() }
func (r *Rejected) Unwrap() error { return r.err }

// ErrNotSent marks the messages of a Publish that was stopped before they
// went out, because another of its messages could never be sent: they can
// go again at once.
var ErrNotSent = errors.New("kafka: not sent, another message of the batch was refused")

// Permanent tells whether a message's error is a refusal no retry changes
// (the message, or the batch it went in, breaks a limit of the broker or of
// the writer), with a short name for it.
func Permanent(err error) (reason string, ok bool) {
	var ke kafka.Error
	if !errors.As(err, &ke) {
		return "", false
	}
	switch ke {
	case kafka.MessageSizeTooLarge:
		return "message_too_large", true
	case kafka.RecordListTooLarge:
		return "record_list_too_large", true
	case kafka.InvalidRecord:
		return "invalid_record", true
	case kafka.InvalidTimestamp:
		return "invalid_timestamp", true
	}
	return "", false
}

// perMessage turns a writer's error into a Rejected when it says which
// messages failed: the broker's answers per batch (kafka.WriteErrors), or
// the writer's refusal of one message over its batch size before anything
// was sent (kafka.MessageTooLargeError).
func perMessage(err error, kms []kafka.Message) error {
	var we kafka.WriteErrors
	if errors.As(err, &we) && len(we) == len(kms) {
		return &Rejected{Errs: []error(we), err: err}
	}
	var tl kafka.MessageTooLargeError
	if !errors.As(err, &tl) {
		return err
	}
	errs := make([]error, len(kms))
	found := false
	for i, m := range kms {
		errs[i] = ErrNotSent
		if !found && bytes.Equal(m.Key, tl.Message.Key) && bytes.Equal(m.Value, tl.Message.Value) {
			errs[i], found = kafka.MessageSizeTooLarge, true
		}
	}
	if !found {
		return err
	}
	return &Rejected{Errs: errs, err: err}
}
