// Command flashpromo serves the Flash Promo API and operates its event log.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
	_ "time/tzdata" // FLASHPROMO_TIMEZONE works on machines without a zone database

	"github.com/spf13/cobra"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/ports"
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
	cfg := defaultConfig()
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the API",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyEnv(cmd.Flags()); err != nil {
				return err
			}
			return serve(cmd.Context(), cfg, slog.New(slog.NewTextHandler(os.Stderr, nil)))
		},
	}
	cfg.flags(cmd.Flags())
	return cmd
}

// serve runs until ctx ends, then stops taking requests, finishes those in
// flight, stops the background work (relay checkpoints are saved batch by
// batch) and only then closes the bus and the store.
func serve(ctx context.Context, cfg config, log *slog.Logger) error {
	if err := setMemoryLimit(cfg.MemoryLimit, log); err != nil {
		return err
	}
	svc, err := newService(ctx, cfg, app.SystemClock{}, log)
	if err != nil {
		return err
	}
	defer svc.close()
	srv := ports.NewHTTPServer(cfg.HTTPAddr, svc.handler)
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	ran := make(chan error, 1)
	failed := make(chan error, 1)
	// The port opens at once: /livez answers, /readyz says what is missing,
	// and the API answers 503 until the read models have caught up.
	log.Info("listening", "addr", cfg.HTTPAddr)
	go func() {
		if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
			failed <- err
		}
	}()
	go func() {
		ran <- svc.run(work, func() { log.Info("ready: serving the API", "addr", cfg.HTTPAddr) })
	}()
	select {
	case err := <-ran:
		return err
	case err := <-failed:
		stopWork()
		return errors.Join(err, <-ran)
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight")
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	err = srv.Shutdown(shutdown)
	stopWork()
	return errors.Join(err, <-ran)
}
