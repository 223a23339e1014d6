package journal

import (
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/internal/testenv"
)

// testCoalesce: post-paid intents are applied as a few batches with the
// same totals, each member in one batch; ordinary meters beside them are
// delivered one by one.
func testCoalesce[TTx any](t *testing.T, d *testDB[TTx]) {
	srv := fake(t)
	j := newJournal(t, d, srv, WithPostpaid("rows"), WithBatch(50, 20*time.Millisecond))
	ctx := t.Context()
	for i := range 400 {
		u := Usage{CustomerID: fmt.Sprintf("org_%d", i%4), Meter: "rows", Amount: int64(1 + i%7), Key: fmt.Sprintf("row-%d", i)}
		if i%10 == 0 {
			u.Meter = "tokens"
		}
		if err := d.work(ctx, j, u, i%13 != 5); err != nil {
			t.Fatal(err)
		}
	}
	start(t, j)
	waitFor(t, "all delivered", func() bool { s, _ := j.Stats(ctx); return s.Pending+s.InFlight == 0 && s.Delivered > 0 })
	checkLedger(t, d, srv)
	calls := len(srv.Ops())
	committed, _ := d.count(ctx, `SELECT COUNT(*) FROM app_work`)
	if calls > int(committed)/4 {
		t.Errorf("%d platform calls for %d intents", calls, committed)
	}
	t.Logf("%d intents, %d platform calls", committed, calls)
}

func TestCoalesceSQLite(t *testing.T) { t.Parallel(); testCoalesce(t, newSQLite(t)) }
func TestCoalescePostgres(t *testing.T) {
	t.Parallel()
	testCoalesce(t, newPG(t))
}

// testCoalesceMany: 100,000 post-paid intents for 100 customers are
// applied as far fewer platform calls with the same totals, and killing
// the delivering instance while it seals a batch, and again after a
// batch's answer before River marks it, changes nothing.
func testCoalesceMany[TTx any](t *testing.T, d *testDB[TTx], env []string) {
	srv := fake(t)
	j := newJournal(t, d, srv, WithPostpaid("rows"))
	const n = 100000
	recordMany(t, d, j, n, 100, "rows", "pp")
	for _, kill := range []struct {
		point string
		nth   int
	}{{"seal:before-commit", 30}, {"deliver:answered", 20}} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWorker$", "-test.count=1")
		cmd.Env = append(os.Environ(), append(env, "GJ_WORKER=1", "GJ_MODE=deliver", "GJ_API="+srv.APIURL(), "GJ_KEY="+srv.APIKey(),
			"GJ_POINT="+kill.point, "GJ_NTH="+strconv.Itoa(kill.nth))...)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		err := cmd.Run()
		ee, ok := err.(*exec.ExitError)
		if !ok || !ee.Sys().(syscall.WaitStatus).Signaled() {
			t.Fatalf("instance to be killed at %s #%d: %v\n%s", kill.point, kill.nth, err, out.String())
		}
		report, err := ledgerReport(t.Context(), d, srv, false)
		if err != nil || report != "" {
			t.Fatalf("after the kill at %s: %v\n%s", kill.point, err, report)
		}
	}
	restartAndDrain(t, d, srv, 1000)
	checkLedger(t, d, srv)
	calls := len(srv.Ops())
	if calls > n/50 {
		t.Errorf("%d platform calls for %d post-paid intents", calls, n)
	}
	batches, _ := d.count(t.Context(), `SELECT COUNT(*) FROM guapocado_journal_batch`)
	t.Logf("%d post-paid intents for 100 customers: %d batches, %d platform calls, %d idempotent replays", n, batches, calls, srv.IdempotentReplays())
}

func TestCoalesceManySQLite(t *testing.T) {
	testenv.NeedFull(t, "records 100,000 intents and kills two instances")
	d := newSQLite(t)
	testCoalesceMany(t, d, []string{"GJ_DB=sqlite", "GJ_WHERE=" + d.where})
}

func TestCoalesceManyPostgres(t *testing.T) {
	testenv.NeedFull(t, "records 100,000 intents and kills two instances")
	d := newPG(t)
	testCoalesceMany(t, d, []string{"GJ_DB=postgres", "GJ_WHERE=" + d.where})
}
