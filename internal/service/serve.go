package service

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/ports"
)

// Serve runs the service on cfg.HTTPAddr until ctx ends, then stops taking
// requests, finishes those in flight, stops the background work (relay
// checkpoints are saved batch by batch) and only then closes the bus and
// the store.
func Serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	if err := setMemoryLimit(cfg.MemoryLimit, log); err != nil {
		return err
	}
	svc, err := New(ctx, cfg, app.SystemClock{}, log)
	if err != nil {
		return err
	}
	defer svc.Close()
	srv := ports.NewHTTPServer(cfg.HTTPAddr, svc.Handler())
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
		ran <- svc.Run(work, func() { log.Info("ready: serving the API", "addr", cfg.HTTPAddr) })
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
