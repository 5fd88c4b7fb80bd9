package app

import (
	"context"
	"log/slog"
	"time"
)

// Handler runs one command or query.
type Handler[C, R any] interface {
	Handle(ctx context.Context, c C) (R, error)
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc[C, R any] func(ctx context.Context, c C) (R, error)

func (f HandlerFunc[C, R]) Handle(ctx context.Context, c C) (R, error) { return f(ctx, c) }

// Observer records how a handler went (metrics).
type Observer interface {
	Observe(handler string, took time.Duration, err error)
}

// decorate wraps h with logging and metrics, kept out of the handlers.
func decorate[C, R any](name string, h Handler[C, R], log *slog.Logger, obs Observer) Handler[C, R] {
	return HandlerFunc[C, R](func(ctx context.Context, c C) (R, error) {
		start := time.Now()
		r, err := h.Handle(ctx, c)
		took := time.Since(start)
		obs.Observe(name, took, err)
		if err != nil {
			if kind, _ := Classify(err); kind == KindInternal || kind == KindUnavailable {
				log.ErrorContext(ctx, "handler failed", "handler", name, "took", took, "err", err)
			} else {
				log.DebugContext(ctx, "handler refused", "handler", name, "err", err)
			}
		}
		return r, err
	})
}
