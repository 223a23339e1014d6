package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// monthLines is a monthly export of 50 lines numbered 1 to 50, as every
// month's file numbers them: month 1 charges 2 a line (100 in all), months
// 2 and 3 charge 2 or 3 (125 each), so the three months charge 350.
func monthLines(month int) (string, float64) {
	var b strings.Builder
	total := 0.0
	for i := 1; i <= 50; i++ {
		amount := 2
		if month > 1 {
			amount += i % 2
		}
		total += float64(amount)
		fmt.Fprintf(&b, `{"customerId":"cust-%d","key":"api-calls","amount":%d,"id":%d}`+"\n", i%4, amount, i)
	}
	return b.String(), total
}

func writeFile(t *testing.T, path, content string) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// charged is what the fake's ledger has charged in all.
func charged(srv *guapocadotest.Server) float64 {
	total := 0.0
	for _, op := range srv.Ops() {
		total += op.Amount
	}
	return total
}

// importHarness is a harness whose GUAPOCADO_API_KEY and GUAPOCADO_API_URL
// point at srv's platform API.
func importHarness(t *testing.T, srv *guapocadotest.Server) *harness {
	t.Helper()
	h := newHarness(t)
	h.env["GUAPOCADO_API_KEY"] = srv.APIKey()
	h.env["GUAPOCADO_API_URL"] = srv.APIURL()
	return h
}

