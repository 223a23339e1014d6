package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// refusal is a refused line, for the summary.
type refusal struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// unknownLine is a line whose outcome is unknown, with the last error of
// its call: running the same command again sends it with the same key.
type unknownLine struct {
	Line  int    `json:"line"`
	ID    string `json:"id,omitempty"`
	Error string `json:"error"`
}

// importSummary is what usage import prints at the end.
type importSummary struct {
	File       string        `json:"file"`
	State      string        `json:"state"`
	Batch      string        `json:"batch"`
	Lines      int           `json:"lines"`
	Applied    int           `json:"applied"`
	Replayed   int           `json:"replayed"`
	Refused    int           `json:"refused"`
	Unknown    int           `json:"unknown"`
	Skipped    int           `json:"skipped"`    // applied by an earlier run
	OtherBatch int           `json:"otherBatch"` // refused: another import had used their keys
	Refusals   []refusal     `json:"refusals"`
	Unknowns   []unknownLine `json:"unknowns"`
	Warnings   []string      `json:"warnings"`
	Aborted    string        `json:"aborted,omitempty"`

	earlierRefusals int // refused by an earlier run and not sent again
}

// importFlags are usage import's own flags.
type importFlags struct {
	apiKey, apiURL, state, batch *string
	concurrency                  *int
	retryRefused                 *bool
	retryWait                    *time.Duration
}

// usageCmd is the usage command: a session's meters (balance, consume,
// refund), or import through the platform API.
func (a *app) usageCmd(fs *flag.FlagSet) func(args []string) error {
	f := importFlags{
		apiKey:       fs.String("api-key", "", "import: the platform secret `KEY` (default: $GUAPOCADO_API_KEY)"),
		apiURL:       fs.String("api-url", "", "import: the platform API's `URL` (default: $GUAPOCADO_API_URL, else "+guapocado.DefaultAPIURL+")"),
		concurrency:  fs.Int("concurrency", 8, "import: lines in flight, `N` from 1 to 256"),
		state:        fs.String("state", "", "import: the state `FILE` that journals settled lines (default: the input FILE.state)"),
		batch:        fs.String("batch", "", "import: the batch `NAME` the lines' idempotency keys are scoped to (default: the input file's name)"),
		retryRefused: fs.Bool("retry-refused", false, "import: send lines refused by an earlier run again, with a new key (after a top-up, say)"),
		retryWait:    fs.Duration("retry-wait", guapocado.DefaultRetryWaitMin, "import: the SDK's shortest wait `D` before it retries a call"),
	}
	return func(args []string) error {
		pos, err := a.positional(args, 1, 3, fs)
		if err != nil {
			return err
		}
		if pos[0] == "import" {
			if len(pos) != 2 {
				return usagef("usage import: want one FILE")
			}
			return a.usageImport(pos[1], f)
		}
		var importOnly []string
		fs.Visit(func(fl *flag.Flag) {
			if !globalFlagNames[fl.Name] {
				importOnly = append(importOnly, "--"+fl.Name)
			}
		})
		if len(importOnly) > 0 {
			return usagef("usage %s: %s is a flag of usage import", pos[0], importOnly[0])
		}
		return a.usageSession(pos)
	}
}

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

// importTask is a line to send, with its key and whether an earlier run
// already sent that key.
type importTask struct {
	line        *importLine
	key0        string // the line's identity in the state file
	gen         int
	key         string
	sum         string // lineSum
	sentEarlier bool
}

// testKeyPrefix starts a sandbox secret key (and every guapocado fake's).
const testKeyPrefix = "sk_guap_test_"

