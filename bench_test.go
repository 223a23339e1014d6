//go:build !(js && wasm)

package guapocado_test

// Benchmarks of the SDK against the floor: a hand-written minimal net/http +
// encoding/json client doing the same request (same method, URL, headers and
// body, same transport pool settings) and decoding into an equivalent
// struct. Both talk to the same in-process server on 127.0.0.1, which answers
// a fixed recorded contract body, so the client's cost dominates.
// internal/benchtable runs them and prints the ratios (see README,
// "Performance").

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

const (
	benchToken    = "EQAeW4iPLUZUBTan95alTroK5wxGfZ3L.0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho="
	benchCustomer = "ERpKczkC4SWrd9Dek30UN9O1U8beGEn5"
)

// benchServer answers the Guapocado endpoints with fixed bodies and counts
// the TCP connections it accepts.
type benchServer struct {
	*httptest.Server
	conns atomic.Int64
}

func newBenchServer(tb testing.TB) *benchServer {
	tb.Helper()
	bodies := map[string][]byte{
		"/api/auth/guapocado/usage/consume": contractBody(tb, "consume.json"),
		"/api/auth/guapocado/usage/balance": contractBody(tb, "balance_monthly.json"),
		"/api/auth/guapocado/has":           contractBody(tb, "has_true.json"),
		"/api/auth/guapocado/context":       largeContext(tb),
		"/api/auth/guapocado/plans":         largeCatalogue(tb),
	}
	s := &benchServer{}
	s.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		body, ok := bodies[r.URL.Path]
		if !ok || (r.Method != http.MethodPost) != (r.URL.Path == "/api/auth/guapocado/plans") {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		w.Write(body)
	}))
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	tb.Cleanup(s.Close)
	return s
}

