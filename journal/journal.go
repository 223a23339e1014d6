package journal

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/rivertype"
)

// ErrNoPlatformClient is New's error without a platform client. The journal
// needs a *guapocado.APIClient: only the platform API takes idempotency
// keys, which is what makes delivering an intent again harmless; a session
// client (*guapocado.Client) does not even type-check as one.
var ErrNoPlatformClient = errors.New("journal: New needs a platform client (*guapocado.APIClient with a secret key); a session client cannot send idempotency keys, so the journal could charge twice")

// Journal records metering intents in the application's database, in the
// application's own transactions, and delivers each to the platform once
// in effect. TTx is the driver's transaction: pgx.Tx for riverpgxv5,
// *sql.Tx for riversqlite and riverdatabasesql.
type Journal[TTx any] struct {
	cfg    config
	api    *guapocado.APIClient
	driver riverdriver.Driver[TTx]
	sql    dialect
	river  *river.Client[TTx]

	started atomic.Bool
}

// New returns a journal on driver's database that delivers through api.
// It does no I/O: run Migrate once before, and Start to deliver. A journal
// that is not started still records (an instance may only record, and
// others deliver).
func New[TTx any](driver riverdriver.Driver[TTx], api *guapocado.APIClient, opts ...Option) (*Journal[TTx], error) {
	if api == nil {
		return nil, ErrNoPlatformClient
	}
	if driver == nil {
		return nil, errors.New("journal: New: nil driver")
	}
	cfg := defaults()
	for _, o := range opts {
		if o == nil {
			continue
		}
		if err := o(&cfg); err != nil {
			return nil, err
		}
	}
	j := &Journal[TTx]{cfg: cfg, api: api, driver: driver, sql: dialectOf(driver.DatabaseName())}
	workers := river.NewWorkers()
	river.AddWorker(workers, &usageWorker[TTx]{j: j})
	river.AddWorker(workers, &batchWorker[TTx]{j: j})
	river.AddWorker(workers, &sealWorker[TTx]{j: j})
	rc := &river.Config{
		Logger:      slog.New(slog.DiscardHandler),
		Queues:      map[string]river.QueueConfig{queue: {MaxWorkers: cfg.workers}},
		Workers:     workers,
		MaxAttempts: maxAttempts,
		RetryPolicy: backoff{},
		// A delivery is one platform call with its retries: a minute is
		// long. A job running past RescueStuckJobsAfter belongs to a dead
		// instance and is taken over (sent again under the same key).
		JobTimeout:           time.Minute,
		RescueStuckJobsAfter: 2 * time.Minute,
		// A delivery waits on the platform's round trip, not on the CPU:
		// River's default cooldown (100 ms between fetches) would cap an
		// instance at MaxWorkers deliveries per 100 ms however short the
		// round trip, and its 1 s poll (SQLite's only way to learn of new
		// intents, PostgreSQL's fallback to LISTEN/NOTIFY) would add up to
		// a second to each. One indexed fetch per cooldown is cheap.
		FetchCooldown:     fetchCooldown,
		FetchPollInterval: fetchPollInterval,
	}
	if len(cfg.postpaid) > 0 {
		rc.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(
			river.PeriodicInterval(cfg.sealInterval),
			func() (river.JobArgs, *river.InsertOpts) { return SealArgs{}, nil },
			&river.PeriodicJobOpts{RunOnStart: true},
		)}
	}
	for _, fn := range cfg.river {
		fn(rc)
	}
	rc2, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("journal: %w", err)
	}
	j.river = rc2
	return j, nil
}

// maxAttempts is River's attempt limit: high, because the key retention
// (WithKeyRetention), not a count, bounds how long an intent is retried.
const maxAttempts = 1000

// backoff is the journal's retry policy: 1 s doubling per attempt, at most
// 5 minutes.
type backoff struct{}

func (backoff) NextRetry(job *rivertype.JobRow) time.Time {
	d := time.Second << min(job.Attempt-1, 9)
	return time.Now().Add(min(d, 5*time.Minute))
}

// River returns the journal's River client, for River's own tools (job
// listing, rivertest, the UI). Inserting the journal's jobs by hand skips
// its checks.
func (j *Journal[TTx]) River() *river.Client[TTx] { return j.river }

// Start starts delivering: this instance claims intents (with the others
// on the same database), seals post-paid batches and takes over the work of
// instances that died (River's rescuer, after RescueStuckJobsAfter).
func (j *Journal[TTx]) Start(ctx context.Context) error {
	if err := j.river.Start(ctx); err != nil {
		return fmt.Errorf("journal: start: %w", err)
	}
	j.started.Store(true)
	return nil
}

// Close delivers what it can before ctx is done and stops: it seals the
// open post-paid intents, waits until nothing is pending or in flight (or
// ctx ends), then stops River, letting running deliveries finish while ctx
// allows. What is left stays in the database, durable, for the next
// instance. Closing a journal that was not started only seals.
func (j *Journal[TTx]) Close(ctx context.Context) error {
	if len(j.cfg.postpaid) > 0 {
		if err := j.sealAll(ctx); err != nil && ctx.Err() == nil {
			return err
		}
	}
	if !j.started.Load() {
		return nil
	}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for ctx.Err() == nil {
		st, err := j.Stats(ctx)
		if err != nil || st.Pending+st.InFlight == 0 {
			break
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	if err := j.river.Stop(ctx); err != nil {
		stopCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = j.river.StopAndCancel(stopCtx)
		if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
			return fmt.Errorf("journal: close: %w", err)
		}
	}
	return nil
}

// point calls the test hook at a crash point.
func (j *Journal[TTx]) point(name string) {
	if j.cfg.hook != nil {
		j.cfg.hook(name)
	}
}
