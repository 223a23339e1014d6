package guapocado_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

type callIDKey struct{}

// tagCalls puts each SDK call's id (from its context) on every attempt, so
// the fake's ledger log shows which call an applied consume came from.
type tagCalls struct{ next http.RoundTripper }

func (t tagCalls) RoundTrip(r *http.Request) (*http.Response, error) {
	if id, ok := r.Context().Value(callIDKey{}).(int); ok {
		r = r.Clone(r.Context())
		r.Header.Set("X-Test-Call", strconv.Itoa(id))
	}
	return t.next.RoundTrip(r)
}

// TestFaultInjectionNeverChargesTwice runs 2,000 consumes while the server
// injects faults into 20% of requests: dropped connections before and after
// the ledger applied the consume, 500, 503, and 429 with and without
// X-Retry-After. Afterwards every consume the ledger applied is accounted
// for: once for each call that succeeded, at most once for a call that
// returned ErrOutcomeUnknown, never for any other failure.
func TestFaultInjectionNeverChargesTwice(t *testing.T) {
	t.Parallel()
	const calls, workers = 2000, 16
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetPlan(sess.CustomerID, "enterprise"); err != nil { // 1,000,000 api-calls
		t.Fatal(err)
	}
	const consumePath = guapocadotest.BasePath + "/guapocado/usage/consume"
	faults := []guapocadotest.Fault{
		{Drop: guapocadotest.DropBeforeApply},
		{Drop: guapocadotest.DropAfterApply},
		{Status: 500, Body: `{"message":"boom"}`},
		{Status: 503},
		{Status: 429, Body: `{"message":"Too many requests. Please try again later."}`, Header: http.Header{"X-Retry-After": {"0"}}},
		{Status: 429, Body: `{"message":"slow down"}`},
	}
	var rngMu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	var injected [6]atomic.Int64
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if r.URL.Path != consumePath {
			return nil
		}
		rngMu.Lock()
		p, k := rng.Float64(), rng.IntN(len(faults))
		rngMu.Unlock()
		if p >= 0.2 {
			return nil
		}
		injected[k].Add(1)
		f := faults[k]
		f.Path = consumePath
		return &f
	})

	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token),
		guapocado.WithHTTPClient(&http.Client{Transport: tagCalls{http.DefaultTransport}}),
		guapocado.WithRetry(3, 0, 10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	type outcome int
	const (
		ok outcome = iota
		unknown
		failed
	)
	results := make([]outcome, calls)
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= calls {
					return
				}
				ctx := context.WithValue(context.Background(), callIDKey{}, i)
				_, err := c.Usage.Consume(ctx, "api-calls", 1)
				switch {
				case err == nil:
					results[i] = ok
				case errors.Is(err, guapocado.ErrOutcomeUnknown):
					results[i] = unknown
				default:
					var ae *guapocado.Error
					if !errors.As(err, &ae) || ae.StatusCode == 0 {
						t.Errorf("call %d: failure without a status that is not ErrOutcomeUnknown: %v", i, err)
					}
					results[i] = failed
				}
			}
		}()
	}
	wg.Wait()

	applied := make([]int, calls)
	total := 0
	for _, op := range srv.Ops() {
		id, err := strconv.Atoi(op.Header.Get("X-Test-Call"))
		if err != nil || op.Op != "consume" {
			t.Fatalf("ledger op without a call id: %+v", op)
		}
		applied[id] += int(op.Amount)
		total += int(op.Amount)
	}
	var nOK, nUnknown, nUnknownApplied, nFailed, double int
	for i, r := range results {
		if applied[i] > 1 {
			double++
			t.Errorf("call %d applied %d times", i, applied[i])
		}
		switch r {
		case ok:
			nOK++
			if applied[i] != 1 {
				t.Errorf("call %d succeeded but was applied %d times", i, applied[i])
			}
		case unknown:
			nUnknown++
			nUnknownApplied += applied[i]
		case failed:
			nFailed++
			if applied[i] != 0 {
				t.Errorf("call %d failed with a status but was applied", i)
			}
		}
	}
	u, err := srv.Usage(sess.CustomerID, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if int(u.Consumed) != total || total != nOK+nUnknownApplied {
		t.Errorf("ledger consumed %v, ops %d, successes %d + unknown-and-applied %d", u.Consumed, total, nOK, nUnknownApplied)
	}
	t.Logf("tally: %d calls: %d succeeded, %d failed with a status, %d ErrOutcomeUnknown (%d of them applied); ledger applied %d; applied twice: %d",
		calls, nOK, nFailed, nUnknown, nUnknownApplied, total, double)
	t.Logf("faults injected: drop-before %d, drop-after %d, 500 %d, 503 %d, 429+X-Retry-After %d, 429 %d",
		injected[0].Load(), injected[1].Load(), injected[2].Load(), injected[3].Load(), injected[4].Load(), injected[5].Load())
	if injected[0].Load() == 0 || injected[1].Load() == 0 || injected[4].Load() == 0 {
		t.Error("a fault kind was never injected")
	}
	if nUnknown == 0 || nFailed == 0 {
		t.Error(fmt.Sprintf("the run exercised no unknown (%d) or failed (%d) outcome", nUnknown, nFailed))
	}
}
