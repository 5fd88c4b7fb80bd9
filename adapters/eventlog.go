package adapters

import (
	"context"
	"errors"
	"fmt"

	"github.com/flashpromo/flashpromo/app"
	"github.com/flashpromo/flashpromo/eventstore"
)

// EventLog is the store's global log as app hands it to analysts.
type EventLog struct{ Store eventstore.Store }

// ReadAll reads one page of the log; see app.EventLog.
func (l EventLog) ReadAll(ctx context.Context, q app.EventQuery) ([]app.EventView, error) {
	events, err := l.Store.ReadAll(ctx, eventstore.Query{After: q.After, Limit: q.Limit, StreamID: q.Stream, Type: q.Type})
	switch {
	case errors.Is(err, eventstore.ErrUnknownPosition):
		return nil, fmt.Errorf("%w: %w", app.ErrUnknownPosition, err)
	case err != nil:
		return nil, unavailable(err)
	}
	out := make([]app.EventView, len(events))
	for i, e := range events {
		out[i] = app.EventView{ID: e.ID, StreamID: e.StreamID, Type: e.Type, Version: e.Version, Position: e.Position,
			OccurredAt: e.OccurredAt, Data: e.Data, Metadata: e.Metadata}
	}
	return out, nil
}
