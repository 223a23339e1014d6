package journal

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
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
		sealed, err := j.sealSome(ctx)
		if err != nil || !sealed {
			return err
		}
	}
}

// sealBatches bounds the batches one seal transaction forms (the oldest
// first), so that a large backlog is sealed in transactions of a bounded
// size.
const sealBatches = 128

// sealLock is the PostgreSQL advisory lock that makes sealers (the
// periodic seal of each instance, Close) take turns: each marks many
// members, and two marking the same rows in different orders could
// deadlock.
const sealLock = 0x6775_6170_6f63_6164 // "guapocad"

// sealSome seals open intents, grouped by customer and meter into batches
// of at most WithBatch's maxMembers (at most sealBatches, oldest first), in one
// transaction of a few statements whatever their number: the members are
// marked with their batch, the batches' rows stored with the totals of the
// members marked, and their jobs inserted (InsertManyFastTx). A crash
// before the commit leaves the members open; after it, each batch is what
// it is, whatever happens next. It reports whether there was something to
// seal.
func (j *Journal[TTx]) sealSome(ctx context.Context) (bool, error) {
	tx, err := j.driver.GetExecutor().Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	if !j.sql.sqlite {
		if err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(sealLock)); err != nil {
			return false, fmt.Errorf("journal: seal: %w", err)
		}
	}
	batches, err := j.markMembers(ctx, tx)
	if err != nil || len(batches) == 0 {
		return false, err
	}
	jobs := make([]river.InsertManyParams, len(batches))
	for i, b := range batches {
		jobs[i] = river.InsertManyParams{Args: b}
	}
	if _, err := j.river.InsertManyFastTx(ctx, j.driver.UnwrapTx(tx), jobs); err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	for range batches {
		j.point("seal:before-commit")
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("journal: seal: %w", err)
	}
	return true, nil
}

// chunkedOpen numbers open members by batch: those of one customer and
// meter, oldest first, in chunks of at most $3; the chunks, oldest first
// member first, are the batches n = 1, 2, …, of which the first $2 are
// sealed now. Both dialects share it.
const chunkedOpen = `WITH chunked AS (
		SELECT key, customer_id, meter, recorded_at,
			(ROW_NUMBER() OVER (PARTITION BY customer_id, meter ORDER BY recorded_at, key) - 1) / $3 AS chunk
		FROM guapocado_journal_member WHERE batch_id IS NULL
	), batches AS (
		SELECT customer_id, meter, chunk, ROW_NUMBER() OVER (ORDER BY MIN(recorded_at), customer_id, meter, chunk) AS n
		FROM chunked GROUP BY customer_id, meter, chunk
	), numbered AS (
		SELECT chunked.key, batches.n FROM chunked JOIN batches
			ON batches.customer_id = chunked.customer_id AND batches.meter = chunked.meter AND batches.chunk = chunked.chunk
		WHERE batches.n <= $2
	)`

// markOpen points the numbered members at their batch, "<seal>-<n>". A
// member another sealer took meanwhile fails "batch_id IS NULL" when the
// UPDATE re-checks it, so no member joins two batches.
const markOpen = `UPDATE guapocado_journal_member SET batch_id = CAST($1 AS TEXT) || '-' || CAST(numbered.n AS TEXT)
	FROM numbered
	WHERE guapocado_journal_member.key = numbered.key AND guapocado_journal_member.batch_id IS NULL`

// sealedBatch is a batch as the seal statements report it (JSON).
type sealedBatch struct {
	ID       string `json:"id"`
	Customer string `json:"c"`
	Meter    string `json:"m"`
	Amount   int64  `json:"a"`
	Members  int64  `json:"n"`
}

// markMembers points open members at new batches (at most sealBatches,
// oldest first), at most batchMax members of one customer and meter each,
// stores the batches' rows with the totals and counts of the members
// marked, and returns them. PostgreSQL does it in one statement; SQLite,
// which has no UPDATE in a WITH, in three (on a local file).
func (j *Journal[TTx]) markMembers(ctx context.Context, tx riverdriver.ExecutorTx) ([]BatchArgs, error) {
	seal := randomID()
	now := time.Now()
	var out string
	if j.sql.sqlite {
		err := tx.Exec(ctx, j.sql.q(chunkedOpen+markOpen), seal, sealBatches, int64(j.cfg.batchMax))
		if err != nil {
			return nil, fmt.Errorf("journal: seal: %w", err)
		}
		// The batch ids of this seal are the ones between "<seal>-" and
		// "<seal>." in SQLite's byte order ('.' follows '-').
		err = tx.Exec(ctx, `INSERT INTO guapocado_journal_batch (id, customer_id, meter, amount, members, sealed_at)
			SELECT batch_id, MIN(customer_id), MIN(meter), SUM(amount), COUNT(*), ?3 FROM guapocado_journal_member
			WHERE batch_id >= ?1 AND batch_id < ?2 GROUP BY batch_id`, seal+"-", seal+".", now.UnixMicro())
		if err != nil {
			return nil, fmt.Errorf("journal: seal: %w", err)
		}
		err = tx.QueryRow(ctx, `SELECT COALESCE(json_group_array(json_object('id', id, 'c', customer_id, 'm', meter, 'a', amount, 'n', members)), '[]')
			FROM guapocado_journal_batch WHERE id >= ?1 AND id < ?2`, seal+"-", seal+".").Scan(&out)
		if err != nil {
			return nil, fmt.Errorf("journal: seal: %w", err)
		}
	} else {
		err := tx.QueryRow(ctx, chunkedOpen+`, marked AS (`+markOpen+`
			RETURNING guapocado_journal_member.batch_id, guapocado_journal_member.customer_id, guapocado_journal_member.meter, guapocado_journal_member.amount
		), stored AS (
			INSERT INTO guapocado_journal_batch (id, customer_id, meter, amount, members, sealed_at)
			SELECT batch_id, MIN(customer_id), MIN(meter), SUM(amount), COUNT(*), CAST($4 AS BIGINT) FROM marked GROUP BY batch_id
			RETURNING id, customer_id, meter, amount, members
		)
		SELECT COALESCE(json_agg(json_build_object('id', id, 'c', customer_id, 'm', meter, 'a', amount, 'n', members)), '[]')::text FROM stored`,
			seal, sealBatches, int64(j.cfg.batchMax), now.UnixMicro()).Scan(&out)
		if err != nil {
			return nil, fmt.Errorf("journal: seal: %w", err)
		}
	}
	var sealed []sealedBatch
	if err := json.Unmarshal([]byte(out), &sealed); err != nil {
		return nil, fmt.Errorf("journal: seal: %w", err)
	}
	slices.SortFunc(sealed, func(a, b sealedBatch) int { return strings.Compare(a.ID, b.ID) })
	batches := make([]BatchArgs, len(sealed))
	for i, b := range sealed {
		batches[i] = BatchArgs{BatchID: b.ID, CustomerID: b.Customer, Meter: b.Meter, Amount: b.Amount, Members: b.Members, SealedAt: now}
	}
	return batches, nil
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
