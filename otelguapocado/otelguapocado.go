// Package otelguapocado instruments guapocado-go clients with
// OpenTelemetry: a span per SDK call, with its attempts as span events, and
// metrics of calls, failures, retries and latency.
//
//	c, err := guapocado.NewAPIClient(apiKey, append(otelguapocado.Options(),
//		guapocado.WithCustomerID("org_123"))...)
//
// It is a module of its own (github.com/guapocado/guapocado-go/otelguapocado)
// so that the SDK itself does not depend on OpenTelemetry. It builds on the
// SDK's hooks: guapocado.WithCallObserver (one span per call, started with
// the call's context, so a span in the caller's context is its parent) and
// guapocado.WithTransportWrapper (one event per attempt, over the SDK's own
// tuned transport).
//
// # Spans
//
// A call's span is named "guapocado " + the action ("guapocado
// Usage.Consume"), of kind client, with the attributes guapocado.action,
// guapocado.mode ("session" or "platform"), http.request.method, url.path
// (the path under the host, never the query), guapocado.write, and at the
// end http.response.status_code, guapocado.attempts, guapocado.outcome
// ("ok" or the error class, see ErrorClass), error.type and
// guapocado.request_id (the server's x-request-id as guapocado.Error's
// RequestID holds it: credentials redacted, at most 256 bytes). Each attempt is an event "guapocado.attempt" with
// guapocado.attempt (1, 2, …) and http.response.status_code or error.type.
// A failed call's span has status Error with the error class as its
// description. No span, attribute or event ever carries a session token,
// cookie, API key, header, query or body, nor the error's message.
//
// # Metrics
//
//   - guapocado.client.calls (counter): calls, by guapocado.action,
//     guapocado.mode and guapocado.outcome.
//   - guapocado.client.failures (counter): failed calls, by action, mode
//     and error.type (the sentinel the error matches: "outcome_unknown",
//     "insufficient_balance", …).
//   - guapocado.client.retries (counter): attempts after the first, by
//     action and mode.
//   - guapocado.client.duration (histogram, seconds): call latency,
//     retries included, by action, mode and outcome.
package otelguapocado

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the tracer and meter.
const ScopeName = "github.com/guapocado/guapocado-go/otelguapocado"

// An Option configures the instrumentation.
type Option func(*config)

type config struct {
	tp trace.TracerProvider
	mp metric.MeterProvider
}

// WithTracerProvider uses tp for spans (default: otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return func(c *config) { c.tp = tp }
}

// WithMeterProvider uses mp for metrics (default: otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return func(c *config) { c.mp = mp }
}

// Options returns the guapocado options that instrument a client: pass them
// to guapocado.NewClient or guapocado.NewAPIClient with the client's own
// options. An instrument that cannot be created is reported to
// otel.Handle and left out.
func Options(opts ...Option) []guapocado.Option {
	cfg := config{}
	for _, o := range opts {
		if o != nil {
			o(&cfg)
		}
	}
	if cfg.tp == nil {
		cfg.tp = otel.GetTracerProvider()
	}
	if cfg.mp == nil {
		cfg.mp = otel.GetMeterProvider()
	}
	in := newInstruments(cfg)
	return []guapocado.Option{
		guapocado.WithCallObserver(in.observe),
		guapocado.WithTransportWrapper(func(next http.RoundTripper) http.RoundTripper {
			return &attemptTransport{next: next}
		}),
	}
}

// Attribute keys.
const (
	keyAction    = attribute.Key("guapocado.action")
	keyMode      = attribute.Key("guapocado.mode")
	keyWrite     = attribute.Key("guapocado.write")
	keyAttempts  = attribute.Key("guapocado.attempts")
	keyAttempt   = attribute.Key("guapocado.attempt")
	keyOutcome   = attribute.Key("guapocado.outcome")
	keyRequestID = attribute.Key("guapocado.request_id")
	keyMethod    = attribute.Key("http.request.method")
	keyPath      = attribute.Key("url.path")
	keyStatus    = attribute.Key("http.response.status_code")
	keyErrorType = attribute.Key("error.type")
)

type instruments struct {
	tracer   trace.Tracer
	calls    metric.Int64Counter
	failures metric.Int64Counter
	retries  metric.Int64Counter
	duration metric.Float64Histogram
}

func newInstruments(cfg config) *instruments {
	m := cfg.mp.Meter(ScopeName)
	in := &instruments{tracer: cfg.tp.Tracer(ScopeName)}
	var err error
	if in.calls, err = m.Int64Counter("guapocado.client.calls", metric.WithUnit("{call}"),
		metric.WithDescription("SDK calls, by action, mode and outcome")); err != nil {
		otel.Handle(err)
	}
	if in.failures, err = m.Int64Counter("guapocado.client.failures", metric.WithUnit("{call}"),
		metric.WithDescription("failed SDK calls, by action, mode and error class")); err != nil {
		otel.Handle(err)
	}
	if in.retries, err = m.Int64Counter("guapocado.client.retries", metric.WithUnit("{attempt}"),
		metric.WithDescription("attempts after the first, by action and mode")); err != nil {
		otel.Handle(err)
	}
	if in.duration, err = m.Float64Histogram("guapocado.client.duration", metric.WithUnit("s"),
		metric.WithDescription("SDK call latency, retries included")); err != nil {
		otel.Handle(err)
	}
	return in
}

// callKey carries a call's record in its context, for the attempt transport.
type callKey struct{}

