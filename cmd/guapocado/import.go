package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// importLine is one line of a usage import file.
type importLine struct {
	CustomerID string          `json:"customerId"`
	Key        string          `json:"key"`
	Amount     json.RawMessage `json:"amount"`
	ID         json.RawMessage `json:"id"`

	n      int    // line number, from 1
	id     string // the id as text
	amount int64
}

// idempotencyKey is the platform key of a line: the same line sends the
// same key in every run, so the platform applies it at most once.
func (l *importLine) idempotencyKey() string { return "import-" + l.id }

// journalRecord is one line of the state file: a line that is settled
// (applied, replayed or refused) and is skipped by later runs.
type journalRecord struct {
	ID      string `json:"id"`
	Outcome string `json:"outcome"` // applied | replayed | refused
	Reason  string `json:"reason,omitempty"`
	At      string `json:"at"`
}

// Outcomes of a line.
const (
	outApplied  = "applied"
	outReplayed = "replayed"
	outRefused  = "refused"
	outUnknown  = "unknown"
	outSkipped  = "skipped"
)

// refusal is a refused line, for the summary.
type refusal struct {
	Line   int    `json:"line"`
	ID     string `json:"id,omitempty"`
	Reason string `json:"reason"`
}

// importSummary is what usage import prints at the end.
type importSummary struct {
	File     string    `json:"file"`
	State    string    `json:"state"`
	Lines    int       `json:"lines"`
	Applied  int       `json:"applied"`
	Replayed int       `json:"replayed"`
	Refused  int       `json:"refused"`
	Unknown  int       `json:"unknown"`
	Skipped  int       `json:"skipped"` // applied by an earlier run
	Refusals []refusal `json:"refusals"`
	Aborted  string    `json:"aborted,omitempty"`
}

// maxImportAttempts bounds the tries of one line within a run (each try
// already includes the SDK's own retries); a line still unknown after them
// is left for the next run.
const maxImportAttempts = 4

// parseImportLine decodes and checks one line; a non-empty reason refuses it.
func parseImportLine(raw []byte, n int) (*importLine, string) {
	var l importLine
	dec := json.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&l); err != nil {
		return nil, "not a JSON object"
	}
	l.n = n
	switch {
	case len(l.ID) == 0 || string(l.ID) == "null":
		return &l, "no id"
	case l.ID[0] == '"':
		_ = json.Unmarshal(l.ID, &l.id)
	default:
		var f float64
		if json.Unmarshal(l.ID, &f) != nil || f != math.Trunc(f) {
			return &l, "id must be a string or a whole number"
		}
		l.id = string(l.ID)
	}
	switch {
	case strings.TrimSpace(l.id) == "":
		return &l, "empty id"
	case len(l.idempotencyKey()) > 255:
		return &l, "id longer than 248 bytes"
	}
	for i := 0; i < len(l.id); i++ {
		if l.id[i] < ' ' || l.id[i] > '~' {
			return &l, "id must be printable ASCII"
		}
	}
	if strings.TrimSpace(l.CustomerID) == "" {
		return &l, "no customerId"
	}
	if strings.TrimSpace(l.Key) == "" {
		return &l, "no key"
	}
	var f float64
	if len(l.Amount) == 0 || json.Unmarshal(l.Amount, &f) != nil || f <= 0 || f != math.Trunc(f) || f > 1<<53 {
		return &l, "amount must be a whole number greater than 0"
	}
	l.amount = int64(f)
	return &l, ""
}

// readJournal returns the settled lines of a state file (none when it does
// not exist). A line cut short by a kill, or damaged, is ignored: its
// input line is simply sent again, with the same idempotency key.
func readJournal(path string) (map[string]journalRecord, error) {
	settled := map[string]journalRecord{}
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return settled, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		var r journalRecord
		if json.Unmarshal(sc.Bytes(), &r) != nil || r.ID == "" {
			continue
		}
		switch r.Outcome {
		case outApplied, outReplayed, outRefused:
			settled[r.ID] = r
		}
	}
	return settled, sc.Err()
}

// journal appends settled lines to the state file, one write per record.
type journal struct {
	mu sync.Mutex
	f  *os.File
}

func (j *journal) record(r journalRecord) error {
	b, _ := json.Marshal(r)
	j.mu.Lock()
	defer j.mu.Unlock()
	_, err := j.f.Write(append(b, '\n'))
	return err
}

// replayKey marks a request context whose answer's Idempotent-Replayed
// header is recorded.
type replayKey struct{}

// replayTransport records, per call, whether the platform answered from
// its idempotency store (Idempotent-Replayed: true).
type replayTransport struct{ base http.RoundTripper }

