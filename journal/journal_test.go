package journal

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// meteredPlan gives every customer room on the test meters; "small" has
// 5 units and no overage, for refusals.
var meteredPlan = guapocadotest.Plan{Key: "metered", Name: "Metered", Allowances: map[string]guapocadotest.Allowance{
	"tokens": {Included: 1e15},
	"rows":   {Included: 1e15},
	"small":  {Included: 5},
}}

func fake(tb testing.TB, opts ...guapocadotest.Option) *guapocadotest.Server {
	tb.Helper()
	return guapocadotest.New(tb, append([]guapocadotest.Option{guapocadotest.WithPlans(meteredPlan), guapocadotest.WithDefaultPlan("metered")}, opts...)...)
}

// applied counts the fake's consume applications per idempotency key.
func applied(srv *guapocadotest.Server) (map[string]int, map[string]float64) {
	n, sum := map[string]int{}, map[string]float64{}
	for _, op := range srv.Ops() {
		if op.Op == "consume" {
			n[op.IdempotencyKey]++
			sum[op.CustomerID+"/"+op.Key] += op.Amount
		}
	}
	return n, sum
}

// waitFor polls cond until it holds; go test's timeout bounds it.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	for i := 0; !cond(); i++ {
		if i%500 == 499 {
			tb.Logf("still waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func newJournal[TTx any](tb testing.TB, d *testDB[TTx], srv *guapocadotest.Server, opts ...Option) *Journal[TTx] {
	tb.Helper()
	j, err := New(d.driver, platformClient(tb, srv.APIURL(), srv.APIKey()), append([]Option{fastRiver()}, opts...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return j
}

func start[TTx any](tb testing.TB, j *Journal[TTx]) {
	tb.Helper()
	if err := j.Start(context.Background()); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = j.Close(ctx)
	})
}

func TestNewRefuses(t *testing.T) {
	t.Parallel()
	d := newSQLite(t)
	if _, err := New(d.driver, nil); !errors.Is(err, ErrNoPlatformClient) {
		t.Errorf("nil client: %v", err)
	}
	api := platformClient(t, "http://127.0.0.1:1", "sk_x")
	for name, o := range map[string]Option{
		"retention": WithKeyRetention(0), "workers": WithWorkers(0), "batch": WithBatch(0, time.Second),
		"postpaid": WithPostpaid(""), "grace": WithConsumeGrace(-1),
	} {
		var fe *FieldError
		if _, err := New(d.driver, api, o); !errors.As(err, &fe) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// TestRecordRefusesBadUsage: bad intents are refused before anything is
// written, with the field named.
func TestRecordRefusesBadUsage(t *testing.T) {
	t.Parallel()
	d := newSQLite(t)
	j, err := New(d.driver, platformClient(t, "http://127.0.0.1:1", "sk_x"))
	if err != nil {
		t.Fatal(err)
	}
	for field, u := range map[string]Usage{
		"CustomerID": {Meter: "tokens", Amount: 1},
		"Meter":      {CustomerID: "c", Amount: 1},
		"Amount":     {CustomerID: "c", Meter: "tokens", Amount: 0},
		"Key":        {CustomerID: "c", Meter: "tokens", Amount: 1, Key: "a b"},
	} {
		var fe *FieldError
		if _, err := j.Record(t.Context(), u); !errors.As(err, &fe) || fe.Field != field {
			t.Errorf("%s: %v", field, err)
		}
	}
	if n, _ := d.count(t.Context(), `SELECT COUNT(*) FROM river_job`); n != 0 {
		t.Errorf("%d jobs written", n)
	}
}

// testRecordTx: committed intents are applied once each, under their key;
// rolled-back ones never.
func testRecordTx[TTx any](t *testing.T, d *testDB[TTx]) {
	srv := fake(t)
	j := newJournal(t, d, srv)
	ctx := t.Context()
	for i := range 20 {
		u := Usage{CustomerID: fmt.Sprintf("org_%d", i%3), Meter: "tokens", Amount: int64(i + 1), Key: fmt.Sprintf("work-%d", i)}
		if err := d.work(ctx, j, u, i%4 != 3); err != nil {
			t.Fatal(err)
		}
	}
	if len(srv.Ops()) != 0 {
		t.Fatal("delivered before the journal started")
	}
	if s, err := j.Stats(ctx); err != nil || s.Pending != 15 || s.InFlight+s.Delivered+s.Dead != 0 || s.Oldest <= 0 {
		t.Fatalf("stats before delivery: %+v, %v", s, err)
	}
	start(t, j)
	waitFor(t, "15 deliveries", func() bool { s, _ := j.Stats(ctx); return s.Delivered == 15 && s.Pending+s.InFlight == 0 })
	n, _ := applied(srv)
	for i := range 20 {
		key, want := fmt.Sprintf("work-%d", i), 1
		if i%4 == 3 {
			want = 0
		}
		if n[key] != want {
			t.Errorf("%s applied %d times, want %d", key, n[key], want)
		}
	}
	if len(n) != 15 {
		t.Errorf("%d keys applied, want 15", len(n))
	}
}

func TestRecordTxSQLite(t *testing.T) { t.Parallel(); testRecordTx(t, newSQLite(t)) }
func TestRecordTxPostgres(t *testing.T) {
	t.Parallel()
	testRecordTx(t, newPG(t))
}

// testDeadLetter: a definite refusal goes to the dead letters with its
// error and the callback, once; an unknown outcome is retried with the same
// key and applied once.
func testDeadLetter[TTx any](t *testing.T, d *testDB[TTx]) {
	srv := fake(t)
	var mu sync.Mutex
	var dead []Dead
	j := newJournal(t, d, srv, WithDeadLetter(func(_ context.Context, x Dead) { mu.Lock(); dead = append(dead, x); mu.Unlock() }))
	ctx := t.Context()
	// The first two consume requests are applied but their answers lost,
	// and the client retries at most 3 times: the first attempt's outcome
	// is unknown to the journal only if all of its tries are lost.
	srv.InjectFaults(8, guapocadotest.Fault{Path: "/v1/usage/tokens/consume", Drop: guapocadotest.DropAfterApply})
	if _, err := j.Record(ctx, Usage{CustomerID: "org_d", Meter: "tokens", Amount: 3, Key: "lost-answers"}); err != nil {
		t.Fatal(err)
	}
	if _, err := j.Record(ctx, Usage{CustomerID: "org_d", Meter: "small", Amount: 9, Key: "too-big"}); err != nil {
		t.Fatal(err)
	}
	start(t, j)
	waitFor(t, "settled", func() bool { s, _ := j.Stats(ctx); return s.Delivered == 1 && s.Dead == 1 })
	n, _ := applied(srv)
	if n["lost-answers"] != 1 || n["too-big"] != 0 {
		t.Errorf("applied %v", n)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dead) != 1 || dead[0].Usage.Key != "too-big" || !errors.Is(dead[0].Err, guapocado.ErrInsufficientBalance) {
		t.Errorf("dead letters %+v", dead)
	}
}

func TestDeadLetterSQLite(t *testing.T) { t.Parallel(); testDeadLetter(t, newSQLite(t)) }
func TestDeadLetterPostgres(t *testing.T) {
	t.Parallel()
	testDeadLetter(t, newPG(t))
}
