package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"net/http"
	"os"
	"sort"
	"strings"
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
	Journal    string        `json:"journal"`
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
	apiKey, apiURL, journal, batch *string
	concurrency                    *int
	retryRefused                   *bool
	retryWait                      *time.Duration
}

// usageCmd is the usage command: a session's meters (balance, consume,
// refund), or import through the platform API.
func (a *app) usageCmd(fs *flag.FlagSet) func(args []string) error {
	f := importFlags{
		apiKey:       fs.String("api-key", "", "import: the platform secret `KEY` (default: $GUAPOCADO_API_KEY)"),
		apiURL:       fs.String("api-url", "", "import: the platform API's `URL` (default: $GUAPOCADO_API_URL, else "+guapocado.DefaultAPIURL+")"),
		concurrency:  fs.Int("concurrency", 8, "import: lines in flight, `N` from 1 to 256"),
		journal:      fs.String("journal", "", "import: the journal `FILE` (SQLite) that records and delivers the lines (default: the input FILE.journal)"),
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

// importTask is a line to deliver in this run, with its key.
type importTask struct {
	line *importLine
	key0 string // the line's identity in the journal file (lineKey, gen 0)
	gen  int
	key  string
	sum  string // lineSum
}

// testKeyPrefix starts a sandbox secret key (and every guapocado fake's).
const testKeyPrefix = "sk_guap_test_"

// usageImport meters a file's lines through the metering journal on a
// SQLite file (--journal): it records each line not yet recorded (its row
// and its intent, in one transaction), makes what earlier runs left
// undelivered due again, and lets the journal deliver; each delivery is one
// SDK call under the line's key. It stops when every line of the file has
// had its delivery in this run.
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
	journalPath := *f.journal
	if journalPath == "" {
		journalPath = file + ".journal"
	}

	input, err := os.ReadFile(file)
	if err != nil {
		return failf(exitFailure, "input", "usage import: %v", err)
	}
	if *f.journal == "" {
		if err := legacyStateFile(file, journalPath); err != nil {
			return err
		}
	}
	ij, err := openJournal(a.parent, journalPath)
	if err != nil {
		return err
	}
	defer ij.Close()
	state, err := ij.lines(a.parent)
	if err != nil {
		return failf(exitFailure, "journal", "usage import: reading the journal file %s: %v", journalPath, err)
	}

	sum := &importSummary{File: file, Journal: journalPath, Batch: batch, Refusals: []refusal{}, Unknowns: []unknownLine{}, Warnings: []string{}}
	if strings.HasPrefix(key, testKeyPrefix) && (base == "" || trimSlash(base) == guapocado.DefaultAPIURL) {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("the API key is a test key (%s…) and goes to the hosted API %s: if it is a local guapocado fake's key, pass the fake's URL with --api-url or GUAPOCADO_API_URL", testKeyPrefix, guapocado.DefaultAPIURL))
	}
	if !a.json {
		for _, w := range sum.Warnings {
			fmt.Fprintf(a.stderr, "guapocado: warning: %s\n", w)
		}
	}
	fresh, pending := a.importPlan(input, batch, state, *f.retryRefused, sum)

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

	ctx, cancel := context.WithCancel(a.parent)
	defer cancel()
	var abort atomic.Pointer[cliError]
	prog := newProgress(a.stderr, isTerminal(a.stderr) && a.env("TERM") != "dumb", sum.Lines, sum.Skipped+sum.Refused)
	d := &delivery{
		ij:       ij,
		timeout:  a.timeout,
		fatal:    func(e *cliError) { abort.CompareAndSwap(nil, e); cancel() },
		expected: map[string]*importTask{},
		allDone:  make(chan struct{}),
		answered: func(t *importTask, r lineResult) { sum.count(t.line, r); prog.add(r.outcome) },
	}
	for _, t := range append(fresh, pending...) {
		d.expected[t.key] = t
	}
	j, err := newImportJournal(ij, api, *f.concurrency, d)
	if err != nil {
		return failf(exitFailure, "journal", "usage import: %v", err)
	}
	if err := ij.record(ctx, j, fresh); err != nil {
		return failf(exitFailure, "journal", "usage import: writing the journal file %s: %v", journalPath, err)
	}
	if err := j.ResumeNow(ctx); err != nil {
		return failf(exitFailure, "journal", "usage import: %v", err)
	}

	prog.start()
	started := len(d.expected) > 0
	if !started {
		close(d.allDone)
	} else if err := j.Start(ctx); err != nil {
		prog.stop()
		return failf(exitFailure, "journal", "usage import: %v", err)
	}
	a.awaitDelivery(ctx, ij, d)
	// Every line had its delivery (or the run stops): stop River, letting
	// deliveries still running (other batches' in a shared journal file)
	// finish unless the run was stopped.
	switch {
	case !started:
	case ctx.Err() != nil:
		stopCtx, stopCancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		_ = j.River().StopAndCancel(stopCtx)
		stopCancel()
	default:
		_ = j.River().Stop(ctx)
	}
	lastErr := "not sent: the run stopped first"
	if ctx.Err() == nil {
		lastErr = "not delivered by this run: its intent was not waiting in the journal file (another import running on the same file?); run again"
	}
	for _, t := range d.finish() {
		sum.count(t.line, lineResult{outcome: outUnknown, lastErr: lastErr})
	}
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

// awaitDelivery waits until every line of the run had its delivery, the
// run stops, or nothing is left for this process to deliver although lines
// wait (their intents are not in the journal file, or another process on
// the same file delivers them): no delivery due or running, seen twice.
func (a *app) awaitDelivery(ctx context.Context, ij *importJournal, d *delivery) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	idle := 0
	for {
		select {
		case <-d.allDone:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
			if n, err := ij.due(ctx); err == nil && n == 0 {
				idle++
			} else {
				idle = 0
			}
			if idle == 2 {
				return
			}
		}
	}
}

