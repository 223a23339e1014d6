package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
)

// importFile writes n good lines (ids l-0 … l-{n-1}, four customers,
// amounts 1 to 3) and the given extra lines; it returns the path and the
// amount each customer should be charged.
func importFile(t *testing.T, n int, extra ...string) (string, map[string]float64) {
	t.Helper()
	var b strings.Builder
	want := map[string]float64{}
	for i := range n {
		cust := fmt.Sprintf("cust-%d", i%4)
		amount := 1 + i%3
		want[cust] += float64(amount)
		fmt.Fprintf(&b, `{"customerId":%q,"key":"api-calls","amount":%d,"id":"l-%d"}`+"\n", cust, amount, i)
	}
	for _, l := range extra {
		b.WriteString(l + "\n")
	}
	p := filepath.Join(t.TempDir(), "usage.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p, want
}

func importServer(t *testing.T) *guapocadotest.Server {
	t.Helper()
	var opts []guapocadotest.Option
	for i := range 4 {
		opts = append(opts, guapocadotest.WithCustomerPlan(fmt.Sprintf("cust-%d", i), "enterprise"))
	}
	srv := guapocadotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

// TestImportExactlyOnceAcrossKills (acceptance 4): 10,000 lines against
// the fake with 20% faults; the binary is killed (SIGKILL) at random
// points and run again until done. Every line is applied exactly once and
// the last summary's counts add up.
func TestImportExactlyOnceAcrossKills(t *testing.T) {
	testenv.NeedFull(t, "builds the guapocado binary and kills it while it imports 10,000 lines")
	t.Parallel()
	srv := importServer(t)
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/consume") || rand.IntN(5) != 0 {
			return nil
		}
		switch rand.IntN(4) {
		case 0:
			return &guapocadotest.Fault{Status: 503, Body: `{"error":"unavailable"}`}
		case 1:
			return &guapocadotest.Fault{Drop: guapocadotest.DropAfterApply}
		case 2:
			return &guapocadotest.Fault{Drop: guapocadotest.DropBeforeApply}
		}
		return &guapocadotest.Fault{Status: 429, Body: `{"error":"slow down"}`, Header: http.Header{"Retry-After": {"0"}}}
	})
	const n = 10000
	file, want := importFile(t, n,
		`{"customerId":"cust-0","key":"no-such-meter","amount":1,"id":"bad-meter"}`,
		`{"customerId":"cust-0","key":"api-calls","amount":-1,"id":"bad-amount"}`)
	args := []string{"usage", "import", file, "--api-key", srv.APIKey(), "--api-url", srv.APIURL(),
		"--concurrency", "16", "--retry-wait", "2ms", "--timeout", "10s"}

	kills := 0
	var last importSummary
	for runN := 1; ; runN++ {
		if runN > 12 {
			t.Fatal("the import did not finish in 12 runs")
		}
		cmd := exec.Command(binary(t), append([]string{"--json"}, args...)...)
		var out, errOut bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errOut
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var timer <-chan time.Time
		if kills < 3 {
			timer = time.After(time.Duration(200+rand.IntN(1200)) * time.Millisecond)
		}
		select {
		case <-timer:
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-done
			kills++
			t.Logf("run %d: killed", runN)
			continue
		case err := <-done:
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			}
			if err := json.Unmarshal(out.Bytes(), &last); err != nil {
				t.Fatalf("run %d: exit %d, summary %q (%v), stderr %s", runN, code, out.String(), err, errOut.String())
			}
			t.Logf("run %d: exit %d: %+v", runN, code, last)
			if last.Unknown > 0 {
				if code != exitUnavailable {
					t.Errorf("run %d: %d unknown, exit %d, want %d", runN, last.Unknown, code, exitUnavailable)
				}
				continue
			}
			if code != exitFailure || !strings.Contains(errOut.String(), "2 lines were refused") {
				t.Errorf("run %d: exit %d, stderr %s", runN, code, errOut.String())
			}
		}
		break
	}
	if kills == 0 {
		t.Error("no run was killed")
	}

	// The ledger: each line's key applied exactly once, and nothing else.
	applied := map[string]int{}
	charged := map[string]float64{}
	for _, op := range srv.Ops() {
		applied[op.IdempotencyKey]++
		charged[op.CustomerID] += op.Amount
	}
	for i := range n {
		if k := lineKey("usage.jsonl", fmt.Sprintf("l-%d", i), 0); applied[k] != 1 {
			t.Fatalf("%s applied %d times", k, applied[k])
		}
	}
	if len(applied) != n {
		t.Errorf("%d keys applied, want %d", len(applied), n)
	}
	for c, amt := range want {
		if charged[c] != amt {
			t.Errorf("%s charged %v, want %v", c, charged[c], amt)
		}
	}

	// The last summary adds up, and names the refused lines.
	s := last
	if s.Lines != n+2 || s.Applied+s.Replayed+s.Refused+s.Unknown+s.Skipped != s.Lines || s.Unknown != 0 || s.Refused != 2 {
		t.Errorf("summary does not add up: %+v", s)
	}
	if len(s.Refusals) != 2 || s.Refusals[0].Line != n+1 || !strings.Contains(s.Refusals[0].Reason, "not found") ||
		s.Refusals[1].Line != n+2 || !strings.Contains(s.Refusals[1].Reason, "amount must be a whole number") {
		t.Errorf("refusals %+v", s.Refusals)
	}

	// Once more: everything is settled, nothing is sent.
	before := len(srv.Requests())
	cmd := exec.Command(binary(t), args...)
	out, _ := cmd.Output()
	matches(t, string(out), `(?m)^  applied   0$`, `(?m)^  skipped   10000 \(applied by an earlier run`)
	if got := len(srv.Requests()) - before; got != 0 {
		t.Errorf("a settled import sent %d requests", got)
	}
}