func (a *app) usageImport(file string, f importFlags) error {
	if *f.concurrency < 1 || *f.concurrency > 256 {
		return usagef("usage import: --concurrency must be from 1 to 256")
	}
	if *f.retryWait < 0 {
		return usagef("usage import: --retry-wait must not be negative")
	}
	batch := *f.batch
	if batch == "" {
		batch = batchFromFile(file)
	}
	if !validBatch.MatchString(batch) {
		return usagef("usage import: --batch %q: want 1 to %d of A-Z a-z 0-9 . _ -", batch, maxBatchLen)
	}
	key := *f.apiKey
	if key == "" {
		key = a.env("GUAPOCADO_API_KEY")
	}
	if key == "" {
		return usagef("usage import: no API key: pass --api-key or set GUAPOCADO_API_KEY")
	}
	base := *f.apiURL
	if base == "" {
		base = a.env("GUAPOCADO_API_URL")
	}
	statePath := *f.state
	if statePath == "" {
		statePath = file + ".state"
	}

	input, err := os.ReadFile(file)
	if err != nil {
		return failf(exitFailure, "input", "usage import: %v", err)
	}
	state, jr, err := openState(statePath)
	if err != nil {
		return err
	}
	defer jr.f.Close()

	sum := &importSummary{File: file, State: statePath, Batch: batch, Refusals: []refusal{}, Unknowns: []unknownLine{}, Warnings: []string{}}
	if strings.HasPrefix(key, testKeyPrefix) && (base == "" || trimSlash(base) == guapocado.DefaultAPIURL) {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("the API key is a test key (%s…) and goes to the hosted API %s: if it is a local guapocado fake's key, pass the fake's URL with --api-url or GUAPOCADO_API_URL", testKeyPrefix, guapocado.DefaultAPIURL))
	}
	if !a.json {
		for _, w := range sum.Warnings {
			fmt.Fprintf(a.stderr, "guapocado: warning: %s\n", w)
		}
	}
	todo := a.importPlan(input, batch, state, *f.retryRefused, sum)

	tr := a.transport
	if tr == nil {
		tr = http.DefaultTransport.(*http.Transport).Clone()
	}
	opts := []guapocado.Option{
		guapocado.WithHTTPClient(&http.Client{Transport: traceTransport{base: tr}}),
		guapocado.WithRetry(guapocado.DefaultRetryMax, *f.retryWait, max(*f.retryWait, guapocado.DefaultRetryWaitMax)),
	}
	if base != "" {
		opts = append(opts, guapocado.WithAPIURL(base))
	}
	api, err := guapocado.NewAPIClient(key, opts...)
	if err != nil {
		return usagef("usage import: %s", clean(err.Error()))
	}
	defer api.CloseIdleConnections()

	prog := newProgress(a.stderr, isTerminal(a.stderr) && a.env("TERM") != "dumb", sum.Lines, sum.Skipped+sum.Refused)
	prog.start()
	var mu sync.Mutex
	var abort atomic.Pointer[cliError]
	stop := func(e *cliError) { abort.CompareAndSwap(nil, e) }
	ctx, cancel := context.WithCancel(a.parent)
	defer cancel()
	jobs := make(chan *importTask)
	var wg sync.WaitGroup
	now := func() string { return time.Now().UTC().Format(time.RFC3339) }
	for range *f.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range jobs {
				res := lineResult{outcome: outUnknown, lastErr: "not sent: the run stopped first"}
				if err := jr.record(journalRecord{Key: t.key0, Gen: t.gen, Outcome: outSent, Sum: t.sum, At: now()}); err != nil {
					stop(journalFailure(err))
					cancel()
				} else {
					res = a.importOne(ctx, api, t)
				}
				if res.fatal != nil {
					stop(res.fatal)
					cancel()
				}
				if res.outcome != outUnknown {
					if err := jr.record(journalRecord{Key: t.key0, Gen: t.gen, Outcome: res.outcome, Reason: res.reason, Sum: t.sum, At: now()}); err != nil {
						stop(journalFailure(err))
						cancel()
					}
				}
				mu.Lock()
				sum.count(t.line, res)
				mu.Unlock()
				prog.add(res.outcome)
			}
		}()
	}
