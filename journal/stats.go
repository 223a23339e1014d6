package journal

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// Stats counts the journal's intents on its database (all instances).
// A post-paid intent is pending until sealed, in flight while its batch is
// undelivered, then delivered or dead with its batch. Delivered and Dead
// count what River still keeps (River deletes finished jobs after its
// CompletedJobRetentionPeriod, 24 hours by default); batches stay.
type Stats struct {
	Pending, InFlight, Delivered, Dead int64
	// Oldest is the age of the oldest pending or in-flight intent (0 when
	// there is none).
	Oldest time.Duration
}

var waiting = []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStateScheduled, rivertype.JobStateRetryable, rivertype.JobStatePending, rivertype.JobStateRunning}

// Stats reads the counts.
func (j *Journal[TTx]) Stats(ctx context.Context) (Stats, error) {
	var s Stats
	exec := j.driver.GetExecutor()
	err := exec.QueryRow(ctx, j.sql.q(`SELECT
		COALESCE(SUM(CASE WHEN state IN ('available', 'scheduled', 'retryable', 'pending') THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'running' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state = 'completed' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN state IN ('cancelled', 'discarded') THEN 1 ELSE 0 END), 0)
		FROM river_job WHERE kind = $1`), UsageArgs{}.Kind()).Scan(&s.Pending, &s.InFlight, &s.Delivered, &s.Dead)
	if err != nil {
		return s, fmt.Errorf("journal: stats: %w", err)
	}
	var pending, inFlight, delivered, dead, oldest int64
	err = exec.QueryRow(ctx, `SELECT
		COALESCE(SUM(CASE WHEN m.batch_id IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN m.batch_id IS NOT NULL AND b.outcome IS NULL THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN b.outcome = 'delivered' THEN 1 ELSE 0 END), 0),
		COALESCE(SUM(CASE WHEN b.outcome = 'dead' THEN 1 ELSE 0 END), 0),
		COALESCE(MIN(CASE WHEN b.outcome IS NULL THEN m.recorded_at END), 0)
		FROM guapocado_journal_member m LEFT JOIN guapocado_journal_batch b ON b.id = m.batch_id`).Scan(&pending, &inFlight, &delivered, &dead, &oldest)
	if err != nil {
		return s, fmt.Errorf("journal: stats: %w", err)
	}
	s.Pending += pending
	s.InFlight += inFlight
	s.Delivered += delivered
	s.Dead += dead
	now := time.Now()
	if oldest > 0 {
		s.Oldest = now.Sub(time.UnixMicro(oldest))
	}
	res, err := j.river.JobList(ctx, river.NewJobListParams().Kinds(UsageArgs{}.Kind()).States(waiting...).OrderBy(river.JobListOrderByID, river.SortOrderAsc).First(1))
	if err != nil {
		return s, fmt.Errorf("journal: stats: %w", err)
	}
	if len(res.Jobs) > 0 {
		s.Oldest = max(s.Oldest, now.Sub(res.Jobs[0].CreatedAt))
	}
	return s, nil
}
