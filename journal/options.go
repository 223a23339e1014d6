package journal

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// Option configures New.
type Option func(*config) error

type config struct {
	postpaid     map[string]bool
	retention    time.Duration
	dead         func(context.Context, Dead)
	workers      int
	batchMax     int
	sealInterval time.Duration
	consumeGrace time.Duration
	river        []func(*river.Config)
	hook         func(point string) // tests only: crash points
}

func defaults() config {
	return config{
		postpaid:     map[string]bool{},
		retention:    24 * time.Hour,
		workers:      32,
		batchMax:     1000,
		sealInterval: time.Second,
		consumeGrace: time.Minute,
	}
}

// WithPostpaid marks meters as post-paid: their intents are coalesced. The
// journal seals the open intents of one customer and meter into a batch
// (its members stored with it in one transaction) and charges the batch's
// total once, under the batch's own idempotency key. Only for meters whose
// charge may be late and whole: a batch the platform refuses (insufficient
// balance) is refused whole.
func WithPostpaid(meters ...string) Option {
	return func(c *config) error {
		for _, m := range meters {
			if m == "" {
				return &FieldError{"WithPostpaid", "empty meter"}
			}
			c.postpaid[m] = true
		}
		return nil
	}
}

// WithKeyRetention is how long the platform keeps an idempotency key
// (default 24 hours). An intent older than this whose earlier attempt may
// have reached the platform is not sent again: it goes to the dead letters
// with ErrKeyExpired.
func WithKeyRetention(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return &FieldError{"WithKeyRetention", "not positive"}
		}
		c.retention = d
		return nil
	}
}

// WithDeadLetter calls fn once for every intent or batch the platform
// refused for good, or that ran out of attempts or of key retention. The
// intent stays in the database (River's cancelled or discarded job, with
// its errors) whether or not fn is set.
func WithDeadLetter(fn func(ctx context.Context, d Dead)) Option {
	return func(c *config) error { c.dead = fn; return nil }
}

// WithWorkers is how many deliveries an instance runs at once (default 32).
func WithWorkers(n int) Option {
	return func(c *config) error {
		if n < 1 {
			return &FieldError{"WithWorkers", "less than 1"}
		}
		c.workers = n
		return nil
	}
}

// WithBatch sets the coalescing of post-paid meters: at most maxMembers
// intents per batch (default 1000), sealed every interval (default 1 s).
func WithBatch(maxMembers int, interval time.Duration) Option {
	return func(c *config) error {
		if maxMembers < 1 || interval <= 0 {
			return &FieldError{"WithBatch", "need maxMembers >= 1 and interval > 0"}
		}
		c.batchMax, c.sealInterval = maxMembers, interval
		return nil
	}
}

// WithConsumeGrace is how long an intent written by Consume waits for the
// direct call before a worker finishes it (default 1 minute).
func WithConsumeGrace(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return &FieldError{"WithConsumeGrace", "not positive"}
		}
		c.consumeGrace = d
		return nil
	}
}

// WithRiverConfig lets fn adjust River's configuration after the journal
// filled it (Logger, JobTimeout, RescueStuckJobsAfter, RetryPolicy,
// FetchPollInterval, …). Queues and Workers are the journal's: changing
// them breaks delivery. Several apply in order.
func WithRiverConfig(fn func(*river.Config)) Option {
	return func(c *config) error {
		if fn != nil {
			c.river = append(c.river, fn)
		}
		return nil
	}
}
