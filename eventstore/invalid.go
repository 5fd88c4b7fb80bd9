package eventstore

import "errors"

// ErrInvalidArgument is wrapped by errors about a malformed call (an empty
// stream id, an event id repeated in one call, data that is not JSON, ...):
// a bug of the caller, never a state of the store.
var ErrInvalidArgument = errors.New("eventstore: invalid argument")
