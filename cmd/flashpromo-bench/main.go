// Command flashpromo-bench loads a running Flash Promo server and prints
// the figures of BENCHMARKS.md: a fan-out, a flash crowd, reads; and soaks
// it in a mixed load, checking the invariants after (RELIABILITY.md).
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/flashpromo/flashpromo/adapters/kafka"
	"github.com/flashpromo/flashpromo/internal/loadgen"
	"github.com/flashpromo/flashpromo/internal/topology"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := command().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "flashpromo-bench:", err)
		os.Exit(1)
	}
}

func command() *cobra.Command {
	l := &loadgen.Loader{}
	root := &cobra.Command{Use: "flashpromo-bench", Short: "Load a running server and print figures (see BENCHMARKS.md)",
		SilenceUsage: true, SilenceErrors: true}
	fs := root.PersistentFlags()
	fs.StringVar(&l.Server, "server", "http://127.0.0.1:8080", "base URL of the running server")
	fs.StringVar(&l.AdminToken, "admin-token", os.Getenv("FLASHPROMO_ADMIN_TOKEN"), "admin bearer token (FLASHPROMO_ADMIN_TOKEN)")
	fs.StringVar(&l.Token, "token", os.Getenv("FLASHPROMO_TOKEN"), "a JWT to call with instead of the admin token (FLASHPROMO_TOKEN)")
	fs.StringVar(&l.JWTSecret, "jwt-secret", os.Getenv("FLASHPROMO_JWT_SECRET"), "the server's JWT secret, to call as each user with a token of its own (FLASHPROMO_JWT_SECRET)")
	fs.IntVar(&l.Concurrency, "concurrency", 64, "connections at once")
	fs.StringVar(&l.Run, "run", "", "prefix of this run's ids (default: the time)")
	root.PersistentPreRun = func(cmd *cobra.Command, _ []string) {
		l.Out = cmd.OutOrStdout()
		l.Prepare()
	}
	// Each scenario its own variables: flags that share one take the
	// default of the last one registered.
	var fanoutUsers, crowdUsers, queryUsers, promos, stock, requests, peerUsers int
	var fanoutReads bool
	var spreadKm float64
	var duration time.Duration
	var databaseURL string
	fanout := &cobra.Command{Use: "fanout", Short: "Seed users, activate a promo that covers them all, time until each is notified",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return l.Fanout(cmd.Context(), fanoutUsers, databaseURL, min(peerUsers, fanoutUsers), fanoutReads)
		}}
	fanout.Flags().IntVar(&fanoutUsers, "users", 100_000, "eligible users to seed")
	fanout.Flags().BoolVar(&fanoutReads, "reads", false, "users read their promos while the fan-out is delivered, then as long after it (the relay's and the peers' figures are not taken)")
	fanout.Flags().IntVar(&peerUsers, "peer-users", 100_000, "users the peers' way (a bulk insert of 1,000 a statement) notifies for comparison; 0: none")
	fanout.Flags().StringVar(&databaseURL, "database-url", os.Getenv("FLASHPROMO_DATABASE_URL"),
		"the server's Postgres, for the peers' way (FLASHPROMO_DATABASE_URL)")
	reserve := &cobra.Command{Use: "reserve", Short: "A flash crowd on one promo: many users reserve few units",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return l.Reserve(cmd.Context(), crowdUsers, stock, requests)
		}}
	reserve.Flags().IntVar(&crowdUsers, "users", 5_000, "distinct eligible users")
	reserve.Flags().IntVar(&stock, "stock", 1_000, "units of the promo")
	reserve.Flags().IntVar(&requests, "requests", 20_000, "reservation requests")
	query := &cobra.Command{Use: "query", Short: "Users read the promos they may see",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return l.Query(cmd.Context(), queryUsers, promos, spreadKm*1000, duration)
		}}
	query.Flags().IntVar(&queryUsers, "users", 100_000, "users to seed")
	query.Flags().IntVar(&promos, "promos", 1_000, "active promos to seed")
	query.Flags().Float64Var(&spreadKm, "spread-km", 25, "radius around the centre over which users and promos are scattered")
	query.Flags().DurationVar(&duration, "duration", 10*time.Second, "how long to read")
	var soakFor time.Duration
	var soakUsers int
	soak := &cobra.Command{Use: "soak", Short: "A mixed load of every kind at once; p50/p99 and memory per minute, then the invariants from the log",
		RunE: func(cmd *cobra.Command, _ []string) error {
			return l.Soak(cmd.Context(), soakUsers, soakFor)
		}}
	soak.Flags().IntVar(&soakUsers, "users", 2_000, "users registered before the load, the population of a service in use")
	soak.Flags().DurationVar(&soakFor, "duration", 10*time.Minute, "how long to load (from 10m on, memory and p99 must not grow)")
	if exe, err := os.Executable(); err == nil {
		l.StaticCommand = []string{exe, "static"}
	}
	root.AddCommand(fanout, reserve, query, soak, broker(), relay(), static())
	return root
}

