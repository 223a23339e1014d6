package journal

import (
	"context"
	"fmt"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/riverqueue/river"
)

// OnCrash says what a restarted journal does with a Consume that a crash
// (or an unknown outcome) left unfinished.
type OnCrash int

const (
	// Finish charges it: the intent is delivered under its key, applied
	// once whether or not the first call had reached the platform.
	Finish OnCrash = iota
	// Compensate takes it back: the intent is delivered under its key (so
	// the outcome is known), then refunded under the key ":refund"-suffixed.
	// For gating, where the work did not happen unless Consume returned.
	Compensate
)

// Consume charges u now, for gating work on the charge, and returns the
// balance after it (POST /v1/usage/{meter}/consume under u.Key). The
// intent is committed before the request; when the call fails with an
// unknown outcome, or the process dies during it, a journal finishes the
// intent or compensates it with a refund, by onCrash, after
// WithConsumeGrace (at once after a failure Consume saw).
//
// A definite refusal (guapocado.ErrInsufficientBalance, ErrNotFound, …)
// is returned and nothing stays recorded. Any other error means the
// outcome is the journal's to settle: do not grant the work.
func (j *Journal[TTx]) Consume(ctx context.Context, u Usage, onCrash OnCrash) (*guapocado.Usage, error) {
	if err := u.check(); err != nil {
		return nil, err
	}
	u = u.withKey()
	now := time.Now()
	args := UsageArgs{Usage: u, RecordedAt: now, Direct: true, Compensate: onCrash == Compensate}
	res, err := j.river.Insert(ctx, args, &river.InsertOpts{ScheduledAt: now.Add(j.cfg.consumeGrace)})
	if err != nil {
		return nil, fmt.Errorf("journal: consume: %w", err)
	}
	j.point("consume:committed")
	bal, err := j.send(ctx, u)
	j.point("consume:answered")
	settled := context.WithoutCancel(ctx)
	if err == nil || refused(err) {
		_, derr := j.river.JobDelete(settled, res.Job.ID)
		switch {
		case derr == nil || err != nil:
			return bal, err
		case onCrash == Compensate:
			// The intent stays, and a journal will refund the charge: the
			// caller must not grant the work.
			return nil, fmt.Errorf("journal: consume: charged, but the intent could not be settled and will be refunded: %w", derr)
		}
		// The intent stays and is sent again under the same key: the
		// platform answers from the stored result, nothing more is charged.
		return bal, nil
	}
	_, _ = j.river.JobRetry(settled, res.Job.ID) // settle it now rather than after the grace
	return nil, fmt.Errorf("journal: consume: outcome left to the journal: %w", err)
}
