package otelguapocado_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/otelguapocado"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// harness is a fake, an instrumented session client and platform client,
// and in-memory trace and metric readers.
type harness struct {
	srv     *guapocadotest.Server
	sess    guapocadotest.Session
	c       *guapocado.Client
	api     *guapocado.APIClient
	spans   *tracetest.SpanRecorder
	metrics *sdkmetric.ManualReader
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	h := &harness{srv: guapocadotest.New(t), spans: tracetest.NewSpanRecorder(), metrics: sdkmetric.NewManualReader()}
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.metrics))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	otelOpts := otelguapocado.Options(otelguapocado.WithTracerProvider(tp), otelguapocado.WithMeterProvider(mp))
	var err error
	if h.sess, err = h.srv.NewSession(); err != nil {
		t.Fatal(err)
	}
	h.c, err = guapocado.NewClient(h.srv.URL, append(otelOpts, guapocado.WithSessionToken(h.sess.Token), guapocado.WithRetry(2, 0, 0))...)
	if err != nil {
		t.Fatal(err)
	}
	h.api, err = guapocado.NewAPIClient(h.srv.APIKey(), append(otelOpts, guapocado.WithAPIURL(h.srv.APIURL()),
		guapocado.WithCustomerID("org_otel"), guapocado.WithRetry(2, 0, 0))...)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func attrs(kvs []attribute.KeyValue) map[string]string {
	m := map[string]string{}
	for _, kv := range kvs {
		m[string(kv.Key)] = kv.Value.Emit()
	}
	return m
}

// TestSpansAndMetrics: a consume that succeeds, a read retried after a 503,
// and a consume that ends ErrOutcomeUnknown, as spans with attempt events
// and as metrics.
func TestSpansAndMetrics(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()

	if _, err := h.api.Usage.Consume(ctx, "api-calls", 1); err != nil {
		t.Fatal(err)
	}
	h.srv.InjectFaults(1, guapocadotest.Fault{Path: "/v1/usage/api-calls/balance", Status: http.StatusServiceUnavailable})
	if _, err := h.api.Usage.Balance(ctx, "api-calls"); err != nil {
		t.Fatal(err)
	}
	h.srv.InjectFaults(1, guapocadotest.Fault{Path: "/api/auth/guapocado/usage/consume", Drop: guapocadotest.DropAfterApply})
	if _, err := h.c.Usage.Consume(ctx, "api-calls", 1); !errors.Is(err, guapocado.ErrOutcomeUnknown) {
		t.Fatalf("consume with a dropped answer: %v, want ErrOutcomeUnknown", err)
	}

	spans := h.spans.Ended()
	if len(spans) != 3 {
		t.Fatalf("%d spans, want 3", len(spans))
	}
	want := []struct {
		name     string
		attrs    map[string]string
		events   []string // each attempt's status or error type
		errClass string
	}{
		{"guapocado Usage.Consume", map[string]string{
			"guapocado.action": "Usage.Consume", "guapocado.mode": "platform", "http.request.method": "POST",
			"url.path": "/v1/usage/api-calls/consume", "http.response.status_code": "200", "guapocado.attempts": "1",
			"guapocado.outcome": "ok", "guapocado.write": "true",
		}, []string{"200"}, ""},
		{"guapocado Usage.Balance", map[string]string{
			"guapocado.action": "Usage.Balance", "guapocado.mode": "platform", "http.request.method": "GET",
			"url.path": "/v1/usage/api-calls/balance", "http.response.status_code": "200", "guapocado.attempts": "2",
			"guapocado.outcome": "ok",
		}, []string{"503", "200"}, ""},
		{"guapocado Usage.Consume", map[string]string{
			"guapocado.action": "Usage.Consume", "guapocado.mode": "session", "http.request.method": "POST",
			"url.path": "/api/auth/guapocado/usage/consume", "guapocado.attempts": "1",
			"guapocado.outcome": "outcome_unknown", "error.type": "outcome_unknown",
		}, []string{"transport"}, "outcome_unknown"},
	}
	for i, w := range want {
		s := spans[i]
		if s.Name() != w.name {
			t.Errorf("span %d: name %q, want %q", i, s.Name(), w.name)
		}
		got := attrs(s.Attributes())
		for k, v := range w.attrs {
			if got[k] != v {
				t.Errorf("span %d (%s): %s = %q, want %q", i, w.name, k, got[k], v)
			}
		}
		if _, ok := got["url.query"]; ok || strings.Contains(got["url.path"], "?") {
			t.Errorf("span %d carries a query: %v", i, got)
		}
		var evs []string
		for j, ev := range s.Events() {
			ea := attrs(ev.Attributes)
			if ev.Name != "guapocado.attempt" || ea["guapocado.attempt"] != itoa(j+1) {
				t.Errorf("span %d event %d: %s %v", i, j, ev.Name, ea)
			}
			if v := ea["http.response.status_code"]; v != "" {
				evs = append(evs, v)
			} else {
				evs = append(evs, ea["error.type"])
			}
		}
		if strings.Join(evs, ",") != strings.Join(w.events, ",") {
			t.Errorf("span %d attempts %v, want %v", i, evs, w.events)
		}
		if w.errClass != "" && (s.Status().Code != codes.Error || s.Status().Description != w.errClass) {
			t.Errorf("span %d status %+v, want Error %q", i, s.Status(), w.errClass)
		}
		if w.errClass == "" && s.Status().Code == codes.Error {
			t.Errorf("span %d status %+v, want not Error", i, s.Status())
		}
	}

	var rm metricdata.ResourceMetrics
	if err := h.metrics.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	sums := map[string]int64{} // name|action|mode|outcome-or-class → value
	var histCount uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					a := attrs(p.Attributes.ToSlice())
					sums[m.Name+"|"+a["guapocado.action"]+"|"+a["guapocado.mode"]+"|"+a["guapocado.outcome"]+a["error.type"]] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					histCount += p.Count
				}
			}
		}
	}
	for k, v := range map[string]int64{
		"guapocado.client.calls|Usage.Consume|platform|ok":                1,
		"guapocado.client.calls|Usage.Balance|platform|ok":                1,
		"guapocado.client.calls|Usage.Consume|session|outcome_unknown":    1,
		"guapocado.client.failures|Usage.Consume|session|outcome_unknown": 1,
		"guapocado.client.retries|Usage.Balance|platform|":                1,
	} {
		if sums[k] != v {
			t.Errorf("metric %s = %d, want %d (all: %v)", k, sums[k], v, sums)
		}
	}
	if len(sums) != 5 {
		t.Errorf("metric points %v, want exactly the 5 above", sums)
	}
	if histCount != 3 {
		t.Errorf("duration histogram counted %d calls, want 3", histCount)
	}
}