feed:
	for i, t := range todo {
		select {
		case jobs <- t:
		case <-ctx.Done():
			mu.Lock()
			for _, rest := range todo[i:] {
				sum.count(rest.line, lineResult{outcome: outUnknown, lastErr: "not sent: the run stopped first"})
			}
			mu.Unlock()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	prog.stop()

	sort.Slice(sum.Refusals, func(i, j int) bool { return sum.Refusals[i].Line < sum.Refusals[j].Line })
	sort.Slice(sum.Unknowns, func(i, j int) bool { return sum.Unknowns[i].Line < sum.Unknowns[j].Line })
	fatal := abort.Load()
	if fatal == nil && a.parent.Err() != nil {
		fatal = &cliError{code: exitUnavailable, kind: "interrupted", msg: "interrupted"}
	}
	if fatal != nil {
		sum.Aborted = fatal.msg
	}
	if err := a.printImportSummary(sum); err != nil {
		return err
	}
	switch {
	case fatal != nil:
		return fatal
	case sum.Unknown > 0:
		return failf(exitUnavailable, "outcome_unknown", "usage import: %d lines have an unknown outcome (see the summary for the last error of each): run the same command again to send them with the same idempotency keys", sum.Unknown)
	case sum.OtherBatch > 0 && sum.Applied == 0 && sum.Replayed == 0:
		return failf(exitFailure, "other_batch", "usage import: nothing was charged: %d lines were taken for lines of another file already imported in batch %q: pass a --batch name unique to this file", sum.OtherBatch, batch)
	case sum.OtherBatch > 0:
		return failf(exitFailure, "other_batch", "usage import: %d lines were not charged: they were taken for lines of another file already imported in batch %q: pass a --batch name unique to this file", sum.OtherBatch, batch)
	case sum.Refused > 0:
		return failf(exitFailure, "refused", "usage import: %d lines were refused (see the summary)", sum.Refused)
	}
	return nil
}

// importPlan parses the input and decides, with the state file, what each
// line needs: refused at once (malformed, a duplicate id), skipped
// (settled by an earlier run), reported as refused by an earlier run, or
// sent (with the key of its try). It fills sum's counts of the lines not
// sent.
func (a *app) importPlan(input []byte, batch string, state map[string]*lineState, retryRefused bool, sum *importSummary) []*importTask {
	var todo []*importTask
	seen := map[string]int{}
	for i, raw := range bytes.Split(input, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		sum.Lines++
		l, reason := parseImportLine(raw, i+1, batch)
		if reason == "" {
			if first, dup := seen[l.id]; dup {
				reason = fmt.Sprintf("duplicate id (first on line %d)", first)
			} else {
				seen[l.id] = l.n
			}
		}
		if reason != "" {
			sum.Refused++
			sum.Refusals = append(sum.Refusals, refusal{Line: i + 1, ID: l.id, Reason: reason})
			continue
		}
		key0 := lineKey(batch, l.id, 0)
		st := state[key0]
		if st == nil {
			st = &lineState{sentGen: -1}
		}
		gen := st.refusals
		inFlight := st.sentGen == gen // sent with this key, never settled
		fp := lineSum(raw)
		switch {
		case (st.settled == outApplied || st.settled == outReplayed) && st.sum != "" && st.sum != fp:
			sum.Refused++
			sum.OtherBatch++
			sum.Refusals = append(sum.Refusals, refusal{Line: l.n, ID: l.id, Reason: fmt.Sprintf(
				"the state file settled id %s of batch %s for a different line (a new file under the same name?), so this line was not charged: pass a --batch name unique to this file", l.id, batch)})
		case st.settled == outApplied || st.settled == outReplayed:
			sum.Skipped++
		case st.settled == outRefused && !inFlight && !retryRefused:
			sum.Refused++ // refused by an earlier run: reported again, not sent again
			sum.earlierRefusals++
			sum.Refusals = append(sum.Refusals, refusal{Line: l.n, ID: l.id, Reason: st.reason + " (earlier run)"})
		default:
			todo = append(todo, &importTask{line: l, key0: key0, gen: gen, key: lineKey(batch, l.id, gen), sum: fp, sentEarlier: inFlight})
		}
	}
	return todo
}

// lineResult is the outcome of one line's call.
type lineResult struct {
	outcome    string // applied, replayed, refused or unknown
	reason     string // why it was refused
	lastErr    string // the last error of a line whose outcome is unknown
	otherBatch bool   // refused because another import had used its key
	fatal      *cliError
}

// count adds a line's result to the summary.
func (s *importSummary) count(l *importLine, r lineResult) {
	switch r.outcome {
	case outApplied:
		s.Applied++
	case outReplayed:
		s.Replayed++
	case outRefused:
		s.Refused++
		if r.otherBatch {
			s.OtherBatch++
		}
		s.Refusals = append(s.Refusals, refusal{Line: l.n, ID: l.id, Reason: r.reason})
	default:
		s.Unknown++
		s.Unknowns = append(s.Unknowns, unknownLine{Line: l.n, ID: l.id, Error: r.lastErr})
	}
}

// importOne meters one line with one SDK call: the SDK makes its attempts
// under its own policy, with the same idempotency key; this command adds
// no loop of its own. The answer is applied or replayed, refused (with the
// reason), or unknown (with the last error), and fatal stops the whole run
// (the key was refused).
func (a *app) importOne(ctx context.Context, api *guapocado.APIClient, t *importTask) lineResult {
	l := t.line
	trace := &callTrace{}
	cctx, cancel := context.WithTimeout(context.WithValue(ctx, traceKey{}, trace), a.timeout)
	_, err := api.Usage.Consume(cctx, l.Key, l.amount, guapocado.ForCustomer(l.CustomerID), guapocado.WithIdempotencyKey(t.key))
	cancel()
	var ve *guapocado.ValidationError
	var apiErr *guapocado.Error
	errors.As(err, &apiErr)
	otherBatch := fmt.Sprintf("idempotency key %s had been used by another import, so this line was not charged: pass a --batch name unique to this file", t.key)
	switch {
	case err == nil && trace.firstReplayed.Load() && !t.sentEarlier:
		// The first attempt of a key this batch never sent was answered
		// from the platform's idempotency store: another import's line.
		return lineResult{outcome: outRefused, reason: otherBatch, otherBatch: true}
	case err == nil && trace.replayed.Load():
		return lineResult{outcome: outReplayed}
	case err == nil:
		return lineResult{outcome: outApplied}
	case ctx.Err() != nil:
		return lineResult{outcome: outUnknown, lastErr: "interrupted: " + clean(err.Error())}
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
		return lineResult{outcome: outRefused, reason: fmt.Sprintf("not found: meter %q or customer %q", l.Key, l.CustomerID)}
	case apiErr != nil && apiErr.StatusCode == http.StatusConflict && t.sentEarlier:
		return lineResult{outcome: outRefused, reason: fmt.Sprintf("idempotency key %s was sent by an earlier run for a different request: the line changed since", t.key)}
	case apiErr != nil && apiErr.StatusCode == http.StatusConflict:
		return lineResult{outcome: outRefused, reason: otherBatch, otherBatch: true}
	case apiErr != nil && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != 408 && apiErr.StatusCode != 429:
		return lineResult{outcome: outRefused, reason: fmt.Sprintf("%d %s", apiErr.StatusCode, clean(apiErr.Message))}
	}
	// A network failure, a timeout, a 5xx or a rate limit after the SDK's
	// attempts: the same key is safe to send again.
	return lineResult{outcome: outUnknown, lastErr: clean(err.Error())}
}

// printImportSummary prints the counts, why lines were refused and the
// last error of each line whose outcome is unknown.
func (a *app) printImportSummary(s *importSummary) error {
	if a.json {
		return a.printJSON(s)
	}
	w := a.stdout
	const show = 20
	fmt.Fprintf(w, "usage import %s: %d lines (batch %s)\n", s.File, s.Lines, s.Batch)
	fmt.Fprintf(w, "  applied   %d\n", s.Applied)
	fmt.Fprintf(w, "  replayed  %d (already applied by an earlier attempt; not charged again)\n", s.Replayed)
	fmt.Fprintf(w, "  refused   %d\n", s.Refused)
	for i, r := range s.Refusals {
		if i == show {
			fmt.Fprintf(w, "    ... and %d more (see --json)\n", len(s.Refusals)-show)
			break
		}
		fmt.Fprintf(w, "    line %d%s: %s\n", r.Line, idNote(r.ID), r.Reason)
	}
	if s.earlierRefusals > 0 {
		fmt.Fprintln(w, "    (lines refused by an earlier run are not sent again: once the cause is fixed, run with --retry-refused)")
	}
	fmt.Fprintf(w, "  unknown   %d", s.Unknown)
	if s.Unknown > 0 {
		fmt.Fprint(w, " (run again to send them with the same keys)")
	}
	fmt.Fprintln(w)
	for i, u := range s.Unknowns {
		if i == show {
			fmt.Fprintf(w, "    ... and %d more (see --json)\n", len(s.Unknowns)-show)
			break
		}
		fmt.Fprintf(w, "    line %d%s: %s\n", u.Line, idNote(u.ID), u.Error)
	}
	fmt.Fprintf(w, "  skipped   %d (applied by an earlier run, per %s)\n", s.Skipped, s.State)
	if s.Aborted != "" {
		fmt.Fprintf(w, "stopped early: %s\n", s.Aborted)
	}
	return nil
}

func idNote(id string) string {
	if id == "" {
		return ""
	}
	return fmt.Sprintf(" (id %s)", id)
}
