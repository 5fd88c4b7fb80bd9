package app

import "context"

// ReadModel is everything the handlers read from memory, in one value for
// New; each handler names the part it needs beside its code.
type ReadModel interface {
	promoReads
	userReads
	fanoutReads
	promoReader
	userReader
}

// Projections are the read models an admin can inspect and rebuild.
type Projections interface {
	Status(ctx context.Context) ([]ProjectionStatus, error)
	Rebuild(ctx context.Context, name string) error // ErrNotFound for an unknown name
}