// importPlan parses the input and decides, with the journal file, what
// each line needs: refused at once (malformed, a duplicate id, settled for
// a different line), skipped (settled by an earlier run), reported as
// refused by an earlier run, delivered from an earlier run's record
// (pending), or recorded now (fresh, with the key of its try). It fills
// sum's counts of the lines not delivered in this run.
func (a *app) importPlan(input []byte, batch string, state map[string]*lineState, retryRefused bool, sum *importSummary) (fresh, pending []*importTask) {
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
			st = &lineState{}
		}
		fp := lineSum(raw)
		switch {
		case (st.settled == outApplied || st.settled == outReplayed || st.pending != "") && st.sum != fp:
			sum.Refused++
			sum.OtherBatch++
			sum.Refusals = append(sum.Refusals, refusal{Line: l.n, ID: l.id, Reason: fmt.Sprintf(
				"the journal file recorded id %s of batch %s for a different line (a new file under the same name?), so this line was not charged: pass a --batch name unique to this file", l.id, batch)})
		case st.pending != "":
			pending = append(pending, &importTask{line: l, key0: key0, key: st.pending, sum: fp})
		case st.settled == outApplied || st.settled == outReplayed:
			sum.Skipped++
		case st.settled == outRefused && !retryRefused:
			sum.Refused++ // refused by an earlier run: reported again, not sent again
			sum.earlierRefusals++
			sum.Refusals = append(sum.Refusals, refusal{Line: l.n, ID: l.id, Reason: st.reason + " (earlier run)"})
		default:
			fresh = append(fresh, &importTask{line: l, key0: key0, gen: st.refusals, key: lineKey(batch, l.id, st.refusals), sum: fp})
		}
	}
	return fresh, pending
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
	fmt.Fprintf(w, "  skipped   %d (applied by an earlier run, per %s)\n", s.Skipped, s.Journal)
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
