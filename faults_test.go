package guapocado_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
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

// TestFaultInjectionNeverChargesTwice runs consumes in each mode
// while the fake injects faults into 25% of the calls: a dropped
// connection before or after the ledger applied the consume, a drop after
// apply followed by 503s or 429s on every later attempt, 500, 503, and 429
// with and without X-Retry-After; 10% of the calls have a 10-50 ms
// deadline. Afterwards every consume the ledger applied is accounted for:
// once for each call that succeeded, at most once for a call that returned
// ErrOutcomeUnknown, never for any other failure, and never twice.
//
// The default run makes 400 calls per mode; the full suite
// (GUAPOCADO_FULL=1, as in CI) makes 5,000.
func TestFaultInjectionNeverChargesTwice(t *testing.T) {
	t.Parallel()
	calls := 400
	if testenv.Full() {
		calls = 5000
	}
	for _, mode := range []string{"session", "platform"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			faultRun(t, mode, calls)
		})
	}
}

func faultRun(t *testing.T, mode string, calls int) {
	const workers = 16
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan("org_faults", "enterprise"))
	defer srv.Close()
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	customer := "org_faults"
	consumePath := "/v1/usage/api-calls/consume"
	var consume func(ctx context.Context) error
	hc := &http.Client{Transport: tagCalls{http.DefaultTransport}}
	retry := guapocado.WithRetry(3, 0, 5*time.Millisecond)
	if mode == "session" {
		if err := srv.SetPlan(sess.CustomerID, "enterprise"); err != nil { // 1,000,000 api-calls
			t.Fatal(err)
		}
		customer = sess.CustomerID
		consumePath = guapocadotest.BasePath + "/guapocado/usage/consume"
		c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithHTTPClient(hc), retry)
		if err != nil {
			t.Fatal(err)
		}
		consume = func(ctx context.Context) error { _, err := c.Usage.Consume(ctx, "api-calls", 1); return err }
	} else {
		c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID(customer),
			guapocado.WithHTTPClient(hc), retry)
		if err != nil {
			t.Fatal(err)
		}
		consume = func(ctx context.Context) error { _, err := c.Usage.Consume(ctx, "api-calls", 1); return err }
	}

	faults := []guapocadotest.Fault{
		{Drop: guapocadotest.DropBeforeApply},
		{Drop: guapocadotest.DropAfterApply},
		{Status: 500, Body: `{"message":"boom"}`},
		{Status: 503},
		{Status: 429, Body: `{"message":"Too many requests. Please try again later."}`, Header: http.Header{"X-Retry-After": {"0"}}},
		{Status: 429, Body: `{"message":"slow down"}`},
	}
	// The six above, then drop-after-apply followed by 503s or by 429s on
	// every later attempt, then 429 on every attempt (never applied).
	const kinds = 9
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	plan := map[int]int{}     // call id → fault kind, chosen at its first attempt
	attempts := map[int]int{} // call id → attempts seen
	var injected [kinds]atomic.Int64
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		if r.URL.Path != consumePath {
			return nil
		}
		id, err := strconv.Atoi(r.Header.Get("X-Test-Call"))
		if err != nil {
			return nil
		}
		mu.Lock()
		n := attempts[id]
		attempts[id] = n + 1
		k, chosen := plan[id]
		if !chosen {
			k = -1
			if rng.Float64() < 0.25 {
				k = rng.IntN(kinds)
			}
			plan[id] = k
		}
		mu.Unlock()
		var f guapocadotest.Fault
		switch {
		case k < 0:
			return nil
		case k < len(faults):
			if n > 0 {
				return nil // one fault; a retry goes through
			}
			f = faults[k]
		case k == 8:
			f = guapocadotest.Fault{Status: 429, Body: `{"message":"slow down"}`}
		case n == 0:
			f = guapocadotest.Fault{Drop: guapocadotest.DropAfterApply}
		case k == 6:
			f = guapocadotest.Fault{Status: 503}
		default:
			f = guapocadotest.Fault{Status: 429, Body: `{"message":"slow down"}`}
		}
		if n == 0 {
			injected[k].Add(1)
		}
		f.Path = consumePath
		return &f
	})

	type outcome int
	const (
		ok outcome = iota
		unknown
		failed
	)
	results := make([]outcome, calls)
	var next, deadlines atomic.Int64
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
				if i%10 == 3 { // 10% of the calls: a 10-50 ms deadline
					deadlines.Add(1)
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, time.Duration(10+i%41)*time.Millisecond)
					defer cancel()
				}
				err := consume(ctx)
				switch {
				case err == nil:
					results[i] = ok
				case errors.Is(err, guapocado.ErrOutcomeUnknown):
					results[i] = unknown
				default:
					var ae *guapocado.Error
					if !errors.As(err, &ae) {
						t.Errorf("call %d: not an *Error: %v", i, err)
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
	var nOK, nUnknown, nUnknownApplied, nFailed, double, definiteButApplied int
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
				definiteButApplied++
				t.Errorf("call %d failed definitely but was applied", i)
			}
		}
	}
	u, err := srv.Usage(customer, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if int(u.Consumed) != total || total != nOK+nUnknownApplied {
		t.Errorf("ledger consumed %v, ops %d, successes %d + unknown-and-applied %d", u.Consumed, total, nOK, nUnknownApplied)
	}
	t.Logf("%s: %d calls (%d with a short deadline): %d succeeded, %d failed definitely, %d ErrOutcomeUnknown (%d of them applied); ledger applied %d; applied twice: %d; applied but reported as a definite failure: %d",
		mode, calls, deadlines.Load(), nOK, nFailed, nUnknown, nUnknownApplied, total, double, definiteButApplied)
	t.Logf("%s: faults: drop-before %d, drop-after %d, 500 %d, 503 %d, 429+X-Retry-After %d, 429 %d, drop-after then 503s %d, drop-after then 429s %d, 429 on every attempt %d",
		mode, injected[0].Load(), injected[1].Load(), injected[2].Load(), injected[3].Load(), injected[4].Load(), injected[5].Load(),
		injected[6].Load(), injected[7].Load(), injected[8].Load())
	for k := range injected {
		if injected[k].Load() == 0 {
			t.Errorf("fault kind %d was never injected", k)
		}
	}
	if nUnknown == 0 || nFailed == 0 {
		t.Errorf("the run exercised no unknown (%d) or failed (%d) outcome", nUnknown, nFailed)
	}
}