// contractBody is a recorded 200 body, compacted as the server sends it.
func contractBody(tb testing.TB, name string) []byte {
	tb.Helper()
	raw, err := os.ReadFile("testdata/contract/" + name)
	if err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// largeContext is a context answer for a big account: 200 features, 100
// meters, 50 limits, 20 plans of 60 entitlements each, and a subscription
// (about 100 KB of JSON).
func largeContext(tb testing.TB) []byte {
	tb.Helper()
	features := map[string]bool{}
	for i := range 200 {
		features[fmt.Sprintf("feature-%03d", i)] = i%3 != 0
	}
	usage := map[string]any{}
	for i := range 100 {
		var resets any
		if i%4 != 0 {
			resets = "2026-12-01T00:00:00.000Z"
		}
		usage[fmt.Sprintf("meter-%03d", i)] = map[string]any{
			"balance": 1000 - i, "included": 1000, "consumed": i, "overage": 0,
			"overageAllowed": i%2 == 0, "overageEnabled": false, "resets": resets,
		}
	}
	limits := map[string]any{}
	for i := range 50 {
		limits[fmt.Sprintf("limit-%03d", i)] = map[string]any{
			"limit": 10 + i, "included": 10, "purchased": i,
			"expansionAllowed": true, "autoExpansionEnabled": i%2 == 1,
		}
	}
	var plans []any
	for p := range 20 {
		ents := map[string]any{}
		for i := range 20 {
			ents[fmt.Sprintf("feature-%03d", i)] = (i+p)%2 == 0
			ents[fmt.Sprintf("meter-%03d", i)] = map[string]any{
				"included": 1000 * (p + 1),
				"overage":  map[string]any{"allowed": true, "unit": 1000, "amount": 200, "currency": "usd"},
			}
			ents[fmt.Sprintf("limit-%03d", i)] = map[string]any{
				"included":  p + 3,
				"expansion": map[string]any{"allowed": true, "unit": 1, "amount": 900, "currency": "usd"},
			}
		}
		plans = append(plans, map[string]any{
			"id": fmt.Sprintf("prod_%04d", p), "key": fmt.Sprintf("plan-%02d", p), "name": fmt.Sprintf("Plan %d", p),
			"config": map[string]any{
				"pricing":      map[string]any{"mode": "recurring", "type": "flat", "amount": 900 * p, "currency": "usd", "frequency": "month"},
				"entitlements": ents,
			},
			"stripeProductId": fmt.Sprintf("prod_stripe_%d", p), "stripePriceId": fmt.Sprintf("price_stripe_%d", p),
			"createdAt": "2026-01-01T00:00:00.000Z", "updatedAt": "2026-01-01T00:00:00.000Z",
		})
	}
	b, err := json.Marshal(map[string]any{
		"customerId": benchCustomer,
		"customer":   map[string]any{"id": benchCustomer, "name": "Alice", "email": "alice@example.com"},
		"features":   features,
		"usage":      usage,
		"limits":     limits,
		"plans":      plans,
		"subscription": map[string]any{
			"id": "sub_000001", "customerId": benchCustomer, "planKey": "plan-03", "status": "active",
			"stripeSubscriptionId": nil, "currentPeriodStart": "2026-11-26T22:27:55.800Z",
			"currentPeriodEnd": "2026-12-01T00:00:00.000Z", "createdAt": "2026-11-26T22:27:55.800Z",
			"updatedAt": "2026-11-26T22:27:55.800Z",
		},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// largeCatalogue is the plans answer of the large context: 20 plans of 60
// entitlements each.
func largeCatalogue(tb testing.TB) []byte {
	tb.Helper()
	var ctx struct {
		Plans json.RawMessage `json:"plans"`
	}
	if err := json.Unmarshal(largeContext(tb), &ctx); err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(map[string]json.RawMessage{"plans": ctx.Plans})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func newBenchClient(tb testing.TB, s *benchServer) *guapocado.Client {
	tb.Helper()
	return newBenchClientAt(tb, s.URL)
}

func newBenchClientAt(tb testing.TB, serverURL string) *guapocado.Client {
	tb.Helper()
	c, err := guapocado.NewClient(serverURL, guapocado.WithSessionToken(benchToken))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

// floor is the hand-written minimal client: the SDK's request, without the
// SDK.
type floor struct {
	hc        *http.Client
	base      string // server URL + "/api/auth"
	cookie    string
	origin    string
	userAgent string
}

func newFloor(tb testing.TB, s *benchServer) *floor {
	tb.Helper()
	return newFloorAt(tb, s.URL)
}

func newFloorAt(tb testing.TB, serverURL string) *floor {
	tb.Helper()
	// The same pool settings as the SDK's default transport.
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = guapocado.IdleConnTimeout
	tb.Cleanup(t.CloseIdleConnections)
	return &floor{
		hc:        &http.Client{Transport: t},
		base:      serverURL + "/api/auth",
		cookie:    "better-auth.session_token=" + url.QueryEscape(benchToken),
		origin:    serverURL,
		userAgent: "guapocado-go/" + guapocado.Version + " (" + runtime.Version() + ")",
	}
}

// post sends in as JSON with the session cookie and decodes a 2xx answer
// into out.
// get is post for a GET without a body (no Origin: GETs are not checked).
func (f *floor) get(ctx context.Context, path, cookie string, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Cookie", cookie)
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(out)
	io.Copy(io.Discard, resp.Body) // leave the connection reusable
	return err
}

func (f *floor) post(ctx context.Context, path, cookie string, in, out any) error {
	b, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, f.base+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", f.userAgent)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", cookie)
	req.Header.Set("Origin", f.origin)
	resp, err := f.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		io.Copy(io.Discard, resp.Body)
		return fmt.Errorf("status %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(out)
	io.Copy(io.Discard, resp.Body) // leave the connection reusable
	return err
}

type floorKeyAmount struct {
	Key    string `json:"key"`
	Amount int64  `json:"amount,omitempty"`
}

type floorUsage struct {
	CustomerID     string     `json:"customerId"`
	Balance        int64      `json:"balance"`
	Included       int64      `json:"included"`
	Consumed       int64      `json:"consumed"`
	Overage        int64      `json:"overage"`
	OverageAllowed bool       `json:"overageAllowed"`
	OverageEnabled bool       `json:"overageEnabled"`
	Resets         *time.Time `json:"resets"`
}

func (f *floor) consume(ctx context.Context, key string, amount int64) (*floorUsage, error) {
	var u floorUsage
	if err := f.post(ctx, "/guapocado/usage/consume", f.cookie, &floorKeyAmount{key, amount}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

func (f *floor) balance(ctx context.Context, key string) (*floorUsage, error) {
	var u floorUsage
	if err := f.post(ctx, "/guapocado/usage/balance", f.cookie, &floorKeyAmount{Key: key}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

func (f *floor) has(ctx context.Context, cookie, key string) (bool, error) {
	var out struct {
		Allowed bool `json:"allowed"`
	}
	err := f.post(ctx, "/guapocado/has", cookie, &floorKeyAmount{Key: key}, &out)
	return out.Allowed, err
}

// forRequestCookie is the floor's ForRequest: the incoming request's Better
// Auth cookies.
func forRequestCookie(r *http.Request) string {
	var parts []string
	for _, line := range r.Header.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.TrimSpace(part)
			if strings.HasPrefix(part, "better-auth.") || strings.HasPrefix(part, "__Secure-better-auth.") {
				parts = append(parts, part)
			}
		}
	}
	return strings.Join(parts, "; ")
}

// floorContext mirrors Snapshot with plain encoding/json types.
type floorContext struct {
	CustomerID string `json:"customerId"`
	Customer   *struct {
		ID    string `json:"id"`
		Name  string `json:"name"`
		Email string `json:"email"`
	} `json:"customer"`
	Features map[string]bool       `json:"features"`
	Usage    map[string]floorUsage `json:"usage"`
	Limits   map[string]struct {
		Limit                int64 `json:"limit"`
		Included             int64 `json:"included"`
		Purchased            int64 `json:"purchased"`
		ExpansionAllowed     bool  `json:"expansionAllowed"`
		AutoExpansionEnabled bool  `json:"autoExpansionEnabled"`
	} `json:"limits"`
	Plans        []floorPlan `json:"plans"`
	Subscription *struct {
		ID                 string     `json:"id"`
		CustomerID         string     `json:"customerId"`
		PlanKey            string     `json:"planKey"`
		Status             string     `json:"status"`
		CurrentPeriodStart *time.Time `json:"currentPeriodStart"`
		CurrentPeriodEnd   *time.Time `json:"currentPeriodEnd"`
		CreatedAt          *time.Time `json:"createdAt"`
		UpdatedAt          *time.Time `json:"updatedAt"`
	} `json:"subscription"`
}

// floorPlan mirrors Plan with plain encoding/json types.
type floorPlan struct {
	ID     string `json:"id"`
	Key    string `json:"key"`
	Name   string `json:"name"`
	Config struct {
		Pricing *struct {
			Mode      string `json:"mode"`
			Type      string `json:"type"`
			Amount    *int64 `json:"amount"`
			Currency  string `json:"currency"`
			Frequency string `json:"frequency"`
		} `json:"pricing"`
		Entitlements map[string]json.RawMessage `json:"entitlements"`
	} `json:"config"`
	StripeProductID string     `json:"stripeProductId"`
	StripePriceID   string     `json:"stripePriceId"`
	CreatedAt       *time.Time `json:"createdAt"`
	UpdatedAt       *time.Time `json:"updatedAt"`
}

// benchCall runs op b.N times after one warm-up call (which opens the
// connection), and reports the process's CPU time per call (cpu-ns/op).
func benchCall(b *testing.B, op func() error) {
	b.Helper()
	if err := op(); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuTime()
	for range b.N {
		if err := op(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
}

// BenchmarkConsume: one consume after another, against the bench server in
// a child process (bench_remote_test.go): allocs/op and cpu-ns/op are the
// client's alone.
func BenchmarkConsume(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newBenchClientAt(b, newRemoteBenchServer(b).URL)
		benchCall(b, func() error {
			u, err := c.Usage.Consume(ctx, "api-calls", 1)
			if err == nil && u.Balance != 95 {
				err = fmt.Errorf("balance %d", u.Balance)
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		f := newFloorAt(b, newRemoteBenchServer(b).URL)
		benchCall(b, func() error {
			u, err := f.consume(ctx, "api-calls", 1)
			if err == nil && u.Balance != 95 {
				err = fmt.Errorf("balance %d", u.Balance)
			}
			return err
		})
	})
}

func BenchmarkHas(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newBenchClient(b, newBenchServer(b))
		benchCall(b, func() error {
			ok, err := c.Has(ctx, "csv-export")
			if err == nil && !ok {
				err = fmt.Errorf("not allowed")
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		f := newFloor(b, newBenchServer(b))
		benchCall(b, func() error {
			ok, err := f.has(ctx, f.cookie, "csv-export")
			if err == nil && !ok {
				err = fmt.Errorf("not allowed")
			}
			return err
		})
	})
}

func BenchmarkBalance(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newBenchClient(b, newBenchServer(b))
		benchCall(b, func() error {
			u, err := c.Usage.Balance(ctx, "api-calls")
			if err == nil && u.Included != 100 {
				err = fmt.Errorf("included %d", u.Included)
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		f := newFloor(b, newBenchServer(b))
		benchCall(b, func() error {
			u, err := f.balance(ctx, "api-calls")
			if err == nil && u.Included != 100 {
				err = fmt.Errorf("included %d", u.Included)
			}
			return err
		})
	})
}

// browserRequest is a request to the user's backend carrying a browser's cookies.
func browserRequest() *http.Request {
	in := httptest.NewRequest("GET", "/dashboard", nil)
	in.Header.Set("Cookie", "theme=dark; better-auth.session_token="+url.QueryEscape(benchToken)+"; better-auth.session_data=eyJzZXNzaW9uIjp7ImlkIjoiYWJjIn19")
	return in
}

// BenchmarkForRequestHas: a backend handler's entitlement check, a
// ForRequest copy per incoming request.
func BenchmarkForRequestHas(b *testing.B) {
	ctx := context.Background()
	in := browserRequest()
	b.Run("sdk", func(b *testing.B) {
		s := newBenchServer(b)
		c, err := guapocado.NewClient(s.URL)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(c.CloseIdleConnections)
		benchCall(b, func() error {
			ok, err := c.ForRequest(in).Has(ctx, "csv-export")
			if err == nil && !ok {
				err = fmt.Errorf("not allowed")
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		f := newFloor(b, newBenchServer(b))
		benchCall(b, func() error {
			ok, err := f.has(ctx, forRequestCookie(in), "csv-export")
			if err == nil && !ok {
				err = fmt.Errorf("not allowed")
			}
			return err
		})
	})
}

// BenchmarkPlansList: a catalogue of 20 plans of 60 entitlements each.
func BenchmarkPlansList(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newBenchClient(b, newBenchServer(b))
		benchCall(b, func() error {
			ps, err := c.Plans.List(ctx)
			if err == nil && (len(ps) != 20 || len(ps[3].Config.Entitlements) != 60) {
				err = fmt.Errorf("%d plans", len(ps))
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		f := newFloor(b, newBenchServer(b))
		benchCall(b, func() error {
			var out struct {
				Plans []floorPlan `json:"plans"`
			}
			err := f.get(ctx, "/guapocado/plans", f.cookie, &out)
			if err == nil && (len(out.Plans) != 20 || len(out.Plans[3].Config.Entitlements) != 60) {
				err = fmt.Errorf("%d plans", len(out.Plans))
			}
			return err
		})
	})
}

// BenchmarkContextLarge: a context answer of about 100 KB.
func BenchmarkContextLarge(b *testing.B) {
	ctx := context.Background()
	b.Run("sdk", func(b *testing.B) {
		c := newBenchClient(b, newBenchServer(b))
		benchCall(b, func() error {
			bc, err := c.Snapshot(ctx, nil)
			if err == nil && (len(bc.Plans) != 20 || len(bc.Usage) != 100) {
				err = fmt.Errorf("%d plans, %d meters", len(bc.Plans), len(bc.Usage))
			}
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		f := newFloor(b, newBenchServer(b))
		benchCall(b, func() error {
			var bc floorContext
			err := f.post(ctx, "/guapocado/context", f.cookie, struct{}{}, &bc)
			if err == nil && (len(bc.Plans) != 20 || len(bc.Usage) != 100) {
				err = fmt.Errorf("%d plans, %d meters", len(bc.Plans), len(bc.Usage))
			}
			return err
		})
	})
}

// BenchmarkParallel64: 64 goroutines consuming at once (whatever GOMAXPROCS
// is), against the bench server in a child process, reporting calls/s, the
// client's CPU time per call and the TCP connections the server accepted.
// Run it with -benchtime=10000x for the "connections over 10,000 calls"
// figure.
func BenchmarkParallel64(b *testing.B) {
	ctx := context.Background()
	run := func(b *testing.B, s *remoteBenchServer, op func() error) {
		if err := op(); err != nil {
			b.Fatal(err)
		}
		procs := runtime.GOMAXPROCS(0)
		b.SetParallelism((64 + procs - 1) / procs)
		b.ReportAllocs()
		b.ResetTimer()
		start, cpu := time.Now(), cpuTime()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := op(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "calls/s")
		b.ReportMetric(float64(cpuTime()-cpu)/float64(b.N), "cpu-ns/op")
		b.ReportMetric(float64(s.conns(b)), "conns")
	}
	b.Run("sdk", func(b *testing.B) {
		s := newRemoteBenchServer(b)
		c := newBenchClientAt(b, s.URL)
		run(b, s, func() error {
			_, err := c.Usage.Consume(ctx, "api-calls", 1)
			return err
		})
	})
	b.Run("floor", func(b *testing.B) {
		s := newRemoteBenchServer(b)
		f := newFloorAt(b, s.URL)
		run(b, s, func() error {
			_, err := f.consume(ctx, "api-calls", 1)
			return err
		})
	})
}
