package journal

import (
	"context"
	"fmt"

	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivermigrate"
)

// schema is the journal's own tables, beside River's: the members of
// post-paid batches and the batches. Times are Unix microseconds, the same
// on both databases.
var schema = []string{
	`CREATE TABLE IF NOT EXISTS guapocado_journal_member (
		key TEXT PRIMARY KEY,
		customer_id TEXT NOT NULL,
		meter TEXT NOT NULL,
		amount BIGINT NOT NULL,
		recorded_at BIGINT NOT NULL,
		batch_id TEXT
	)`,
	`CREATE INDEX IF NOT EXISTS guapocado_journal_member_open ON guapocado_journal_member (recorded_at) WHERE batch_id IS NULL`,
	`CREATE INDEX IF NOT EXISTS guapocado_journal_member_pair ON guapocado_journal_member (customer_id, meter, recorded_at) WHERE batch_id IS NULL`,
	`CREATE INDEX IF NOT EXISTS guapocado_journal_member_batch ON guapocado_journal_member (batch_id)`,
	`CREATE TABLE IF NOT EXISTS guapocado_journal_batch (
		id TEXT PRIMARY KEY,
		customer_id TEXT NOT NULL,
		meter TEXT NOT NULL,
		amount BIGINT NOT NULL,
		members BIGINT NOT NULL,
		sealed_at BIGINT NOT NULL,
		outcome TEXT,
		error TEXT
	)`,
}

// Migrate creates or upgrades the journal's schema on the driver's
// database: River's tables (rivermigrate, up to River's latest version) and
// the journal's own (guapocado_journal_member, guapocado_journal_batch).
// Run it once per deployment before New's journals start, as a migration
// step of the application (it is safe to run again). The River CLI
// (`river migrate-up`) may run River's part instead; the journal's part is
// then the statements of this function, idempotent (CREATE … IF NOT EXISTS).
func Migrate[TTx any](ctx context.Context, driver riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New(driver, nil)
	if err != nil {
		return fmt.Errorf("journal: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("journal: migrate River: %w", err)
	}
	exec := driver.GetExecutor()
	for _, stmt := range schema {
		if err := exec.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("journal: migrate: %w", err)
		}
	}
	return nil
}
