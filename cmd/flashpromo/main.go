// Command flashpromo serves the Flash Promo API and operates its event log.
// The service itself is wired in internal/service; this command parses the
// command line and runs it, or one of the operator's commands.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	_ "time/tzdata" // FLASHPROMO_TIMEZONE works on machines without a zone database

	"github.com/spf13/cobra"

	"github.com/flashpromo/flashpromo/internal/service"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := rootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "flashpromo:", err)
		os.Exit(1)
	}
}

func rootCommand() *cobra.Command {
	root := &cobra.Command{Use: "flashpromo", Short: "Flash Promo: flash sales for a marketplace", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(serveCommand(), migrateCommand(), eventsCommand(), projectionsCommand(), tokenCommand())
	return root
}

func serveCommand() *cobra.Command {
	cfg := service.DefaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := service.ApplyEnv(cmd.Flags()); err != nil {
				return err
			}
			return service.Serve(cmd.Context(), cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		},
	}
	cfg.Flags(cmd.Flags())
	return cmd
}
