package journal

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"
)

// The crash harness runs the application (a unit of work that records its
// usage with RecordTx) and the journal's delivery in a worker process, the
// test binary run again as TestCrashWorker, and SIGKILLs it at one point
// of a run:
//
//	app:before-commit   the worker kills itself before the caller's commit
//	deliver:start       after the commit, before the platform call
//	send                the fake kills it when the call arrives, then
//	                    applies the call: sent, applied, never answered
//	deliver:answered    after the answer, before River marks the job
//	seal:before-commit  while sealing a post-paid batch
//	timer               after a random time
//
// The fake also loses answers after applying them and answers 503 on its
// own. After every run, a restarted journal (in the test process) delivers
// what the run left, and the fake's ledger is compared with the committed
// work: every committed intent applied exactly once, nothing of a
// rolled-back one, the totals equal.
var crashPoints = []string{"app:before-commit", "deliver:start", "send", "deliver:answered", "seal:before-commit", "timer"}

const crashPerRun = 6 // units of work per run

func crashRuns(tb testing.TB) int {
	if v, err := strconv.Atoi(os.Getenv("GJ_CRASH_RUNS")); err == nil && v > 0 {
		return v
	}
	return 500
}

// crashLanes is how many harnesses run side by side, each on its own
// database and fake: a run mostly waits (for the kill, for River's rescue),
// so lanes share the runs at little extra CPU.
const crashLanes = 10

func TestCrashSQLite(t *testing.T) {
	testenv.NeedFull(t, "kills 500 worker processes")
	crashLanesRun(t, func(t *testing.T, runs int, kills *killCount) {
		d := newSQLite(t)
		crashHarness(t, d, []string{"GJ_DB=sqlite", "GJ_WHERE=" + d.where}, runs, kills)
	})
}

func TestCrashPostgres(t *testing.T) {
	testenv.NeedFull(t, "kills 500 worker processes")
	pgDSN(t)
	crashLanesRun(t, func(t *testing.T, runs int, kills *killCount) {
		d := newPG(t)
		crashHarness(t, d, []string{"GJ_DB=postgres", "GJ_WHERE=" + d.where}, runs, kills)
	})
}

// killCount counts the kills per point over the lanes.
type killCount struct {
	mu sync.Mutex
	n  map[string]int
}

func (k *killCount) add(point string) {
	k.mu.Lock()
	k.n[point]++
	k.mu.Unlock()
}

func crashLanesRun(t *testing.T, lane func(t *testing.T, runs int, kills *killCount)) {
	runs := crashRuns(t)
	kills := &killCount{n: map[string]int{}}
	start := time.Now()
	t.Run("lanes", func(t *testing.T) {
		for i := range crashLanes {
			t.Run(fmt.Sprintf("lane%d", i), func(t *testing.T) {
				t.Parallel()
				lane(t, (runs+crashLanes-1)/crashLanes, kills)
			})
		}
	})
	t.Logf("%d runs in %s, kills per point: %v", (runs+crashLanes-1)/crashLanes*crashLanes, time.Since(start).Round(time.Second), kills.n)
	for _, p := range crashPoints {
		if kills.n[p] == 0 && runs >= 100 {
			t.Errorf("no run was killed at %s", p)
		}
	}
}

