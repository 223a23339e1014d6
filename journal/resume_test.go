package journal

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// nextYear schedules every retry a year later: within the test, only
// ResumeNow makes a job due again.
type nextYear struct{}

func (nextYear) NextRetry(*rivertype.JobRow) time.Time { return time.Now().Add(365 * 24 * time.Hour) }

// testResumeNow: an intent whose attempt failed (waiting a year for its
// retry) and one a dead process left running are both delivered at once by
// a journal that resumes them, each applied once under its key.
func testResumeNow[TTx any](t *testing.T, d *testDB[TTx]) {
	srv := fake(t)
	ctx := t.Context()
	retryLate := WithRiverConfig(func(c *river.Config) { c.RetryPolicy = nextYear{} })
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		return &guapocadotest.Fault{Status: http.StatusServiceUnavailable, Body: `{"error":"down"}`}
	})
	j := newJournal(t, d, srv, retryLate)
	if _, err := j.Record(ctx, Usage{CustomerID: "org_r", Meter: "tokens", Amount: 2, Key: "failed-once"}); err != nil {
		t.Fatal(err)
	}
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a retry scheduled", func() bool {
		n, _ := d.count(ctx, `SELECT COUNT(*) FROM river_job WHERE state = 'retryable'`)
		return n == 1
	})
	stopCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := j.River().Stop(stopCtx); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Record(ctx, Usage{CustomerID: "org_r", Meter: "tokens", Amount: 3, Key: "left-running"}); err != nil {
		t.Fatal(err)
	}
	if err := d.driver.GetExecutor().Exec(ctx, `UPDATE river_job SET state = 'running', attempt = 1 WHERE state = 'available'`); err != nil {
		t.Fatal(err)
	}

	srv.SetFaultFunc(nil)
	j2 := newJournal(t, d, srv, retryLate)
	if err := j2.ResumeNow(ctx); err != nil {
		t.Fatal(err)
	}
	start(t, j2)
	waitFor(t, "both delivered", func() bool { s, _ := j2.Stats(ctx); return s.Delivered == 2 })
	n, _ := applied(srv)
	if n["failed-once"] != 1 || n["left-running"] != 1 || len(n) != 2 {
		t.Errorf("applied %v", n)
	}
}

func TestResumeNowSQLite(t *testing.T) { t.Parallel(); testResumeNow(t, newSQLite(t)) }
func TestResumeNowPostgres(t *testing.T) {
	t.Parallel()
	testResumeNow(t, newPG(t))
}