// imports runs an import that must exit 0 (its progress is on stderr).
func (h *harness) imports(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 {
		h.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// TestImportThreeMonthlyFiles: three monthly exports of 50 lines each,
// numbered 1 to 50 every month, charge 350 units in all. A line's key is
// scoped to its batch (the file's name, or --batch), so months in files of
// their own names never collide; and when a month is taken for an earlier
// one (the same name in another directory, or the same file written over),
// the run charges nothing, says so and exits 1, and --batch imports it.
func TestImportThreeMonthlyFiles(t *testing.T) {
	t.Parallel()
	t.Run("a file per month", func(t *testing.T) {
		t.Parallel()
		srv := importServer(t)
		h := importHarness(t, srv)
		dir := t.TempDir()
		want := 0.0
		for m, name := range []string{"usage-2026-01.jsonl", "usage-2026-02.jsonl", "usage-2026-03.jsonl"} {
			lines, total := monthLines(m + 1)
			want += total
			r := h.run("usage", "import", writeFile(t, filepath.Join(dir, name), lines))
			if r.code != 0 {
				t.Fatalf("%s: %+v", name, r)
			}
			matches(t, r.stdout, `(?m)^  applied   50$`)
			if got := charged(srv); got != want {
				t.Fatalf("after %s: charged %v, want %v", name, got, want)
			}
		}
		if want != 350 {
			t.Fatalf("the months charge %v, want 350", want)
		}
		// The fake's ledger: 150 keys (50 a month), each applied once.
		perKey := map[string]int{}
		for _, op := range srv.Ops() {
			perKey[op.IdempotencyKey]++
		}
		for _, name := range []string{"usage-2026-01.jsonl", "usage-2026-02.jsonl", "usage-2026-03.jsonl"} {
			for i := 1; i <= 50; i++ {
				if k := lineKey(name, fmt.Sprint(i), 0); perKey[k] != 1 {
					t.Errorf("%s applied %d times", k, perKey[k])
				}
			}
		}
		if len(perKey) != 150 {
			t.Errorf("%d keys applied, want 150", len(perKey))
		}
	})

	t.Run("the same name in three directories", func(t *testing.T) {
		t.Parallel()
		srv := importServer(t)
		h := importHarness(t, srv)
		dir := t.TempDir()
		jan, _ := monthLines(1)
		feb, febTotal := monthLines(2)
		mar, _ := monthLines(3)
		h.imports("usage", "import", writeFile(t, filepath.Join(dir, "01", "usage.jsonl"), jan))
		if got := charged(srv); got != 100 {
			t.Fatalf("January charged %v", got)
		}
		febFile := writeFile(t, filepath.Join(dir, "02", "usage.jsonl"), feb)
		r := h.run("--json", "usage", "import", febFile)
		var s importSummary
		if err := json.Unmarshal([]byte(r.stdout), &s); err != nil {
			t.Fatal(err)
		}
		if r.code != exitFailure || !strings.Contains(r.stderr, `nothing was charged: 50 lines were taken for lines of another file already imported in batch \"usage.jsonl\"`) ||
			!strings.Contains(r.stderr, "--batch") || s.Applied != 0 || s.OtherBatch != 50 || charged(srv) != 100 {
			t.Fatalf("February under January's batch: %+v, summary %+v, charged %v", r, s, charged(srv))
		}
		h.imports("usage", "import", febFile, "--batch", "2026-02")
		if got := charged(srv); got != 100+febTotal {
			t.Fatalf("February with --batch: charged %v", got)
		}
		h.imports("usage", "import", writeFile(t, filepath.Join(dir, "03", "usage.jsonl"), mar), "--batch", "2026-03")
		if got := charged(srv); got != 350 {
			t.Fatalf("charged %v, want 350", got)
		}
	})

	t.Run("one file written over every month", func(t *testing.T) {
		t.Parallel()
		srv := importServer(t)
		h := importHarness(t, srv)
		file := filepath.Join(t.TempDir(), "usage.jsonl")
		jan, _ := monthLines(1)
		feb, _ := monthLines(2)
		mar, _ := monthLines(3)
		h.imports("usage", "import", writeFile(t, file, jan))
		writeFile(t, file, feb)
		before := len(srv.Requests())
		r := h.run("usage", "import", file)
		if r.code != exitFailure || !strings.Contains(r.stderr, "nothing was charged") || charged(srv) != 100 ||
			!strings.Contains(r.stdout, "the journal file recorded id 1 of batch usage.jsonl for a different line") {
			t.Fatalf("February over January: %+v, charged %v", r, charged(srv))
		}
		if n := len(srv.Requests()) - before; n != 0 {
			t.Errorf("%d requests sent", n)
		}
		h.imports("usage", "import", file, "--batch", "2026-02")
		writeFile(t, file, mar)
		h.imports("usage", "import", file, "--batch", "2026-03")
		if got := charged(srv); got != 350 {
			t.Fatalf("charged %v, want 350", got)
		}
	})
}

// TestImportRetryRefused: refused lines are not sent again, and the
// summary says how to: --retry-refused sends them with a new key (a
// refused key was never applied), once.
func TestImportRetryRefused(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan("poor", "free")) // 10 ai-credits
	t.Cleanup(srv.Close)
	h := importHarness(t, srv)
	file := writeFile(t, filepath.Join(t.TempDir(), "credits.jsonl"),
		`{"customerId":"poor","key":"ai-credits","amount":5,"id":"a"}`+"\n"+
			`{"customerId":"poor","key":"ai-credits","amount":5,"id":"b"}`+"\n"+
			`{"customerId":"poor","key":"ai-credits","amount":5,"id":"c"}`+"\n")
	r := h.run("usage", "import", file, "--concurrency", "1")
	if r.code != exitFailure {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout, `(?m)^  applied   2$`, `(?m)^    line 3 \(id c\): insufficient balance$`)

	// Run again: reported, not sent, and the way to send it is named.
	before := len(srv.Requests())
	r = h.run("usage", "import", file)
	if r.code != exitFailure || len(srv.Requests()) != before {
		t.Fatalf("%+v (%d requests)", r, len(srv.Requests())-before)
	}
	matches(t, r.stdout, `(?m)^    line 3 \(id c\): insufficient balance \(earlier run\)$`, `(?m)run with --retry-refused`)

	// After a top-up.
	if err := srv.SetPlan("poor", "pro"); err != nil { // 500 ai-credits
		t.Fatal(err)
	}
	r = h.run("usage", "import", file, "--retry-refused")
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout, `(?m)^  applied   1$`, `(?m)^  skipped   2 `)
	keys := map[string]int{}
	for _, op := range srv.Ops() {
		keys[op.IdempotencyKey]++
	}
	if keys[lineKey("credits.jsonl", "c", 1)] != 1 || len(keys) != 3 || charged(srv) != 15 {
		t.Errorf("ledger %v, charged %v", keys, charged(srv))
	}
	h.imports("usage", "import", file, "--retry-refused")
	if charged(srv) != 15 {
		t.Errorf("a settled import charged again: %v", charged(srv))
	}
}

// TestImportRefusesAnEarlierStateFile: the state file of an earlier
// version beside the input, and no journal file, stops the run before
// anything is sent (its lines would be taken for another batch's); a
// journal file named with --journal goes ahead.
func TestImportRefusesAnEarlierStateFile(t *testing.T) {
	t.Parallel()
	srv := importServer(t)
	h := importHarness(t, srv)
	file, _ := importFile(t, 2)
	writeFile(t, file+".state", `{"key":"import:usage.jsonl:l-0","outcome":"applied","at":"2026-01-01T00:00:00Z"}`+"\n")
	r := h.run("usage", "import", file)
	if r.code != exitFailure || !strings.Contains(r.stderr, file+".state is the state file of an earlier version of guapocado") || len(srv.Requests()) != 0 {
		t.Fatalf("%+v", r)
	}
	if _, err := os.Stat(file + ".journal"); err == nil {
		t.Error("a journal file was created")
	}
	matches(t, h.imports("usage", "import", file, "--journal", filepath.Join(t.TempDir(), "j")), `(?m)^  applied   2$`)
}
