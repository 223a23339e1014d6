package journal

import (
	"context"
	"fmt"
)

// ResumeNow makes every undelivered intent and batch on the journal's
// database due at once: those waiting for a retry, and those a process
// that died left running (River's rescuer would take them over only after
// RescueStuckJobsAfter). Call it before Start, and only on a database no
// running instance uses, such as the SQLite file of a command that runs
// one at a time: a delivery that is in fact running would be sent a second
// time (harmless under its key, but a second call).
func (j *Journal[TTx]) ResumeNow(ctx context.Context) error {
	now := "now()"
	if j.sql.sqlite {
		now = "datetime('now', 'subsec')" // River's own format on SQLite
	}
	err := j.driver.GetExecutor().Exec(ctx, j.sql.q(`UPDATE river_job SET state = 'available', scheduled_at = `+now+`, finalized_at = NULL
		WHERE queue = $1 AND state IN ('retryable', 'scheduled', 'running')`), queue)
	if err != nil {
		return fmt.Errorf("journal: resume: %w", err)
	}
	return nil
}
