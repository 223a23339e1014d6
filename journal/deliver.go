package journal

import (
	"context"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/riverqueue/river"
)

// Dead is an intent (or a post-paid batch) the journal gave up on: the
// platform refused it for good, it ran out of attempts, or its key
// outlived the platform's retention (ErrKeyExpired).
type Dead struct {
	// Usage is the intent; for a batch, its customer, meter, total and the
	// batch's key.
	Usage Usage
	// BatchID and Members name a post-paid batch ("" and 0 otherwise).
	BatchID string
	Members int64
	Err     error
	Attempt int
}

// River's fetch timing for the journal's deliveries (WithRiverConfig
// may change it).
const (
	fetchCooldown     = 10 * time.Millisecond
	fetchPollInterval = 100 * time.Millisecond
)

// usageWorker delivers one intent.
type usageWorker[TTx any] struct {
	river.WorkerDefaults[UsageArgs]
	j *Journal[TTx]
}

func (w *usageWorker[TTx]) Work(ctx context.Context, job *river.Job[UsageArgs]) error {
	a := job.Args
	w.j.point("deliver:start")
	if (job.Attempt > 1 || a.Direct) && time.Since(a.RecordedAt) > w.j.cfg.retention {
		return w.j.die(ctx, Dead{Usage: a.Usage, Err: ErrKeyExpired, Attempt: job.Attempt})
	}
	_, err := w.j.send(ctx, a.Usage)
	w.j.point("deliver:answered")
	switch {
	case err == nil && a.Compensate:
		_, err = w.j.api.Usage.Refund(ctx, a.Meter, a.Amount, guapocado.ForCustomer(a.CustomerID), guapocado.WithIdempotencyKey(a.Key+":refund"))
		if err != nil && refused(err) {
			return w.j.die(ctx, Dead{Usage: a.Usage, Err: err, Attempt: job.Attempt})
		}
		return w.j.retry(ctx, job.Attempt, job.MaxAttempts, Dead{Usage: a.Usage, Err: err, Attempt: job.Attempt})
	case err == nil:
		return nil
	case refused(err) && a.Compensate:
		return river.JobCancel(err) // nothing was consumed: nothing to compensate
	case refused(err):
		return w.j.die(ctx, Dead{Usage: a.Usage, Err: err, Attempt: job.Attempt})
	}
	return w.j.retry(ctx, job.Attempt, job.MaxAttempts, Dead{Usage: a.Usage, Err: err, Attempt: job.Attempt})
}

// send consumes u on the platform under u.Key.
func (j *Journal[TTx]) send(ctx context.Context, u Usage) (*guapocado.Usage, error) {
	return j.api.Usage.Consume(ctx, u.Meter, u.Amount, guapocado.ForCustomer(u.CustomerID), guapocado.WithIdempotencyKey(u.Key))
}

// die hands d to the dead-letter callback and cancels the job, which River
// keeps with its error.
func (j *Journal[TTx]) die(ctx context.Context, d Dead) error {
	if j.cfg.dead != nil {
		j.cfg.dead(ctx, d)
	}
	return river.JobCancel(d.Err)
}

// retry returns err for River to retry with the same key, or, on the last
// attempt, hands it to the dead letters.
func (j *Journal[TTx]) retry(ctx context.Context, attempt, max int, d Dead) error {
	if d.Err == nil {
		return nil
	}
	if attempt >= max {
		if j.cfg.dead != nil {
			j.cfg.dead(ctx, d)
		}
	}
	return d.Err
}
