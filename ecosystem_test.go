//go:build !(js && wasm)

package guapocado_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// countingTransport counts the attempts that pass through it.
type countingTransport struct {
	next http.RoundTripper
	n    atomic.Int32
}

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return t.next.RoundTrip(r)
}

// TestTransportWrapperKeepsTuning: the wrapper receives the SDK's own
// transport (idle timeout, pool of 128 per host, the dial gate's and the
// read and header bounds' dialer, no per-request header timer), calls go through the wrapper, and a retried call passes
// through it once per attempt.
func TestTransportWrapperKeepsTuning(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	var got http.RoundTripper
	ct := &countingTransport{}
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_w"),
		guapocado.WithRetry(2, 0, 0),
		guapocado.WithTransportWrapper(func(rt http.RoundTripper) http.RoundTripper {
			got, ct.next = rt, rt
			return ct
		}))
	if err != nil {
		t.Fatal(err)
	}
	defer c.CloseIdleConnections()
	tr, ok := got.(*http.Transport)
	if !ok {
		t.Fatalf("the wrapper received a %T, want the SDK's *http.Transport", got)
	}
	if tr.IdleConnTimeout != guapocado.IdleConnTimeout {
		t.Errorf("IdleConnTimeout = %s, want guapocado.IdleConnTimeout (%s)", tr.IdleConnTimeout, guapocado.IdleConnTimeout)
	}
	if tr.MaxIdleConnsPerHost != 128 {
		t.Errorf("MaxIdleConnsPerHost = %d, want 128", tr.MaxIdleConnsPerHost)
	}
	if tr.ResponseHeaderTimeout != 0 {
		t.Errorf("ResponseHeaderTimeout = %s, want 0: the SDK's connections keep DefaultResponseHeaderTimeout (%s) without a timer per request", tr.ResponseHeaderTimeout, guapocado.DefaultResponseHeaderTimeout)
	}
	if tr.DialContext == nil {
		t.Error("DialContext is nil: the dial gate and read-idle dialer are gone")
	}

	ctx := context.Background()
	if _, err := c.Usage.Consume(ctx, "api-calls", 1); err != nil {
		t.Fatal(err)
	}
	if n := ct.n.Load(); n != 1 {
		t.Fatalf("the wrapper saw %d attempts of one call, want 1", n)
	}
	srv.InjectFaults(1, guapocadotest.Fault{Status: http.StatusServiceUnavailable})
	if _, err := c.Usage.Balance(ctx, "api-calls"); err != nil {
		t.Fatal(err)
	}
	if n := ct.n.Load(); n != 3 {
		t.Fatalf("the wrapper saw %d attempts in all, want 3 (1, then a 503 and its retry)", n)
	}
}

// TestTransportWrapperOverUserClient: with WithHTTPClient, the wrapper
// receives that client's transport.
func TestTransportWrapperOverUserClient(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	own := &countingTransport{next: http.DefaultTransport}
	var got http.RoundTripper
	c, err := guapocado.NewClient(srv.URL, guapocado.WithBearerToken(sess.Token),
		guapocado.WithHTTPClient(&http.Client{Transport: own}),
		guapocado.WithTransportWrapper(func(rt http.RoundTripper) http.RoundTripper { got = rt; return rt }))
	if err != nil {
		t.Fatal(err)
	}
	if got != own {
		t.Fatalf("the wrapper received %T, want the client's transport", got)
	}
	if _, err := c.Has(context.Background(), "api-calls"); err != nil {
		t.Fatal(err)
	}
	if own.n.Load() != 1 {
		t.Fatalf("the user's transport saw %d requests, want 1", own.n.Load())
	}
	if _, err := guapocado.NewClient(srv.URL, guapocado.WithTransportWrapper(nil)); err == nil {
		t.Fatal("WithTransportWrapper(nil) accepted")
	}
}

type ctxKey struct{}

// observed records what a CallObserver saw.
type observed struct {
	mu      sync.Mutex
	infos   []guapocado.CallInfo
	results []guapocado.CallResult
}

func (o *observed) observer(ctx context.Context, info guapocado.CallInfo) (context.Context, func(guapocado.CallResult)) {
	o.mu.Lock()
	o.infos = append(o.infos, info)
	o.mu.Unlock()
	return context.WithValue(ctx, ctxKey{}, info.Action), func(r guapocado.CallResult) {
		o.mu.Lock()
		o.results = append(o.results, r)
		o.mu.Unlock()
	}
}

