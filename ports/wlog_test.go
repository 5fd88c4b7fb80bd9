package ports

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/ThreeDotsLabs/watermill"
)

// The adapter writes what the log's level lets through, info lines as
// debug ones, and nothing below it.
func TestWatermillLoggerKeepsToTheLevel(t *testing.T) {
	for _, c := range []struct {
		level slog.Level
		want  []string
		not   []string
	}{
		{slog.LevelInfo, []string{"an error"}, []string{"an info", "a debug", "a trace"}},
		{slog.LevelDebug, []string{"an error", "an info", "a debug"}, []string{"a trace"}},
		{watermill.LevelTrace, []string{"an error", "an info", "a debug", "a trace"}, nil},
	} {
		var out bytes.Buffer
		l := WatermillLogger(slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: c.level}))).
			With(watermill.LogFields{"topic": "t"})
		l.Error("an error", nil, nil)
		l.Info("an info", watermill.LogFields{"k": 1})
		l.Debug("a debug", nil)
		l.Trace("a trace", nil)
		for _, w := range c.want {
			if !strings.Contains(out.String(), w) {
				t.Errorf("level %v: %q missing from\n%s", c.level, w, out.String())
			}
		}
		for _, n := range c.not {
			if strings.Contains(out.String(), n) {
				t.Errorf("level %v: %q written:\n%s", c.level, n, out.String())
			}
		}
		if !strings.Contains(out.String(), "topic=t") {
			t.Errorf("level %v: With's fields lost:\n%s", c.level, out.String())
		}
	}
}