// callRecord is what the attempt transport needs of a call.
type callRecord struct {
	span     trace.Span
	attempts atomic.Int32
}

// observe is the guapocado.CallObserver.
func (in *instruments) observe(ctx context.Context, info guapocado.CallInfo) (context.Context, func(guapocado.CallResult)) {
	start := time.Now()
	ctx, span := in.tracer.Start(ctx, "guapocado "+info.Action, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			keyAction.String(info.Action), keyMode.String(info.Mode),
			keyMethod.String(info.Method), keyPath.String(info.Path), keyWrite.Bool(info.Write),
		))
	rec := &callRecord{span: span}
	ctx = context.WithValue(ctx, callKey{}, rec)
	return ctx, func(r guapocado.CallResult) {
		class := ErrorClass(r.Err)
		outcome := "ok"
		if r.Err != nil {
			outcome = class
		}
		attrs := []attribute.KeyValue{keyAttempts.Int(r.Attempts), keyOutcome.String(outcome)}
		if r.StatusCode != 0 {
			attrs = append(attrs, keyStatus.Int(r.StatusCode))
		}
		var e *guapocado.Error
		if errors.As(r.Err, &e) && e.RequestID != "" {
			attrs = append(attrs, keyRequestID.String(e.RequestID))
		}
		if r.Err != nil {
			attrs = append(attrs, keyErrorType.String(class))
			span.SetStatus(codes.Error, class)
		}
		span.SetAttributes(attrs...)
		span.End()

		base := metric.WithAttributes(keyAction.String(info.Action), keyMode.String(info.Mode))
		withOutcome := metric.WithAttributes(keyAction.String(info.Action), keyMode.String(info.Mode), keyOutcome.String(outcome))
		if in.calls != nil {
			in.calls.Add(ctx, 1, withOutcome)
		}
		if r.Err != nil && in.failures != nil {
			in.failures.Add(ctx, 1, metric.WithAttributes(keyAction.String(info.Action), keyMode.String(info.Mode), keyErrorType.String(class)))
		}
		if r.Attempts > 1 && in.retries != nil {
			in.retries.Add(ctx, int64(r.Attempts-1), base)
		}
		if in.duration != nil {
			in.duration.Record(ctx, time.Since(start).Seconds(), withOutcome)
		}
	}
}

// attemptTransport adds an event to the call's span for each attempt.
type attemptTransport struct {
	next http.RoundTripper
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rec, _ := req.Context().Value(callKey{}).(*callRecord)
	if rec == nil {
		return t.next.RoundTrip(req)
	}
	n := rec.attempts.Add(1)
	resp, err := t.next.RoundTrip(req)
	attrs := []attribute.KeyValue{keyAttempt.Int(int(n))}
	if err != nil {
		attrs = append(attrs, keyErrorType.String(transportClass(req.Context(), err)))
	} else {
		attrs = append(attrs, keyStatus.Int(resp.StatusCode))
	}
	rec.span.AddEvent("guapocado.attempt", trace.WithAttributes(attrs...))
	return resp, err
}

// transportClass names a failed round trip without its message (which can
// name hosts and addresses).
func transportClass(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, context.DeadlineExceeded) || ctx.Err() == context.DeadlineExceeded:
		return "deadline_exceeded"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "transport"
}

// classes maps the SDK's sentinels to error classes, most specific first:
// ErrOutcomeUnknown (which a 5xx write also matches with ErrServer) before
// all, ErrNoCustomer and ErrInvalidAPIKey before ErrUnauthorized.
var classes = []struct {
	err   error
	class string
}{
	{guapocado.ErrOutcomeUnknown, "outcome_unknown"},
	{guapocado.ErrInsufficientBalance, "insufficient_balance"},
	{guapocado.ErrRateLimited, "rate_limited"},
	{guapocado.ErrNoCustomer, "no_customer"},
	{guapocado.ErrInvalidAPIKey, "invalid_api_key"},
	{guapocado.ErrOriginRejected, "origin_rejected"},
	{guapocado.ErrUnauthorized, "unauthorized"},
	{guapocado.ErrForbidden, "forbidden"},
	{guapocado.ErrNotFound, "not_found"},
	{guapocado.ErrInvalidRequest, "invalid_request"},
	{guapocado.ErrServer, "server"},
	{guapocado.ErrUnexpectedResponse, "unexpected_response"},
	{context.DeadlineExceeded, "deadline_exceeded"},
	{context.Canceled, "canceled"},
}

// ErrorClass names the class of an SDK error, as the metrics and spans
// report it: "" for nil; the first sentinel it matches, as snake case
// ("outcome_unknown", "insufficient_balance", "rate_limited",
// "no_customer", "invalid_api_key", "origin_rejected", "unauthorized",
// "forbidden", "not_found", "invalid_request", "server",
// "unexpected_response", "deadline_exceeded", "canceled"); "http_<status>"
// for another status;
// "transport" otherwise.
func ErrorClass(err error) string {
	if err == nil {
		return ""
	}
	var ve *guapocado.ValidationError
	if errors.As(err, &ve) {
		return "validation"
	}
	for _, c := range classes {
		if errors.Is(err, c.err) {
			return c.class
		}
	}
	var e *guapocado.Error
	if errors.As(err, &e) && e.StatusCode != 0 {
		return "http_" + strconv.Itoa(e.StatusCode)
	}
	return "transport"
}
