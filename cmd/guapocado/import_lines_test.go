package main

import (
	"database/sql"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestImportRefusesAmbiguousLines: trailing data on a line, a key given
// twice, ids that are numbers with a fraction or an exponent, and an id
// with a space (no idempotency key holds one) are
// refused with their line number, and nothing of them is charged.
func TestImportRefusesAmbiguousLines(t *testing.T) {
	t.Parallel()
	srv := importServer(t)
	h := importHarness(t, srv)
	file := writeFile(t, filepath.Join(t.TempDir(), "strict.jsonl"), strings.Join([]string{
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":"a"}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":"b"} {"customerId":"cust-0","key":"api-calls","amount":5,"id":"c"}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"amount":1000,"id":"d"}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":12}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":12.0}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":1e3}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":"e"}x`,
		`{"customerId":"cust-0","customerId":"cust-1","key":"api-calls","amount":1,"id":"f"}`,
		`{"customerId":"cust-0","key":"api-calls","amount":1,"id":"g h"}`,
	}, "\n")+"\n")
	r := h.run("usage", "import", file)
	if r.code != exitFailure {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout, `(?m)^  applied   2$`, `(?m)^  refused   7$`,
		`(?m)^    line 9 \(id g h\): id must be printable ASCII without spaces \(it is part of an idempotency key\)$`,
		`(?m)^    line 2: data after the JSON object \(one object per line\)$`,
		`(?m)^    line 3: duplicate key "amount"$`,
		`(?m)^    line 5: id must be a string or a whole number written without a fraction or exponent$`,
		`(?m)^    line 6: id must be a string or a whole number written without a fraction or exponent$`,
		`(?m)^    line 7: data after the JSON object`,
		`(?m)^    line 8: duplicate key "customerId"$`)
	if got := charged(srv); got != 2 {
		t.Errorf("charged %v, want 2 (lines 1 and 4)", got)
	}
}

// TestImportRefusesPlantedJournal: a journal file another user could have
// written (writable by group or others, or a link in its place, or such a
// SQLite -wal file beside it) is refused before anything is sent, as a
// planted session file is.
func TestImportRefusesPlantedJournal(t *testing.T) {
	t.Parallel()
	srv := importServer(t)
	h := importHarness(t, srv)
	dir := t.TempDir()
	journalFile := filepath.Join(dir, "planted.journal")
	first, _ := importFile(t, 1) // line l-0, applied into journalFile
	matches(t, h.imports("usage", "import", first, "--journal", journalFile), `(?m)^  applied   1$`)
	before := len(srv.Requests())
	file, _ := importFile(t, 3)
	if err := os.Chmod(journalFile, 0o666); err != nil {
		t.Fatal(err)
	}
	r := h.run("usage", "import", file, "--journal", journalFile)
	if r.code != exitFailure || !strings.Contains(r.stderr, "refusing the journal file "+journalFile+": "+journalFile+" is writable by group or others (mode 0666)") {
		t.Fatalf("%+v", r)
	}
	link := filepath.Join(dir, "link.journal")
	if err := os.Symlink(journalFile, link); err != nil {
		t.Fatal(err)
	}
	r = h.run("usage", "import", file, "--journal", link)
	if r.code != exitFailure || !strings.Contains(r.stderr, "is not a regular file") {
		t.Fatalf("%+v", r)
	}
	if err := os.Chmod(journalFile, 0o600); err != nil {
		t.Fatal(err)
	}
	wal := writeFile(t, journalFile+"-wal", "")
	if err := os.Chmod(wal, 0o646); err != nil {
		t.Fatal(err)
	}
	r = h.run("usage", "import", file, "--journal", journalFile)
	if r.code != exitFailure || !strings.Contains(r.stderr, journalFile+"-wal is writable by group or others (mode 0646)") {
		t.Fatalf("%+v", r)
	}
	if n := len(srv.Requests()) - before; n != 0 {
		t.Errorf("%d requests sent", n)
	}
	// Made private, it is the user's own journal.
	if err := os.Remove(wal); err != nil {
		t.Fatal(err)
	}
	matches(t, h.imports("usage", "import", file, "--journal", journalFile), `(?m)^  applied   2$`, `(?m)^  skipped   1 `)
}

// consumeRequests counts the platform consume requests per idempotency key.
func consumeRequests(srv *guapocadotest.Server) map[string]int {
	n := map[string]int{}
	for _, r := range srv.Requests() {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.Path, "/consume") {
			continue
		}
		var body struct{ IdempotencyKey string }
		_ = json.Unmarshal(r.Body, &body)
		n[body.IdempotencyKey]++
	}
	return n
}

// TestImportUsesTheSDKsAttempts: a line is one SDK call, so it takes at
// most the SDK's attempts (DefaultRetryMax retries after the first), and
// the command adds no loop of its own. A line whose outcome is unknown is
// shown with its last error (text and JSON) and is not counted as settled;
// the next run sends it with the same key.
func TestImportUsesTheSDKsAttempts(t *testing.T) {
	t.Parallel()
	srv := importServer(t)
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if strings.HasSuffix(r.URL.Path, "/consume") {
			return &guapocadotest.Fault{Status: 503, Body: `{"error":"platform down for maintenance"}`}
		}
		return nil
	})
	h := importHarness(t, srv)
	file, _ := importFile(t, 3)
	r := h.run("usage", "import", file, "--retry-wait", "1ms")
	if r.code != exitUnavailable {
		t.Fatalf("%+v", r)
	}
	for key, n := range consumeRequests(srv) {
		if n != guapocado.DefaultRetryMax+1 {
			t.Errorf("%s: %d attempts, want the SDK's %d", key, n, guapocado.DefaultRetryMax+1)
		}
	}
	if len(consumeRequests(srv)) != 3 {
		t.Errorf("keys sent: %v", consumeRequests(srv))
	}
	matches(t, r.stdout, `(?m)^  unknown   3 \(run again to send them with the same keys\)$`,
		`(?m)^    line 1 \(id l-0\): .*503.*platform down for maintenance`, `(?m)^    line 3 \(id l-2\): .*503`)
	if !strings.Contains(r.stderr, "usage import: 0/3 lines settled, 3 unknown (0%)\n") || strings.Contains(r.stderr, "3/3 lines settled") {
		t.Errorf("progress counted unknown lines as settled:\n%s", r.stderr)
	}
	// The journal does not retry them on its own (which would add its
	// attempts to the SDK's): their jobs wait for the next run.
	if n := waitingForNextRun(t, file+".journal"); n != 3 {
		t.Errorf("%d jobs wait for the next run, want 3", n)
	}

	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if strings.HasSuffix(r.URL.Path, "/consume") {
			return &guapocadotest.Fault{Drop: guapocadotest.DropAfterApply}
		}
		return nil
	})
	r = h.run("--json", "usage", "import", file, "--retry-wait", "1ms")
	var s importSummary
	if err := json.Unmarshal([]byte(r.stdout), &s); err != nil || r.code != exitUnavailable || s.Unknown != 3 || len(s.Unknowns) != 3 {
		t.Fatalf("%+v (%v)", r, err)
	}
	for _, u := range s.Unknowns {
		if !strings.Contains(u.Error, "outcome unknown") {
			t.Errorf("unknown line %+v: want the SDK's outcome-unknown error", u)
		}
	}

	// The platform is back: the same keys, each applied once, reported as
	// replays of this batch's own earlier attempts.
	srv.SetFaultFunc(nil)
	matches(t, h.imports("usage", "import", file), `(?m)^  applied   0$`, `(?m)^  replayed  3 `, `(?m)^  refused   0$`)
	applied := map[string]int{}
	for _, op := range srv.Ops() {
		applied[op.IdempotencyKey]++
	}
	for i := range 3 {
		if k := lineKey("usage.jsonl", "l-"+string(rune('0'+i)), 0); applied[k] != 1 {
			t.Errorf("%s applied %d times", k, applied[k])
		}
	}
}

// waitingForNextRun counts the journal file's jobs whose retry is not due
// within any run (a year from now or later).
func waitingForNextRun(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT COUNT(*) FROM river_job WHERE state = 'retryable' AND scheduled_at > datetime('now', '+1 year')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// blockedTransport fails every request without sending it, and notes the
// hosts asked for.
type blockedTransport struct {
	mu    sync.Mutex
	hosts map[string]bool
}

func (b *blockedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.hosts[r.URL.Host] = true
	return nil, errors.New("dial tcp: lookup " + r.URL.Hostname() + ": no such host")
}

// TestImportWarnsOfATestKeyOnTheHostedAPI: a test key with no API URL goes
// to the hosted API; the run warns (a local fake's key, most likely) and
// shows each line's cause.
func TestImportWarnsOfATestKeyOnTheHostedAPI(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	blocked := &blockedTransport{hosts: map[string]bool{}}
	h.transport = blocked
	h.env["GUAPOCADO_API_KEY"] = "sk_guap_test_0123456789abcdef"
	file, _ := importFile(t, 2)
	r := h.run("usage", "import", file, "--retry-wait", "1ms")
	if r.code != exitUnavailable {
		t.Fatalf("%+v", r)
	}
	if !strings.Contains(r.stderr, "guapocado: warning: the API key is a test key (sk_guap_test_…) and goes to the hosted API https://api.guapocado.dev: if it is a local guapocado fake's key, pass the fake's URL with --api-url or GUAPOCADO_API_URL") {
		t.Errorf("no warning:\n%s", r.stderr)
	}
	matches(t, r.stdout, `(?m)^    line 1 \(id l-0\): .*lookup api\.guapocado\.dev: no such host`)
	if strings.Contains(r.stdout+r.stderr, "0123456789abcdef") {
		t.Error("the key was printed")
	}
	if len(blocked.hosts) != 1 || !blocked.hosts["api.guapocado.dev"] {
		t.Errorf("hosts %v", blocked.hosts)
	}
	// Pointed at the fake: no warning.
	srv := importServer(t)
	h.transport = nil
	h.env["GUAPOCADO_API_KEY"] = srv.APIKey()
	r = h.run("usage", "import", file, "--api-url", srv.APIURL(), "--journal", filepath.Join(t.TempDir(), "s"))
	if r.code != 0 || strings.Contains(r.stderr, "warning") {
		t.Errorf("%+v", r)
	}
}

// TestImportDoesNotWaitForWhatTheJournalLacks: a line recorded in the
// journal file whose intent is no longer waiting there (River discarded
// it, or another import on the same file delivered it) does not hold the
// run: the run ends when nothing is left to deliver, and reports the line
// as unknown, to run again.
func TestImportDoesNotWaitForWhatTheJournalLacks(t *testing.T) {
	t.Parallel()
	srv := importServer(t)
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if strings.HasSuffix(r.URL.Path, "/consume") {
			return &guapocadotest.Fault{Status: 503, Body: `{"error":"down"}`}
		}
		return nil
	})
	h := importHarness(t, srv)
	file, _ := importFile(t, 2)
	if r := h.run("usage", "import", file, "--retry-wait", "1ms"); r.code != exitUnavailable {
		t.Fatalf("%+v", r)
	}
	db, err := sql.Open("sqlite", "file:"+file+".journal")
	if err != nil {
		t.Fatal(err)
	}
	res, err := db.Exec(`DELETE FROM river_job WHERE json_extract(args, '$.key') = 'import:usage.jsonl:l-1'`)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("deleted %d jobs, want 1", n)
	}
	db.Close()
	srv.SetFaultFunc(nil)
	r := h.run("usage", "import", file)
	if r.code != exitUnavailable {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout, `(?m)^  applied   1$`, `(?m)^  unknown   1 `,
		`(?m)^    line 2 \(id l-1\): not delivered by this run: its intent was not waiting in the journal file`)
}