// TestCallObserver: one start and one end per call, with the action, mode,
// method, path without its query, final status and attempts; the context
// the observer returns reaches the transport; validation errors are not
// observed.
func TestCallObserver(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	o := &observed{}
	var seenCtx atomic.Value
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_o"),
		guapocado.WithRetry(2, 0, 0), guapocado.WithCallObserver(o.observer),
		guapocado.WithTransportWrapper(func(rt http.RoundTripper) http.RoundTripper {
			return roundTripFunc(func(r *http.Request) (*http.Response, error) {
				if v, ok := r.Context().Value(ctxKey{}).(string); ok {
					seenCtx.Store(v)
				}
				return rt.RoundTrip(r)
			})
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Usage.Consume(ctx, "api-calls", 1); err != nil {
		t.Fatal(err)
	}
	srv.InjectFaults(1, guapocadotest.Fault{Status: http.StatusServiceUnavailable})
	if _, err := c.Subscription.Current(ctx); err != nil {
		t.Fatal(err)
	}
	_, err = c.Usage.Consume(ctx, "no-such-meter", 1)
	if !errors.Is(err, guapocado.ErrNotFound) {
		t.Fatalf("consume of an unknown meter: %v", err)
	}
	if _, err := c.Usage.Consume(ctx, "api-calls", 0); err == nil {
		t.Fatal("amount 0 accepted")
	}
	want := []struct {
		info     guapocado.CallInfo
		status   int
		attempts int
		failed   bool
	}{
		{guapocado.CallInfo{Action: "Usage.Consume", Mode: guapocado.ModePlatform, Method: "POST", Path: "/v1/usage/api-calls/consume", Write: true}, 200, 1, false},
		{guapocado.CallInfo{Action: "Subscription.Current", Mode: guapocado.ModePlatform, Method: "GET", Path: "/v1/subscriptions"}, 200, 2, false},
		{guapocado.CallInfo{Action: "Usage.Consume", Mode: guapocado.ModePlatform, Method: "POST", Path: "/v1/usage/no-such-meter/consume", Write: true}, 404, 1, true},
	}
	if len(o.infos) != len(want) || len(o.results) != len(want) {
		t.Fatalf("observed %d starts and %d ends, want %d each (a validation error is not observed)", len(o.infos), len(o.results), len(want))
	}
	for i, w := range want {
		if o.infos[i] != w.info {
			t.Errorf("call %d: info %+v, want %+v", i, o.infos[i], w.info)
		}
		r := o.results[i]
		if r.StatusCode != w.status || r.Attempts != w.attempts || (r.Err != nil) != w.failed {
			t.Errorf("call %d: result status %d attempts %d err %v, want %d, %d, failed %v", i, r.StatusCode, r.Attempts, r.Err, w.status, w.attempts, w.failed)
		}
	}
	if v, _ := seenCtx.Load().(string); v != "Usage.Consume" {
		t.Errorf("the transport saw context value %q, want the observer's", v)
	}
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// ctxRecorder is a slog.Handler that records, for each record, the value
// the context carried under ctxKey.
type ctxRecorder struct {
	mu   sync.Mutex
	vals []any
	msgs []string
}

func (h *ctxRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (h *ctxRecorder) Handle(ctx context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.vals = append(h.vals, ctx.Value(ctxKey{}))
	h.msgs = append(h.msgs, r.Message)
	return nil
}
func (h *ctxRecorder) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *ctxRecorder) WithGroup(string) slog.Handler      { return h }

// TestLogsCarryContext: the attempt and retry records are logged with the
// caller's context, so a handler can add its trace ids.
func TestLogsCarryContext(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	h := &ctxRecorder{}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithRetry(1, 0, 0), guapocado.WithLogger(slog.New(h)))
	if err != nil {
		t.Fatal(err)
	}
	srv.InjectFaults(1, guapocadotest.Fault{Status: http.StatusServiceUnavailable})
	ctx := context.WithValue(context.Background(), ctxKey{}, "trace-42")
	if _, err := c.Usage.Balance(ctx, "api-calls"); err != nil {
		t.Fatal(err)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if strings.Join(h.msgs, "|") != "guapocado: attempt|guapocado: retrying|guapocado: attempt" {
		t.Fatalf("records %q", h.msgs)
	}
	for i, v := range h.vals {
		if v != "trace-42" {
			t.Errorf("record %d (%s) carried %v, want the call's context value", i, h.msgs[i], v)
		}
	}
}