// TestImportSummaryAndErrors: the text summary, the journal file next to the
// input, a refused key, and usage errors.
func TestImportSummaryAndErrors(t *testing.T) {
	t.Parallel()
	srv := importServer(t)
	file, _ := importFile(t, 50, `not json`, `{"customerId":"cust-1","key":"api-calls","amount":1,"id":"l-3"}`)
	h := newHarness(t)
	h.env["GUAPOCADO_API_KEY"] = srv.APIKey()
	r := h.run("usage", "import", file, "--api-url", srv.APIURL())
	if r.code != exitFailure {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout, `^usage import .*usage\.jsonl: 52 lines \(batch usage\.jsonl\)\n`, `(?m)^  applied   50$`, `(?m)^  refused   2$`,
		`(?m)^    line 51: not a JSON object$`, `(?m)^    line 52 \(id l-3\): duplicate id \(first on line 4\)$`, `(?m)^  unknown   0$`)
	if fi, err := os.Stat(file + ".journal"); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("journal file: %v %v", fi, err)
	}
	if strings.Contains(r.stdout+r.stderr, srv.APIKey()) {
		t.Error("the API key was printed")
	}

	r = h.run("usage", "import", file, "--api-url", srv.APIURL(), "--api-key", "sk_wrong", "--journal", filepath.Join(t.TempDir(), "s"))
	if r.code != exitMisconfigured || !strings.Contains(r.stderr, "the platform refused the API key") || strings.Contains(r.stderr, "sk_wrong") {
		t.Errorf("wrong key: %+v", r)
	}
	delete(h.env, "GUAPOCADO_API_KEY")
	h.fails(exitUsage, "no API key", "usage", "import", file)
	h.env["GUAPOCADO_API_KEY"] = "k"
	h.fails(exitUsage, "--concurrency must be from 1 to 256", "usage", "import", file, "--concurrency", "0")
	h.fails(exitUsage, "--concurrency must be from 1 to 256", "usage", "import", file, "--concurrency", "-3")
	h.fails(exitUsage, "usage: guapocado usage", "usage", "import")
}
