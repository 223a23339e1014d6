package journal

import (
	"fmt"
	"testing"
	"time"
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
