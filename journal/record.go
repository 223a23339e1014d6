package journal

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// Record writes u in a transaction of its own and returns its key (minted
// when u.Key is empty). Prefer RecordTx, in the transaction of the work
// the usage is for: Record alone cannot tie the charge to that work.
func (j *Journal[TTx]) Record(ctx context.Context, u Usage) (string, error) {
	if err := u.check(); err != nil {
		return "", err
	}
	tx, err := j.driver.GetExecutor().Begin(ctx)
	if err != nil {
		return "", fmt.Errorf("journal: record: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // after Commit it is a no-op
	key, err := j.RecordTx(ctx, j.driver.UnwrapTx(tx), u)
	if err != nil {
		return "", err
	}
	if err := tx.Commit(ctx); err != nil {
		return "", fmt.Errorf("journal: record: %w", err)
	}
	return key, nil
}

// RecordTx writes u in the caller's transaction tx and returns its key
// (minted when u.Key is empty): the intent exists exactly when tx commits,
// and is delivered after that. Recording a key that is already recorded
// charges it once: the platform applies a key once, and a post-paid
// meter's journal keeps one member per key.
func (j *Journal[TTx]) RecordTx(ctx context.Context, tx TTx, u Usage) (string, error) {
	if err := u.check(); err != nil {
		return "", err
	}
	u = u.withKey()
	now := time.Now()
	if j.cfg.postpaid[u.Meter] {
		if err := j.recordMember(ctx, tx, u, now); err != nil {
			return "", err
		}
		return u.Key, nil
	}
	if err := j.insertUsage(ctx, tx, UsageArgs{Usage: u, RecordedAt: now}); err != nil {
		return "", fmt.Errorf("journal: record: %w", err)
	}
	return u.Key, nil
}

// insertUsage inserts one intent's job in tx in the cheapest statement the
// database has for it: River's InsertTx on PostgreSQL (one INSERT, where
// InsertManyFastTx would COPY in two round trips), its InsertManyFastTx on
// SQLite (the INSERT without RETURNING the row, which nothing reads).
func (j *Journal[TTx]) insertUsage(ctx context.Context, tx TTx, args UsageArgs) error {
	var err error
	if j.sql.sqlite {
		_, err = j.river.InsertManyFastTx(ctx, tx, []river.InsertManyParams{{Args: args}})
	} else {
		_, err = j.river.InsertTx(ctx, tx, args, nil)
	}
	return err
}

// RecordManyTx writes us in the caller's transaction tx, like RecordTx for
// each, in fewer statements (River's InsertManyFastTx: COPY on
// PostgreSQL), and returns their keys in order. Every Usage is checked
// before anything is written.
func (j *Journal[TTx]) RecordManyTx(ctx context.Context, tx TTx, us []Usage) ([]string, error) {
	for i, u := range us {
		if err := u.check(); err != nil {
			return nil, fmt.Errorf("usage %d: %w", i, err)
		}
	}
	keys := make([]string, len(us))
	now := time.Now()
	var jobs []river.InsertManyParams
	for i, u := range us {
		u = u.withKey()
		keys[i] = u.Key
		if !j.cfg.postpaid[u.Meter] {
			jobs = append(jobs, river.InsertManyParams{Args: UsageArgs{Usage: u, RecordedAt: now}})
			continue
		}
		if err := j.recordMember(ctx, tx, u, now); err != nil {
			return nil, err
		}
	}
	if len(jobs) > 0 {
		if _, err := j.river.InsertManyFastTx(ctx, tx, jobs); err != nil {
			return nil, fmt.Errorf("journal: record: %w", err)
		}
	}
	return keys, nil
}

// recordMember writes a post-paid intent, once per key, in tx.
func (j *Journal[TTx]) recordMember(ctx context.Context, tx TTx, u Usage, now time.Time) error {
	err := j.driver.UnwrapExecutor(tx).Exec(ctx, j.sql.q(`INSERT INTO guapocado_journal_member (key, customer_id, meter, amount, recorded_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING`), u.Key, u.CustomerID, u.Meter, u.Amount, now.UnixMicro())
	if err != nil {
		return fmt.Errorf("journal: record: %w", err)
	}
	return nil
}
