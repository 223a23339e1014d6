package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/journal"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"
)

// callTrace records, for one call, how many attempts were sent and whether
// the platform answered from its idempotency store (Idempotent-Replayed:
// true), on the first attempt and on the last.
type callTrace struct {
	attempts      atomic.Int32
	firstReplayed atomic.Bool
	replayed      atomic.Bool
}

// traceKey carries a *callTrace in a request's context.
type traceKey struct{}

// traceTransport fills the request's callTrace.
type traceTransport struct{ base http.RoundTripper }

func (t traceTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	tr, _ := req.Context().Value(traceKey{}).(*callTrace)
	n := int32(0)
	if tr != nil {
		n = tr.attempts.Add(1)
	}
	resp, err := t.base.RoundTrip(req)
	if tr != nil && err == nil {
		r := strings.EqualFold(resp.Header.Get("Idempotent-Replayed"), "true")
		tr.replayed.Store(r)
		if n == 1 {
			tr.firstReplayed.Store(r)
		}
	}
	return resp, err
}

// nextRun is the journal's retry policy in this command: a line whose
// outcome is unknown is not retried by River within the run (its one
// delivery is one SDK call, at most the SDK's attempts); it waits for the
// next run, which makes it due at once (Journal.ResumeNow) and sends it
// again under the same key.
type nextRun struct{}

func (nextRun) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(100 * 365 * 24 * time.Hour)
}

// delivery is one run's delivery of the journal's intents: it watches
// each delivery of a line (a River worker middleware around the journal's
// worker), settles the line in the journal file and reports it.
type delivery struct {
	river.MiddlewareDefaults
	ij      *importJournal
	timeout time.Duration // --timeout, per line
	fatal   func(*cliError)

	mu       sync.Mutex
	expected map[string]*importTask // this run's lines not yet answered, by key
	closed   bool
	answered func(t *importTask, r lineResult)
	allDone  chan struct{}
}

// Work delivers one intent under a callTrace and settles its line.
func (d *delivery) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if job.Kind != (journal.UsageArgs{}).Kind() {
		return doInner(ctx)
	}
	var args journal.UsageArgs
	if err := json.Unmarshal(job.EncodedArgs, &args); err != nil {
		return doInner(ctx)
	}
	trace := &callTrace{}
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, traceKey{}, trace), d.timeout)
	err := doInner(cctx)
	cancel()
	// An attempt before this one (River counts them) may have reached the
	// platform: a replay is then this batch's own.
	r := lineOutcome(ctx, args.Usage, err, trace, job.Attempt > 1)
	if r.outcome != outUnknown {
		if serr := d.ij.settle(context.WithoutCancel(ctx), args.Key, r); serr != nil {
			d.fatal(&cliError{code: exitFailure, kind: "journal", msg: fmt.Sprintf("usage import: writing the journal file: %v", serr)})
			r = lineResult{outcome: outUnknown, lastErr: "answered, but the journal file could not be written: " + clean(serr.Error())}
			if err == nil {
				err = serr // River keeps the job to deliver again (a replay)
			}
		}
	}
	if r.fatal != nil {
		d.fatal(r.fatal)
	}
	d.report(args.Key, r)
	var cancelled *rivertype.JobCancelError
	if r.outcome == outRefused && err != nil && !errors.As(err, &cancelled) {
		// Refused for the command, so not delivered again by any run
		// (--retry-refused sends the line under a new key).
		err = river.JobCancel(err)
	}
	return err
}

// report hands a line's result to the run, once per run.
func (d *delivery) report(key string, r lineResult) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t := d.expected[key]
	if t == nil || d.closed {
		return // another batch's line in a shared journal file
	}
	delete(d.expected, key)
	d.answered(t, r)
	if len(d.expected) == 0 {
		close(d.allDone)
	}
}

// finish ends the run: the lines not answered are returned, and later
// answers are no longer reported.
func (d *delivery) finish() []*importTask {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	var rest []*importTask
	for _, t := range d.expected {
		rest = append(rest, t)
	}
	return rest
}

