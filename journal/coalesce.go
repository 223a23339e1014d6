package journal

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// sealWorker runs the periodic seal.
type sealWorker[TTx any] struct {
	river.WorkerDefaults[SealArgs]
	j *Journal[TTx]
}

func (w *sealWorker[TTx]) Work(ctx context.Context, _ *river.Job[SealArgs]) error {
	return w.j.sealAll(ctx)
}

// sealAll seals open post-paid intents into batches until none is left.
func (j *Journal[TTx]) sealAll(ctx context.Context) error {
	for {
		sealed, err := j.sealOne(ctx)
		if err != nil || !sealed {
			return err
		}
	}
}

// sealOne seals the oldest open intents of one customer and meter (at most
// WithBatch's maxMembers) into a batch, in one transaction: the members
// point at the batch, the batch row holds their total, and the batch's job
// is inserted. A crash before the commit leaves the members open; after
// it, the batch is what it is, whatever happens next. It reports whether
// there was something to seal.
func (j *Journal[TTx]) sealOne(ctx context.Context) (bool, error) {
	tx, err := j.driver.GetExecutor().Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	var (
		open            int64
		customer, meter string
	)
	err = tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(MAX(customer_id), ''), COALESCE(MAX(meter), '') FROM (
		SELECT customer_id, meter FROM guapocado_journal_member WHERE batch_id IS NULL ORDER BY recorded_at LIMIT 1) AS oldest`).Scan(&open, &customer, &meter)
	if err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	if open == 0 {
		return false, nil
	}
	id := randomID()
	now := time.Now()
	// A member another sealer took meanwhile fails "batch_id IS NULL" when
	// PostgreSQL re-checks the locked row, so no member joins two batches.
	err = tx.Exec(ctx, j.sql.q(`UPDATE guapocado_journal_member SET batch_id = $1
		WHERE batch_id IS NULL AND key IN (
			SELECT key FROM guapocado_journal_member WHERE batch_id IS NULL AND customer_id = $2 AND meter = $3
			ORDER BY recorded_at LIMIT $4)`), id, customer, meter, j.cfg.batchMax)
	if err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	var amount, members int64
	err = tx.QueryRow(ctx, j.sql.q(`INSERT INTO guapocado_journal_batch (id, customer_id, meter, amount, members, sealed_at)
		SELECT CAST($1 AS TEXT), CAST($2 AS TEXT), CAST($3 AS TEXT), COALESCE(SUM(amount), 0), COUNT(*), CAST($4 AS BIGINT)
		FROM guapocado_journal_member WHERE batch_id = $1
		RETURNING amount, members`), id, customer, meter, now.UnixMicro()).Scan(&amount, &members)
	if err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	if members == 0 {
		return true, nil // another sealer took them: look again
	}
	args := BatchArgs{BatchID: id, CustomerID: customer, Meter: meter, Amount: amount, Members: members, SealedAt: now}
	if _, err := j.river.InsertTx(ctx, j.driver.UnwrapTx(tx), args, nil); err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	j.point("seal:before-commit")
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	return true, nil
}

// batchWorker delivers a sealed batch: its total under its own key.
type batchWorker[TTx any] struct {
	river.WorkerDefaults[BatchArgs]
	j *Journal[TTx]
}

func (w *batchWorker[TTx]) Work(ctx context.Context, job *river.Job[BatchArgs]) error {
	a := job.Args
	u := Usage{CustomerID: a.CustomerID, Meter: a.Meter, Amount: a.Amount, Key: a.key()}
	d := Dead{Usage: u, BatchID: a.BatchID, Members: a.Members, Attempt: job.Attempt}
	w.j.point("deliver:start")
	if job.Attempt > 1 && time.Since(a.SealedAt) > w.j.cfg.retention {
		d.Err = ErrKeyExpired
		return w.j.dieBatch(ctx, d)
	}
	_, err := w.j.send(ctx, u)
	w.j.point("deliver:answered")
	switch {
	case err == nil:
		return w.j.markBatch(ctx, a.BatchID, "delivered", "")
	case refused(err):
		d.Err = err
		return w.j.dieBatch(ctx, d)
	}
	d.Err = err
	if job.Attempt >= job.MaxAttempts {
		_ = w.j.markBatch(ctx, a.BatchID, "dead", err.Error())
	}
	return w.j.retry(ctx, job.Attempt, job.MaxAttempts, d)
}

func (j *Journal[TTx]) dieBatch(ctx context.Context, d Dead) error {
	if err := j.markBatch(ctx, d.BatchID, "dead", d.Err.Error()); err != nil {
		return err
	}
	return j.die(ctx, d)
}

// markBatch records a batch's outcome for Stats (the job's state is
// River's; this is the members' view of it).
func (j *Journal[TTx]) markBatch(ctx context.Context, id, outcome, msg string) error {
	err := j.driver.GetExecutor().Exec(ctx, j.sql.q(`UPDATE guapocado_journal_batch SET outcome = $1, error = $2 WHERE id = $3`), outcome, msg, id)
	if err != nil {
		return fmt.Errorf("journal: batch %s: %w", id, err)
	}
	return nil
}
