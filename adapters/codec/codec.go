// Package codec turns domain events into the store's bytes and back, by the
// events' stable names (never their Go type names).
package codec

import (
	"fmt"
	"reflect"
	"time"

	"github.com/google/uuid"
	"github.com/segmentio/encoding/json"

	"github.com/flashpromo/flashpromo/domain"
	"github.com/flashpromo/flashpromo/eventstore"
)

// types maps an event name to its Go type.
var types = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, e := range domain.EventTypes() {
		m[e.EventName()] = reflect.TypeOf(e)
	}
	return m
}()

// Encode makes a storable event of e, with a new id.
func Encode(e domain.Event, at time.Time) (eventstore.NewEvent, error) {
	return EncodeWithID(NewID(), e, at)
}

// NewID returns a time-ordered id (UUIDv7): new ids land at the right edge
// of the store's id index instead of on a random page of it, which matters
// when a fan-out writes a million of them.
func NewID() string {
	id, err := uuid.NewV7()
	if err != nil { // only when the system's random source fails
		return uuid.NewString()
	}
	return id.String()
}

// EncodeWithID makes a storable event of e with the given id.
func EncodeWithID(id string, e domain.Event, at time.Time) (eventstore.NewEvent, error) {
	data, err := json.Marshal(e)
	if err != nil {
		return eventstore.NewEvent{}, fmt.Errorf("encode %s: %w", e.EventName(), err)
	}
	return eventstore.NewEvent{ID: id, Type: e.EventName(), OccurredAt: at, Data: data}, nil
}

// Decode reads a stored event; ok is false for a type this build does not know.
func Decode(e eventstore.Event) (ev domain.Event, ok bool, err error) {
	t, known := types[e.Type]
	if !known {
		return nil, false, nil
	}
	p := reflect.New(t)
	if err := json.Unmarshal(e.Data, p.Interface()); err != nil {
		return nil, true, fmt.Errorf("decode %s %s: %w", e.Type, e.ID, err)
	}
	return p.Elem().Interface().(domain.Event), true, nil
}

// DecodeAll reads a stream's events, skipping unknown types.
func DecodeAll(events []eventstore.Event) ([]domain.Event, error) {
	out := make([]domain.Event, 0, len(events))
	for _, e := range events {
		ev, ok, err := Decode(e)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, ev)
		}
	}
	return out, nil
}