func itoa(n int) string { return string(rune('0' + n)) }

// TestNoSecrets: no span name, attribute or event carries the session
// token, the API key, the cookie or a request body, for calls that succeed
// and fail.
func TestNoSecrets(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	ctx := context.Background()
	_, _ = h.c.Usage.Consume(ctx, "api-calls", 1)
	_, _ = h.c.Usage.Consume(ctx, "no-such-meter", 1)
	_, _ = h.api.Usage.Consume(ctx, "api-calls", 1, guapocado.WithIdempotencyKey("idem-secret-ish"))
	_, _ = h.api.Customer.Create(ctx, &guapocado.CustomerParams{ID: "cus_x", Email: "private@example.test"})
	h.srv.InjectFaults(1, guapocadotest.Fault{Status: http.StatusUnauthorized, Body: `{"message":"bad"}`})
	_, _ = h.api.Has(ctx, "api-calls")
	var plans any
	_ = h.c.Do(ctx, "GET", "/guapocado/plans?secretQuery="+h.sess.Token[:8], nil, &plans)

	tok := h.sess.Token
	secrets := []string{tok, url.QueryEscape(tok), strings.SplitN(tok, ".", 2)[0], h.srv.APIKey(),
		"session_token", "private@example.test", "idem-secret-ish", "secretQuery"}
	spans := h.spans.Ended()
	if len(spans) != 6 {
		t.Fatalf("%d spans, want 6", len(spans))
	}
	for _, s := range spans {
		var texts []string
		texts = append(texts, s.Name(), s.Status().Description)
		for _, kv := range s.Attributes() {
			texts = append(texts, string(kv.Key)+"="+kv.Value.Emit())
		}
		for _, ev := range s.Events() {
			texts = append(texts, ev.Name)
			for _, kv := range ev.Attributes {
				texts = append(texts, string(kv.Key)+"="+kv.Value.Emit())
			}
		}
		all := strings.Join(texts, "\n")
		for _, sec := range secrets {
			if strings.Contains(all, sec) {
				t.Errorf("span %q carries a secret (%d bytes)", s.Name(), len(sec))
			}
		}
	}
}

func TestErrorClass(t *testing.T) {
	t.Parallel()
	if otelguapocado.ErrorClass(nil) != "" {
		t.Error("nil has a class")
	}
	if c := otelguapocado.ErrorClass(context.Canceled); c != "canceled" {
		t.Errorf("context.Canceled: %q", c)
	}
	if c := otelguapocado.ErrorClass(&guapocado.ValidationError{Field: "amount", Reason: "x"}); c != "validation" {
		t.Errorf("validation: %q", c)
	}
	if c := otelguapocado.ErrorClass(errors.New("boom")); c != "transport" {
		t.Errorf("other: %q", c)
	}
}

// TestRequestIDAttributeIsRedacted: a proxy that copies the request's API
// key into x-request-id does not put it in the span's request id.
func TestRequestIDAttributeIsRedacted(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		return &guapocadotest.Fault{Status: http.StatusBadRequest, Body: `{"error":"bad"}`,
			Header: http.Header{"X-Request-Id": {"req-" + r.Header.Get("X-Guapocado-Key") + strings.Repeat("x", 1000)}}}
	})
	_, err := h.api.Usage.Balance(context.Background(), "api-calls")
	h.srv.SetFaultFunc(nil)
	if err == nil {
		t.Fatal("no error")
	}
	spans := h.spans.Ended()
	if len(spans) != 1 {
		t.Fatalf("%d spans", len(spans))
	}
	id := attrs(spans[0].Attributes())["guapocado.request_id"]
	if !strings.HasPrefix(id, "req-[redacted]") || strings.Contains(id, h.srv.APIKey()) || len(id) > 260 {
		t.Errorf("request id attribute %q (%d bytes)", id, len(id))
	}
}