func crashHarness[TTx any](t *testing.T, d *testDB[TTx], env []string, runs int, kills *killCount) {
	srv := fake(t)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (GJ_CRASH_SEED to repeat)", seed)
	if v, err := strconv.ParseUint(os.Getenv("GJ_CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	rng := rand.New(rand.NewPCG(seed, 1))
	var faultMu sync.Mutex
	faultRng := rand.New(rand.NewPCG(seed, 2))
	var (
		victim   atomic.Int64 // the worker's pid while "send" is armed
		sendLeft atomic.Int64
	)
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if pid := victim.Load(); pid != 0 && sendLeft.Add(-1) == 0 {
			_ = syscall.Kill(int(pid), syscall.SIGKILL)
			time.Sleep(20 * time.Millisecond) // let the connection die before the answer
			return nil
		}
		faultMu.Lock()
		p := faultRng.IntN(10)
		faultMu.Unlock()
		switch p {
		case 0:
			return &guapocadotest.Fault{Status: http.StatusServiceUnavailable, Body: `{"error":"unavailable"}`}
		case 1:
			return &guapocadotest.Fault{Drop: guapocadotest.DropAfterApply}
		}
		return nil
	})
	start := time.Now()
	for run := range runs {
		point := crashPoints[rng.IntN(len(crashPoints))]
		nth := 1 + rng.IntN(crashPerRun)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWorker$", "-test.count=1")
		cmd.Env = append(os.Environ(), append(env,
			"GJ_WORKER=1", "GJ_API="+srv.APIURL(), "GJ_KEY="+srv.APIKey(),
			"GJ_RUN="+strconv.Itoa(run), "GJ_POINT="+point, "GJ_NTH="+strconv.Itoa(nth),
			"GJ_SEED="+strconv.FormatUint(rng.Uint64(), 10))...)
		out := &lockedBuffer{}
		cmd.Stdout, cmd.Stderr = out, out
		if point == "send" {
			sendLeft.Store(int64(nth))
		}
		runStart := time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if point == "send" {
			victim.Store(int64(cmd.Process.Pid))
		}
		if point == "timer" {
			time.AfterFunc(time.Duration(rng.IntN(400))*time.Millisecond, func() { _ = cmd.Process.Signal(syscall.SIGKILL) })
		}
		err := cmd.Wait()
		victim.Store(0)
		killed := false
		if ee, ok := err.(*exec.ExitError); ok {
			if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() && ws.Signal() == syscall.SIGKILL {
				killed = true
			}
		}
		if err != nil && !killed {
			t.Fatalf("run %d (%s #%d): worker failed: %v\n%s", run, point, nth, err, out.String())
		}
		if killed {
			kills.add(point)
		}
		workerTook := time.Since(runStart)
		restartStart := time.Now()
		restartAndDrain(t, d, srv, 3)
		if run < 2 {
			t.Logf("run %d (%s #%d, killed %v): worker %s, restart %s", run, point, nth, killed, workerTook.Round(time.Millisecond), time.Since(restartStart).Round(time.Millisecond))
		}
		report, err := ledgerReport(context.Background(), d, srv, true)
		if err != nil {
			t.Fatal(err)
		}
		if report != "" {
			t.Fatalf("run %d (kill at %s #%d, killed %v): after the restart the ledger differs:\n%s\nworker output:\n%s", run, point, nth, killed, report, out.String())
		}
	}
	committed, _ := d.count(context.Background(), `SELECT COUNT(*) FROM app_work`)
	t.Logf("%d runs in %s: %d committed intents, %d platform applications, %d idempotent replays",
		runs, time.Since(start).Round(time.Second), committed, len(srv.Ops()), srv.IdempotentReplays())
}

// crashRescue is the harness's River timing: a job running longer than
// this is taken for stuck (JobTimeout and RescueStuckJobsAfter), so a dead
// worker's jobs are rescued soon after it died.
const crashRescue = 300 * time.Millisecond

func crashTiming() Option {
	return WithRiverConfig(func(c *river.Config) { c.JobTimeout, c.RescueStuckJobsAfter = crashRescue, crashRescue })
}