func (t replayTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if flag, ok := req.Context().Value(replayKey{}).(*atomic.Bool); ok && err == nil {
		flag.Store(strings.EqualFold(resp.Header.Get("Idempotent-Replayed"), "true"))
	}
	return resp, err
}

func (a *app) usageImport(args []string) error {
	fs := a.flags("usage")
	apiKey := fs.String("api-key", "", "the platform secret key")
	apiURL := fs.String("api-url", "", "the platform API's URL")
	conc := fs.Int("concurrency", 8, "requests in flight")
	statePath := fs.String("state", "", "the journal")
	retryWait := fs.Duration("retry-wait", guapocado.DefaultRetryWaitMin, "the shortest wait before a retry")
	pos, err := a.positional("usage", args, 2, 2, fs)
	if err != nil {
		return err
	}
	if pos[0] != "import" {
		return usagef("usage import FILE: unexpected %q", pos[0])
	}
	file := pos[1]
	if *conc < 1 || *conc > 256 {
		return usagef("usage import: --concurrency must be from 1 to 256")
	}
	if *retryWait < 0 {
		return usagef("usage import: --retry-wait must not be negative")
	}
	key := *apiKey
	if key == "" {
		key = a.env("GUAPOCADO_API_KEY")
	}
	if key == "" {
		return usagef("usage import: no API key: pass --api-key or set GUAPOCADO_API_KEY")
	}
	base := *apiURL
	if base == "" {
		base = a.env("GUAPOCADO_API_URL")
	}
	if *statePath == "" {
		*statePath = file + ".state"
	}

	input, err := os.ReadFile(file)
	if err != nil {
		return failf(exitFailure, "input", "usage import: %v", err)
	}
	settled, err := readJournal(*statePath)
	if err != nil {
		return failf(exitFailure, "state", "usage import: reading the state file: %v", err)
	}
	jf, err := os.OpenFile(*statePath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return failf(exitFailure, "state", "usage import: %v", err)
	}
	defer jf.Close()
	jr := &journal{f: jf}

	sum := &importSummary{File: file, State: *statePath, Refusals: []refusal{}}
	var todo []*importLine
	seen := map[string]int{}
	for i, raw := range bytes.Split(input, []byte("\n")) {
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		sum.Lines++
		l, reason := parseImportLine(raw, i+1)
		if reason == "" {
			if first, dup := seen[l.id]; dup {
				reason = fmt.Sprintf("duplicate id (first on line %d)", first)
			} else {
				seen[l.id] = l.n
			}
		}
		switch {
		case reason != "":
			id := ""
			if l != nil {
				id = l.id
			}
			sum.Refused++
			sum.Refusals = append(sum.Refusals, refusal{Line: i + 1, ID: id, Reason: reason})
		case settled[l.id].Outcome == outRefused:
			sum.Refused++ // refused by an earlier run: reported again, not sent again
			sum.Refusals = append(sum.Refusals, refusal{Line: l.n, ID: l.id, Reason: settled[l.id].Reason + " (earlier run)"})
		case settled[l.id].Outcome != "":
			sum.Skipped++
		default:
			todo = append(todo, l)
		}
	}

	opts := []guapocado.Option{
		guapocado.WithHTTPClient(&http.Client{Transport: replayTransport{base: http.DefaultTransport.(*http.Transport).Clone()}}),
		guapocado.WithRetry(guapocado.DefaultRetryMax, *retryWait, max(*retryWait, guapocado.DefaultRetryWaitMax)),
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
	ctx, cancel := context.WithCancel(a.parent)
	defer cancel()
	jobs := make(chan *importLine)
	var wg sync.WaitGroup
	for range *conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for l := range jobs {
				outcome, reason, fatal := a.importOne(ctx, api, l, *retryWait)
				if fatal != nil {
					if abort.CompareAndSwap(nil, fatal) {
						cancel()
					}
					outcome = outUnknown
				}
				if outcome != outUnknown {
					if err := jr.record(journalRecord{ID: l.id, Outcome: outcome, Reason: reason, At: time.Now().UTC().Format(time.RFC3339)}); err != nil {
						if abort.CompareAndSwap(nil, &cliError{code: exitFailure, kind: "state", msg: "usage import: writing the state file: " + err.Error()}) {
							cancel()
						}
					}
				}
				mu.Lock()
				switch outcome {
				case outApplied:
					sum.Applied++
				case outReplayed:
					sum.Replayed++
				case outRefused:
					sum.Refused++
					sum.Refusals = append(sum.Refusals, refusal{Line: l.n, ID: l.id, Reason: reason})
				default:
					sum.Unknown++
				}
				mu.Unlock()
				prog.add(outcome)
			}
		}()
	}