// newImportJournal is the journal over the import's file: workers as many
// as --concurrency, each delivery watched by d, one River attempt per line
// and run (nextRun).
func newImportJournal(ij *importJournal, api *guapocado.APIClient, concurrency int, d *delivery) (*journal.Journal[*sql.Tx], error) {
	return journal.New(riversqlite.New(ij.db), api,
		journal.WithWorkers(concurrency),
		journal.WithRiverConfig(func(c *river.Config) {
			c.RetryPolicy = nextRun{}
			c.Middleware = append(c.Middleware, d)
			// No LISTEN/NOTIFY on SQLite: fetch often, a command is short.
			c.FetchCooldown = time.Millisecond
			c.FetchPollInterval = 20 * time.Millisecond
			// The line's call is bounded by --timeout (Work); River's own
			// bound and its rescue of a stuck job come after it. The next
			// run resumes a job a killed run left running (ResumeNow).
			c.JobTimeout = d.timeout + time.Minute
			c.RescueStuckJobsAfter = d.timeout + 2*time.Minute
		}))
}

// lineResult is the outcome of one line's call.
type lineResult struct {
	outcome    string // applied, replayed, refused or unknown
	reason     string // why it was refused
	lastErr    string // the last error of a line whose outcome is unknown
	otherBatch bool   // refused because another import had used its key
	fatal      *cliError
}

// lineOutcome tells what one delivery of a line (one SDK call, the SDK's
// attempts with the same idempotency key) came to: applied or replayed,
// refused (with the reason), or unknown (with the last error); fatal stops
// the whole run (the key was refused). sentEarlier: an earlier delivery of
// the key may have reached the platform.
func lineOutcome(ctx context.Context, u journal.Usage, err error, trace *callTrace, sentEarlier bool) lineResult {
	var ve *guapocado.ValidationError
	var apiErr *guapocado.Error
	errors.As(err, &apiErr)
	otherBatch := fmt.Sprintf("idempotency key %s had been used by another import, so this line was not charged: pass a --batch name unique to this file", u.Key)
	switch {
	case err == nil && trace.firstReplayed.Load() && !sentEarlier:
		// The first attempt of a key this batch never sent was answered
		// from the platform's idempotency store: another import's line.
		return lineResult{outcome: outRefused, reason: otherBatch, otherBatch: true}
	case err == nil && trace.replayed.Load():
		return lineResult{outcome: outReplayed}
	case err == nil:
		return lineResult{outcome: outApplied}
	case ctx.Err() != nil:
		return lineResult{outcome: outUnknown, lastErr: "interrupted: " + clean(err.Error())}
	case errors.Is(err, journal.ErrKeyExpired):
		return lineResult{outcome: outRefused, reason: "not sent again: an earlier attempt may have reached the platform, which no longer keeps its idempotency key (24 hours), so sending it could charge twice; check the platform's audit log"}
	case errors.Is(err, guapocado.ErrInvalidAPIKey):
		return lineResult{outcome: outUnknown, lastErr: "the platform refused the API key",
			fatal: &cliError{code: exitMisconfigured, kind: "invalid_api_key", msg: "usage import: the platform refused the API key"}}
	case errors.Is(err, guapocado.ErrOutcomeUnknown):
		return lineResult{outcome: outUnknown, lastErr: clean(err.Error())}
	case errors.Is(err, guapocado.ErrInsufficientBalance):
		return lineResult{outcome: outRefused, reason: "insufficient balance"}
	case errors.As(err, &ve):
		return lineResult{outcome: outRefused, reason: clean(ve.Error())}
	case errors.Is(err, guapocado.ErrNotFound):
		return lineResult{outcome: outRefused, reason: fmt.Sprintf("not found: meter %q or customer %q", u.Meter, u.CustomerID)}
	case apiErr != nil && apiErr.StatusCode == http.StatusConflict && sentEarlier:
		return lineResult{outcome: outRefused, reason: fmt.Sprintf("idempotency key %s was sent earlier for a different request", u.Key)}
	case apiErr != nil && apiErr.StatusCode == http.StatusConflict:
		return lineResult{outcome: outRefused, reason: otherBatch, otherBatch: true}
	case apiErr != nil && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != 408 && apiErr.StatusCode != 429:
		return lineResult{outcome: outRefused, reason: fmt.Sprintf("%d %s", apiErr.StatusCode, clean(apiErr.Message))}
	}
	// A network failure, a timeout, a 5xx or a rate limit after the SDK's
	// attempts: the same key is safe to send again, by the next run.
	return lineResult{outcome: outUnknown, lastErr: clean(err.Error())}
}