// restartAndDrain starts a journal as a restarted instance would, once the
// dead worker's jobs are older than RescueStuckJobsAfter, with River's
// clock two hours ahead so that the dead worker's leadership has expired:
// River's rescuer then takes its jobs over on its first tick instead of
// 15 s (leader TTL) and up to 30 s (rescuer interval) later. It runs until
// nothing is pending, then closes.
func restartAndDrain[TTx any](t *testing.T, d *testDB[TTx], srv *guapocadotest.Server, batch int) {
	t.Helper()
	ahead := offsetClock(2 * time.Hour)
	time.Sleep(crashRescue + 50*time.Millisecond)
	j := newJournal(t, d, srv, WithPostpaid("rows"), WithBatch(batch, 20*time.Millisecond), crashTiming(), WithRiverConfig(func(c *river.Config) {
		c.Test.Time = ahead
		c.RetryPolicy = ahead
	}))
	ctx := context.Background()
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	kinds := []string{UsageArgs{}.Kind(), BatchArgs{}.Kind()}
	for i := 0; ; i++ {
		if err := j.sealAll(ctx); err != nil {
			t.Fatal(err)
		}
		s, err := j.Stats(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if s.Pending+s.InFlight == 0 {
			break
		}
		if i%300 == 299 {
			all, _ := j.river.JobList(ctx, river.NewJobListParams().States(rivertype.JobStateAvailable, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled, rivertype.JobStatePending).First(20))
			for _, job := range all.Jobs {
				t.Logf("waiting: job %d %s %s attempt %d scheduled %s by %v errors %v", job.ID, job.Kind, job.State, job.Attempt, job.ScheduledAt, job.AttemptedBy, job.Errors)
			}
			t.Logf("stats %+v", s)
		}
		// River's scheduler makes rescued (retryable) jobs available on its
		// 5 s tick; JobRetry does it now.
		res, err := j.river.JobList(ctx, river.NewJobListParams().Kinds(kinds...).States(rivertype.JobStateRetryable, rivertype.JobStateScheduled).First(1000))
		if err != nil {
			t.Fatal(err)
		}
		for _, job := range res.Jobs {
			_, _ = j.river.JobRetry(ctx, job.ID)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := j.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// The seal job the restarted journal's River enqueued two hours ahead
	// would wait that long under the next worker's real clock: drop it.
	if err := d.driver.GetExecutor().Exec(ctx, j.sql.q(`DELETE FROM river_job WHERE kind = $1`), SealArgs{}.Kind()); err != nil {
		t.Fatal(err)
	}
}

// offsetClock is River's clock (and retry policy) moved ahead by a
// duration.
type offsetClock time.Duration

func (o offsetClock) Now() time.Time { return time.Now().Add(time.Duration(o)) }
func (o offsetClock) NowOrNil() *time.Time {
	t := o.Now()
	return &t
}
func (o offsetClock) NextRetry(*rivertype.JobRow) time.Time {
	return o.Now().Add(10 * time.Millisecond)
}

// TestCrashWorker is the worker process of the crash harness (it skips
// unless the harness started it).
func TestCrashWorker(t *testing.T) {
	if os.Getenv("GJ_WORKER") != "1" {
		t.Skip("the crash harness's worker process")
	}
	switch os.Getenv("GJ_DB") {
	case "sqlite":
		d := openSQLite(t, os.Getenv("GJ_WHERE"))
		if os.Getenv("GJ_MODE") == "deliver" {
			deliverWorker(t, d)
			return
		}
		crashWorker(t, d)
	case "postgres":
		d := openPG(t, pgDSN(t), os.Getenv("GJ_WHERE"))
		if os.Getenv("GJ_MODE") == "deliver" {
			deliverWorker(t, d)
			return
		}
		crashWorker(t, d)
	default:
		t.Fatal("GJ_DB?")
	}
}

func crashWorker[TTx any](t *testing.T, d *testDB[TTx]) {
	point, run := os.Getenv("GJ_POINT"), os.Getenv("GJ_RUN")
	nth, _ := strconv.Atoi(os.Getenv("GJ_NTH"))
	seed, _ := strconv.ParseUint(os.Getenv("GJ_SEED"), 10, 64)
	rng := rand.New(rand.NewPCG(seed, 3))
	var seen atomic.Int64
	hook := func(c *config) error {
		c.hook = func(p string) {
			if p == point && seen.Add(1) == int64(nth) {
				_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
				select {}
			}
		}
		return nil
	}
	api := platformClient(t, os.Getenv("GJ_API"), os.Getenv("GJ_KEY"))
	j, err := New(d.driver, api, fastRiver(), crashTiming(), WithPostpaid("rows"), WithBatch(3, 20*time.Millisecond), hook)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := j.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range crashPerRun {
		u := Usage{
			CustomerID: fmt.Sprintf("org_%d", rng.IntN(3)),
			Meter:      []string{"tokens", "rows"}[rng.IntN(2)],
			Amount:     int64(1 + rng.IntN(9)),
			Key:        fmt.Sprintf("run%s-%d", run, i),
		}
		if err := d.work(ctx, j, u, rng.IntN(5) != 0); err != nil {
			t.Fatal(err)
		}
	}
	closeCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := j.Close(closeCtx); err != nil {
		t.Fatal(err)
	}
}

type lockedBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b = append(l.b, p...)
	return len(p), nil
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return string(l.b)
}
