package kafka

import (
	"fmt"
	"net"

	"github.com/twmb/franz-go/pkg/kfake"
)

// DefaultEmbeddedAddr is where StartEmbedded listens when given "".
const DefaultEmbeddedAddr = "127.0.0.1:9092"

// Embedded is a one-broker, in-memory Kafka-protocol cluster (franz-go's
// kfake) on a real TCP port, for tests and local runs. Its data is lost on
// Close. Topics are not created on first use: call EnsureTopics.
type Embedded struct {
	cluster *kfake.Cluster
}

// StartEmbedded starts the broker on addr (host:port; port 0 picks a free
// one; "" means DefaultEmbeddedAddr), with kfake's options (a test's
// kfake.DataDir keeps its data across a restart).
func StartEmbedded(addr string, opts ...kfake.Opt) (*Embedded, error) {
	if addr == "" {
		addr = DefaultEmbeddedAddr
	}
	// kfake listens on 127.0.0.1 and a port; ListenFn lets us honour the host too.
	listen := func(network, _ string) (net.Listener, error) { return net.Listen(network, addr) }
	cluster, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1), kfake.ListenFn(listen)}, opts...)...)
	if err != nil {
		return nil, fmt.Errorf("kafka: starting embedded broker on %s: %w", addr, err)
	}
	return &Embedded{cluster: cluster}, nil
}

// Addrs returns the broker addresses to give to clients.
func (e *Embedded) Addrs() []string {
	return e.cluster.ListenAddrs()
}

// Cluster is the kfake cluster, whose faults and controls a test injects.
func (e *Embedded) Cluster() *kfake.Cluster { return e.cluster }

// Close stops the broker. Idempotent.
func (e *Embedded) Close() {
	e.cluster.Close()
}
