package kafka_test

import (
	"strings"
	"testing"

	"github.com/flashpromo/flashpromo/adapters/kafka"
)

func TestEmbeddedListensWhereAsked(t *testing.T) {
	e, err := kafka.StartEmbedded("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addrs := e.Addrs()
	if len(addrs) != 1 || !strings.HasPrefix(addrs[0], "127.0.0.1:") || strings.HasSuffix(addrs[0], ":0") {
		t.Fatalf("Addrs = %v, want one 127.0.0.1 address with a real port", addrs)
	}
	// The address is taken until Close, and Close is idempotent.
	if _, err := kafka.StartEmbedded(addrs[0]); err == nil {
		t.Fatal("a second broker started on a taken address")
	}
	e.Close()
	e.Close()
}
