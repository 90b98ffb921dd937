package store

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrSchemaTooNew is wrapped by Open when the database was migrated by a
// newer hirewire than this one: upgrade the binary, never downgrade data.
var ErrSchemaTooNew = errors.New("database schema is newer than this binary")

// migrate brings the schema up to the newest version the dialect knows, in
// one transaction, and refuses a database that is ahead of it.
func migrate(ctx context.Context, b backend, d dialect, now time.Time) error {
	return b.write(ctx, func(tx q) error {
		if d.migrateLock != "" {
			if _, err := tx.exec(ctx, d.migrateLock); err != nil {
				return fmt.Errorf("locking migrations: %w", err)
			}
		}
		if err := tx.script(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
			version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)`); err != nil {
			return fmt.Errorf("creating schema_migrations: %w", err)
		}
		var have int
		err := tx.row(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&have)
		if err != nil {
			return fmt.Errorf("reading schema version: %w", err)
		}
		if have > len(d.migrations) {
			return fmt.Errorf("%w: version %d, this binary knows %d", ErrSchemaTooNew, have, len(d.migrations))
		}
		for v := have + 1; v <= len(d.migrations); v++ {
			if err := tx.script(ctx, d.migrations[v-1]); err != nil {
				return fmt.Errorf("applying migration %d: %w", v, err)
			}
			_, err := tx.exec(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`, v, ms(now))
			if err != nil {
				return fmt.Errorf("recording migration %d: %w", v, err)
			}
		}
		return nil
	})
}
