package ports

import (
	"context"
	"log/slog"

	"github.com/ThreeDotsLabs/watermill"
)

// WatermillLogger is watermill's slog adapter with its info lines, one per
// message, turned into debug ones: at a million messages they would be the
// service's main work. It also asks the log first whether a level is on:
// watermill's adapter builds a line's attributes before the log drops it,
// which was 2 % of a million-user fan-out's CPU for trace lines no one saw.
func WatermillLogger(log *slog.Logger) watermill.LoggerAdapter {
	return leveled{watermill.NewSlogLoggerWithLevelMapping(log, map[slog.Level]slog.Level{slog.LevelInfo: slog.LevelDebug}), log}
}

type leveled struct {
	watermill.LoggerAdapter
	log *slog.Logger
}

func (l leveled) on(level slog.Level) bool { return l.log.Enabled(context.Background(), level) }

func (l leveled) Info(msg string, fields watermill.LogFields) {
	if l.on(slog.LevelDebug) { // where Info is mapped
		l.LoggerAdapter.Info(msg, fields)
	}
}

func (l leveled) Debug(msg string, fields watermill.LogFields) {
	if l.on(slog.LevelDebug) {
		l.LoggerAdapter.Debug(msg, fields)
	}
}

func (l leveled) Trace(msg string, fields watermill.LogFields) {
	if l.on(watermill.LevelTrace) {
		l.LoggerAdapter.Trace(msg, fields)
	}
}

func (l leveled) With(fields watermill.LogFields) watermill.LoggerAdapter {
	return leveled{l.LoggerAdapter.With(fields), l.log}
}