// static is the query's ceiling: a static server in a process of its own.
func static() *cobra.Command {
	return &cobra.Command{Use: "static SIZE", Short: "Answer every request with a reply of SIZE bytes (the query's ceiling)",
		Hidden: true, Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			size, err := strconv.Atoi(args[0])
			if err != nil {
				return err
			}
			return loadgen.ServeStatic(cmd.Context(), size, cmd.OutOrStdout())
		}}
}

// broker runs a Kafka-protocol broker (kfake) in a process of its own, with
// the topics the service ensures, until interrupted.
func broker() *cobra.Command {
	var addr string
	var partitions int
	cmd := &cobra.Command{Use: "broker", Short: "Run a Kafka-protocol broker (kfake, in memory) with the service's topics until interrupted",
		RunE: func(cmd *cobra.Command, _ []string) error {
			b, err := kafka.StartEmbedded(addr)
			if err != nil {
				return err
			}
			defer b.Close()
			if err := kafka.EnsureTopics(cmd.Context(), b.Addrs(), partitions, topology.Topics()...); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "broker: listening on %s, topics %v of %d partitions\n", b.Addrs()[0], topology.Topics(), partitions)
			<-cmd.Context().Done()
			return nil
		}}
	cmd.Flags().StringVar(&addr, "addr", kafka.DefaultEmbeddedAddr, "host:port to listen on")
	cmd.Flags().IntVar(&partitions, "partitions", 6, "partitions of each topic (the service's FLASHPROMO_KAFKA_PARTITIONS)")
	return cmd
}

// relay measures the relay alone against a running broker, beside its
// ceiling.
func relay() *cobra.Command {
	b := loadgen.RelayBench{}
	var brokers string
	var compression string
	cmd := &cobra.Command{Use: "relay", Short: "Relay notifications already in a store to a broker; beside kafka-go's Writer writing the same messages",
		RunE: func(cmd *cobra.Command, _ []string) error {
			b.Brokers, b.Out = strings.Split(brokers, ","), cmd.OutOrStdout()
			if compression != "" {
				if err := b.Publisher.Compression.UnmarshalText([]byte(compression)); err != nil {
					return err
				}
				b.Publisher.Uncompressed = b.Publisher.Compression == 0
			}
			return b.Run(cmd.Context())
		}}
	fs := cmd.Flags()
	fs.StringVar(&brokers, "brokers", kafka.DefaultEmbeddedAddr, "the broker (flashpromo-bench broker); the relay's topics there are emptied")
	fs.IntVar(&b.Events, "events", 200_000, "NotificationSent events to relay (two messages each)")
	fs.IntVar(&b.Partitions, "partitions", 6, "partitions of the relay's topics")
	fs.IntVar(&b.Write, "write", 5000, "messages a write of the ceiling")
	fs.StringVar(&b.DatabaseURL, "database-url", "", "a Postgres schema to seed and relay from (default: the memory store)")
	fs.StringVar(&compression, "compression", "", "the publisher's compression: none, gzip, snappy, lz4 (its default), zstd")
	fs.IntVar(&b.Publisher.BatchSize, "batch-size", 0, "override the publisher's batch size (messages)")
	fs.DurationVar(&b.Publisher.BatchTimeout, "batch-timeout", 0, "override the publisher's batch timeout")
	return cmd
}