feed:
	for i, l := range todo {
		select {
		case jobs <- l:
		case <-ctx.Done():
			mu.Lock()
			sum.Unknown += len(todo) - i // not sent in this run
			mu.Unlock()
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	prog.stop()

	sort.Slice(sum.Refusals, func(i, j int) bool { return sum.Refusals[i].Line < sum.Refusals[j].Line })
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
		return failf(exitUnavailable, "outcome_unknown", "usage import: %d lines have an unknown outcome: run the same command again to retry them with the same idempotency keys", sum.Unknown)
	case sum.Refused > 0:
		return failf(exitFailure, "refused", "usage import: %d lines were refused (see the summary)", sum.Refused)
	}
	return nil
}

// importOne meters one line: applied or replayed, refused (with the
// reason), or unknown after maxImportAttempts. fatal stops the whole run
// (the key was refused).
func (a *app) importOne(ctx context.Context, api *guapocado.APIClient, l *importLine, wait time.Duration) (outcome, reason string, fatal *cliError) {
	for attempt := 1; ; attempt++ {
		var replayed atomic.Bool
		cctx, cancel := context.WithTimeout(context.WithValue(ctx, replayKey{}, &replayed), a.timeout)
		_, err := api.Usage.Consume(cctx, l.Key, l.amount, guapocado.ForCustomer(l.CustomerID), guapocado.WithIdempotencyKey(l.idempotencyKey()))
		cancel()
		var ve *guapocado.ValidationError
		var apiErr *guapocado.Error
		errors.As(err, &apiErr)
		switch {
		case err == nil && replayed.Load():
			return outReplayed, "", nil
		case err == nil:
			return outApplied, "", nil
		case ctx.Err() != nil:
			return outUnknown, "", nil
		case errors.Is(err, guapocado.ErrInvalidAPIKey):
			return outUnknown, "", &cliError{code: exitMisconfigured, kind: "invalid_api_key", msg: "usage import: the platform refused the API key"}
		case errors.Is(err, guapocado.ErrInsufficientBalance):
			return outRefused, "insufficient balance", nil
		case errors.As(err, &ve):
			return outRefused, clean(ve.Error()), nil
		case errors.Is(err, guapocado.ErrNotFound):
			return outRefused, fmt.Sprintf("not found: meter %q or customer %q", l.Key, l.CustomerID), nil
		case apiErr != nil && apiErr.StatusCode == http.StatusConflict:
			return outRefused, fmt.Sprintf("idempotency key %s was already used for a different request", l.idempotencyKey()), nil
		case apiErr != nil && apiErr.StatusCode >= 400 && apiErr.StatusCode < 500 && apiErr.StatusCode != 408 && apiErr.StatusCode != 429:
			return outRefused, fmt.Sprintf("%d %s", apiErr.StatusCode, clean(apiErr.Message)), nil
		}
		// A network failure, a timeout, a 5xx, a rate limit or a lost
		// answer: the same key is safe to send again.
		if attempt >= maxImportAttempts {
			return outUnknown, "", nil
		}
		t := time.NewTimer(wait * time.Duration(attempt))
		select {
		case <-ctx.Done():
			t.Stop()
			return outUnknown, "", nil
		case <-t.C:
		}
	}
}

// printImportSummary prints the counts (and why lines were refused).
func (a *app) printImportSummary(s *importSummary) error {
	if a.json {
		return a.printJSON(s)
	}
	w := a.stdout
	fmt.Fprintf(w, "usage import %s: %d lines\n", s.File, s.Lines)
	fmt.Fprintf(w, "  applied   %d\n", s.Applied)
	fmt.Fprintf(w, "  replayed  %d (already applied by an earlier attempt; not charged again)\n", s.Replayed)
	fmt.Fprintf(w, "  refused   %d\n", s.Refused)
	const show = 20
	for i, r := range s.Refusals {
		if i == show {
			fmt.Fprintf(w, "    ... and %d more (see --json)\n", len(s.Refusals)-show)
			break
		}
		id := ""
		if r.ID != "" {
			id = fmt.Sprintf(" (id %s)", r.ID)
		}
		fmt.Fprintf(w, "    line %d%s: %s\n", r.Line, id, r.Reason)
	}
	fmt.Fprintf(w, "  unknown   %d", s.Unknown)
	if s.Unknown > 0 {
		fmt.Fprint(w, " (run again to retry them with the same keys)")
	}
	fmt.Fprintf(w, "\n  skipped   %d (applied by an earlier run, per %s)\n", s.Skipped, s.State)
	if s.Aborted != "" {
		fmt.Fprintf(w, "stopped early: %s\n", s.Aborted)
	}
	return nil
}
