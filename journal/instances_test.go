package journal

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
	"github.com/riverqueue/river"
)

// recordMany commits n intents of meter for customers customers, 100 per
// transaction, each beside its app_work row.
func recordMany[TTx any](tb testing.TB, d *testDB[TTx], j *Journal[TTx], n, customers int, meter, prefix string) {
	tb.Helper()
	ctx := context.Background()
	for i := 0; i < n; i += 100 {
		tx, err := d.begin(ctx)
		if err != nil {
			tb.Fatal(err)
		}
		for k := i; k < min(i+100, n); k++ {
			u := Usage{CustomerID: fmt.Sprintf("org_%03d", k%customers), Meter: meter, Amount: int64(1 + k%5), Key: fmt.Sprintf("%s-%d", prefix, k)}
			if err := d.exec(ctx, tx, j.sql.q(`INSERT INTO app_work (key, customer_id, meter, amount) VALUES ($1, $2, $3, $4)`), u.Key, u.CustomerID, u.Meter, u.Amount); err != nil {
				tb.Fatal(err)
			}
			if _, err := j.RecordTx(ctx, tx, u); err != nil {
				tb.Fatal(err)
			}
		}
		if err := d.commit(ctx, tx); err != nil {
			tb.Fatal(err)
		}
	}
}

// instanceTiming: a job running 2 s is stuck, so a dead instance's work is
// rescued seconds after it died (plus River's rescuer tick, up to 30 s, and
// its leader's TTL, 15 s, when the dead one led).
func instanceTiming() Option {
	return WithRiverConfig(func(c *river.Config) { c.JobTimeout, c.RescueStuckJobsAfter = 2*time.Second, 2*time.Second })
}

// TestInstancesPostgres: three instances on one PostgreSQL deliver 10,000
// intents for 100 customers; one is SIGKILLed halfway; the other two take
// its work over, and every intent is applied exactly once.
func TestInstancesPostgres(t *testing.T) {
	testenv.NeedFull(t, "three worker processes deliver 10,000 intents, one is killed")
	d := newPG(t)
	srv := fake(t, guapocadotest.WithLatency(5*time.Millisecond))
	j := newJournal(t, d, srv)
	const n = 10000
	recordMany(t, d, j, n, 100, "tokens", "inst")
	procs := make([]*exec.Cmd, 3)
	outs := make([]*lockedBuffer, 3)
	for i := range procs {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWorker$", "-test.count=1")
		cmd.Env = append(os.Environ(), "GJ_WORKER=1", "GJ_MODE=deliver", "GJ_DB=postgres", "GJ_WHERE="+d.where,
			"GJ_API="+srv.APIURL(), "GJ_KEY="+srv.APIKey())
		outs[i] = &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = outs[i], outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		procs[i] = cmd
	}
	waitFor(t, "a third applied", func() bool { return len(srv.Ops()) >= n/3 })
	if err := procs[1].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	atKill := len(srv.Ops())
	if err := procs[1].Wait(); err == nil {
		t.Fatal("the killed instance exited normally")
	}
	for _, i := range []int{0, 2} {
		if err := procs[i].Wait(); err != nil {
			t.Fatalf("instance %d: %v\n%s", i, err, outs[i].String())
		}
	}
	checkLedger(t, d, srv)
	rescued, err := d.count(context.Background(), `SELECT COUNT(*) FROM river_job WHERE metadata ? 'river:rescue_count'`)
	if err != nil {
		t.Fatal(err)
	}
	if rescued == 0 {
		t.Error("no job of the killed instance was taken over")
	}
	t.Logf("%d intents: %d applied when one instance was killed, %d of its jobs taken over; %d applications, %d idempotent replays",
		n, atKill, rescued, len(srv.Ops()), srv.IdempotentReplays())
}

// deliverWorker is an instance that only delivers, until nothing is
// pending or in flight on the database.
func deliverWorker[TTx any](t *testing.T, d *testDB[TTx]) {
	api := platformClient(t, os.Getenv("GJ_API"), os.Getenv("GJ_KEY"))
	point := os.Getenv("GJ_POINT")
	nth, _ := strconv.Atoi(os.Getenv("GJ_NTH"))
	var seen atomic.Int64
	kill := func(c *config) error {
		c.hook = func(p string) {
			if p == point && seen.Add(1) == int64(nth) {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
		return nil
	}
	j, err := New(d.driver, api, fastRiver(), instanceTiming(), WithPostpaid("rows"), WithBatch(1000, 100*time.Millisecond), kill)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for {
		s, err := j.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pending+s.InFlight == 0 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	closeCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := j.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
}
