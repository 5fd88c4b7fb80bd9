package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/golang-migrate/migrate/v4"
	_ "github.com/golang-migrate/migrate/v4/database/pgx/v5" // registers pgx5://
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate brings the schema at databaseURL (postgres://, postgresql:// or
// pgx5://) up to date. The tables go into the first schema of the URL's
// search_path parameter, if any. Concurrent callers are serialised by an
// advisory lock. ctx only cancels the start: golang-migrate takes none.
func Migrate(ctx context.Context, databaseURL string) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	url, err := pgx5URL(databaseURL)
	if err != nil {
		return err
	}
	src, err := iofs.New(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("eventstore/postgres: migrations: %w", err)
	}
	m, err := migrate.NewWithSourceInstance("iofs", src, url)
	if err != nil {
		return fmt.Errorf("eventstore/postgres: migrate: %w", err)
	}
	defer func() {
		srcErr, dbErr := m.Close()
		err = errors.Join(err, srcErr, dbErr)
	}()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return fmt.Errorf("eventstore/postgres: migrate up: %w", err)
	}
	return nil
}

// pgx5URL swaps the scheme for the one of golang-migrate's pgx v5 driver.
func pgx5URL(url string) (string, error) {
	for _, scheme := range []string{"postgres://", "postgresql://", "pgx5://"} {
		if rest, ok := strings.CutPrefix(url, scheme); ok {
			return "pgx5://" + rest, nil
		}
	}
	return "", fmt.Errorf("eventstore/postgres: migrate needs a postgres:// URL")
}
