package outbox

import (
	"fmt"
	"slices"
	"testing"

	"github.com/ThreeDotsLabs/watermill/message"
	kafkago "github.com/segmentio/kafka-go"

	"github.com/flashpromo/flashpromo/adapters/kafka"
)

// A failed publish is sorted into what to send again and what was refused
// for good, keeping the order of a partition: a refusal after a failure
// waits with it.
func TestSortOutKeepsOrderAndWaitsOnlyForFailures(t *testing.T) {
	msgs := make([]*message.Message, 4)
	for i := range msgs {
		msgs[i] = message.NewMessage(fmt.Sprint(i), nil)
	}
	ids := func(ms []*message.Message) []string {
		var s []string
		for _, m := range ms {
			s = append(s, m.UUID)
		}
		return s
	}
	for _, c := range []struct {
		errs           []error
		again, refused []string
		wait           bool
	}{
		{[]error{kafkago.MessageSizeTooLarge, nil, kafka.ErrNotSent, kafkago.InvalidRecord}, []string{"2"}, []string{"0", "3"}, false},
		{[]error{nil, kafkago.NotLeaderForPartition, kafkago.MessageSizeTooLarge, nil}, []string{"1", "2"}, nil, true},
		{[]error{kafka.ErrNotSent, kafkago.MessageSizeTooLarge, kafka.ErrNotSent, kafka.ErrNotSent}, []string{"0", "2", "3"}, []string{"1"}, false},
	} {
		again, refused, wait := sortOut(&kafka.Rejected{Errs: c.errs}, msgs)
		var got []string
		for _, r := range refused {
			got = append(got, r.msg.UUID)
		}
		if !slices.Equal(ids(again), c.again) || !slices.Equal(got, c.refused) || wait != c.wait {
			t.Errorf("%v: again %v refused %v wait %v, want %v %v %v", c.errs, ids(again), got, wait, c.again, c.refused, c.wait)
		}
	}
	if again, _, wait := sortOut(fmt.Errorf("broker away"), msgs); len(again) != 4 || !wait {
		t.Errorf("an error naming no message: send all again after a wait")
	}
}
