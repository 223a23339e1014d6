package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"time"
)

// Error codes of the middleware's JSON answers (MiddlewareError.Code). They
// are part of the middleware's contract: a browser client can switch on them.
const (
	// CodeUnauthenticated (401): the request carries no Better Auth session,
	// or an invalid or expired one. Send the user to sign in.
	CodeUnauthenticated = "unauthenticated"
	// CodeNoActiveOrganization (401): signed in, but the session has no
	// active organization (or team) to bill. Let the user pick one
	// (organization.setActive), then repeat the request.
	CodeNoActiveOrganization = "no_active_organization"
	// CodeInsufficientBalance (402): the meter Key has less than Amount left.
	// Offer a top-up or an upgrade.
	CodeInsufficientBalance = "insufficient_balance"
	// CodeNotEntitled (403): the customer's plan does not include the
	// feature Key. Offer an upgrade.
	CodeNotEntitled = "not_entitled"
	// CodeRateLimited (429): the billing server is rate limiting; wait
	// RetryAfter seconds (also in the Retry-After header).
	CodeRateLimited = "rate_limited"
	// CodeBillingUnavailable (503): the billing server failed or could not
	// be reached. Try again later (RetryAfter, when set, says when).
	CodeBillingUnavailable = "billing_unavailable"
	// CodeBillingError (502): the billing server refused the check for a
	// reason that is not the user's (an unknown key, a misconfigured
	// server, an answer that does not decode). Retrying will not help;
	// the service's operator must look at it.
	CodeBillingError = "billing_error"
)

// MiddlewareError is the JSON body of every answer the middleware gives
// instead of calling the handler, for example
//
//	{"error":"insufficient_balance","message":"Not enough ai-credits left for this request.","key":"ai-credits","amount":1}
//
// Code is one of the Code* constants and is stable; Message is a short
// English sentence for people and may change. Key names the feature or meter
// whose check failed (absent on 401), Amount the units a refused consume
// asked for, RetryAfter the seconds to wait (429 always, 503 when known; the
// Retry-After header carries the same value).
type MiddlewareError struct {
	Code       string `json:"error"`
	Message    string `json:"message"`
	Key        string `json:"key,omitempty"`
	Amount     int64  `json:"amount,omitempty"`
	RetryAfter int    `json:"retryAfter,omitempty"`
}

// A MiddlewareOption configures Client.Middleware.
type MiddlewareOption func(*middlewareConfig)

type middlewareConfig struct {
	features    []string
	meter       string
	amount      int64
	consumes    int
	refund      bool
	onError     func(*http.Request, error)
	badOption   error
	refundLimit time.Duration
}

// RequireFeature lets a request through only when its customer is entitled
// to the feature key (Client.Has); otherwise the middleware answers 403
// not_entitled. It may be given several times: every feature is required,
// checked in order, before any usage is consumed.
func RequireFeature(key string) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if err := checkKey("key", key); err != nil {
			mc.badOption = err
			return
		}
		mc.features = append(mc.features, key)
	}
}

// ConsumeUsage consumes amount units of the meter key for each request,
// before the handler runs; the handler gets the balance after it from
// UsageFromContext. A consume beyond the balance is answered 402
// insufficient_balance and the handler is not called. At most one
// ConsumeUsage per middleware.
//
// The units are consumed whatever the handler then does: see
// RefundOnServerError to give them back when it fails.
func ConsumeUsage(key string, amount int64) MiddlewareOption {
	return func(mc *middlewareConfig) {
		mc.consumes++
		if err := checkKey("key", key); err != nil {
			mc.badOption = err
			return
		}
		if err := checkAmount(amount); err != nil {
			mc.badOption = err
			return
		}
		mc.meter, mc.amount = key, amount
	}
}

// RefundOnServerError refunds the units ConsumeUsage took when the handler
// answers with a 5xx status or panics (the panic is then re-raised). The
// refund is one more request to the billing server, sent after the handler
// returned, with a context that outlives the incoming request's
// cancellation (bounded to 15 s); if it fails the units stay consumed and
// the error goes to OnBillingError. A handler that answered 2xx, 3xx or 4xx
// keeps the consume. Needs ConsumeUsage.
func RefundOnServerError() MiddlewareOption {
	return func(mc *middlewareConfig) { mc.refund = true }
}

// OnBillingError calls fn with every error the middleware does not turn
// into a decision about the user: the failures answered 429, 502 or 503,
// and failed refunds. Use it to log them; the JSON answer hides the details.
// fn runs on the request's goroutine and must not write to the response.
func OnBillingError(fn func(r *http.Request, err error)) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if fn == nil {
			mc.badOption = &ValidationError{Field: "OnBillingError", Reason: "nil func"}
			return
		}
		mc.onError = fn
	}
}

// Middleware returns net/http middleware that acts for the Better Auth
// session of each incoming request: it makes the request's client with
// ForRequest, checks the features of RequireFeature, consumes the usage of
// ConsumeUsage, and only then calls the next handler, whose request context
// carries the client (ClientFromContext) and the balance after the consume
// (UsageFromContext). With no option it only attaches the client and lets
// every request through.
//
// When a check does not pass the handler is not called, and the middleware
// answers with a JSON MiddlewareError (Content-Type application/json,
// Cache-Control no-store):
//
//	status  error                   when
//	401     unauthenticated         no session cookie or bearer token, or an invalid or expired one
//	401     no_active_organization  signed in, but no active organization or team (ErrNoCustomer)
//	402     insufficient_balance    the consume exceeds the balance (ErrInsufficientBalance)
//	403     not_entitled            Has answered false for a RequireFeature key
//	429     rate_limited            the billing server rate limits (ErrRateLimited); Retry-After set
//	502     billing_error           any other refusal: unknown key, rejected Origin or API key, undecodable answer
//	503     billing_unavailable     the billing server failed or was unreachable (ErrServer, transport errors, timeouts)
//
// A request with no Better Auth cookie and no bearer token is answered 401
// without calling the billing server. A consume whose answer was lost
// (ErrOutcomeUnknown) is answered 503: the units may have been taken.
//
// The middleware forwards the browser's session cookies, so a handler
// behind it is cookie-authenticated: answer CORS preflights before it, and
// protect state-changing routes from cross-site requests (Better Auth's
// cookies are SameSite=Lax, which stops cross-site POSTs but not requests
// from sibling subdomains).
//
// An invalid option (an empty key, an amount out of range, ConsumeUsage
// twice, RefundOnServerError without ConsumeUsage) is reported as a
// *ValidationError when the middleware is built. A nil next handler means
// http.DefaultServeMux, as for http.Server.
func (b *Billing) Middleware(opts ...MiddlewareOption) (func(http.Handler) http.Handler, error) {
	mc := &middlewareConfig{refundLimit: 15 * time.Second}
	for _, o := range opts {
		if o == nil {
			return nil, &ValidationError{Field: "options", Reason: "nil MiddlewareOption"}
		}
		o(mc)
		if mc.badOption != nil {
			return nil, mc.badOption
		}
	}
	if mc.consumes > 1 {
		return nil, &ValidationError{Field: "options", Reason: "ConsumeUsage given more than once"}
	}
	if mc.refund && mc.consumes == 0 {
		return nil, &ValidationError{Field: "options", Reason: "RefundOnServerError needs ConsumeUsage"}
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			next = http.DefaultServeMux
		}
		return &middleware{b: b, mc: mc, next: next}
	}, nil
}

type middleware struct {
	b    *Billing
	mc   *middlewareConfig
	next http.Handler
}

// requestValues is what the middleware hands to the handler.
type requestValues struct {
	client *Billing
	usage  *Usage
}

type requestValuesKey struct{}

// ClientFromContext returns the per-request client (Client.ForRequest) that
// Client.Middleware put in the request's context, and whether there is one.
func ClientFromContext(ctx context.Context) (*Billing, bool) {
	v, ok := ctx.Value(requestValuesKey{}).(*requestValues)
	if !ok {
		return nil, false
	}
	return v.client, true
}

// UsageFromContext returns the balance after the consume that
// Client.Middleware made for the request (ConsumeUsage), and whether there
// is one.
func UsageFromContext(ctx context.Context) (*Usage, bool) {
	v, ok := ctx.Value(requestValuesKey{}).(*requestValues)
	if !ok || v.usage == nil {
		return nil, false
	}
	return v.usage, true
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mc := m.mc
	gc := m.b.forRequest(r)
	checks := len(mc.features) > 0 || mc.meter != ""
	if checks && gc.sess.staticCookie == "" && gc.sess.bearerToken() == "" {
		writeMiddlewareError(w, http.StatusUnauthorized, &MiddlewareError{Code: CodeUnauthenticated, Message: msgUnauthenticated})
		return
	}
	ctx := r.Context()
	for _, key := range mc.features {
		ok, err := gc.Has(ctx, key)
		if err != nil {
			m.fail(w, r, err, key, 0)
			return
		}
		if !ok {
			writeMiddlewareError(w, http.StatusForbidden, &MiddlewareError{Code: CodeNotEntitled, Key: key,
				Message: "Your plan does not include " + key + "."})
			return
		}
	}
	vals := &requestValues{client: gc}
	if mc.meter != "" {
		u, err := gc.Usage.Consume(ctx, mc.meter, mc.amount)
		if err != nil {
			m.fail(w, r, err, mc.meter, mc.amount)
			return
		}
		vals.usage = u
	}
	r = r.WithContext(context.WithValue(ctx, requestValuesKey{}, vals))
	if !mc.refund {
		m.next.ServeHTTP(w, r)
		return
	}
	sw := &statusWriter{ResponseWriter: w}
	panicked := true
	defer func() {
		if panicked || sw.status >= 500 {
			m.refund(r, gc)
		}
	}()
	m.next.ServeHTTP(sw, r)
	panicked = false
}

// refund gives back a consume after the handler failed.
func (m *middleware) refund(r *http.Request, gc *Billing) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), m.mc.refundLimit)
	defer cancel()
	if _, err := gc.Usage.Refund(ctx, m.mc.meter, m.mc.amount); err != nil && m.mc.onError != nil {
		m.mc.onError(r, fmt.Errorf("guapocado: Middleware: refunding %d %s after the handler failed: %w", m.mc.amount, m.mc.meter, err))
	}
}

const msgUnauthenticated = "You are not signed in, or your session has expired."

// fail answers a failed billing call.
func (m *middleware) fail(w http.ResponseWriter, r *http.Request, err error, key string, amount int64) {
	status, body := middlewareAnswer(err, key, amount)
	if status >= 429 && m.mc.onError != nil && r.Context().Err() == nil { // not when the caller went away

		m.mc.onError(r, err)
	}
	writeMiddlewareError(w, status, body)
}

// middlewareAnswer maps a billing call's error to the middleware's answer.
func middlewareAnswer(err error, key string, amount int64) (int, *MiddlewareError) {
	var apiErr *Error
	errors.As(err, &apiErr)
	switch {
	case errors.Is(err, ErrNoCustomer):
		return http.StatusUnauthorized, &MiddlewareError{Code: CodeNoActiveOrganization,
			Message: "Choose an organization (or team) to bill before using this."}
	case errors.Is(err, ErrUnauthorized) && apiErr != nil && apiErr.Code != "":
		// Better Auth's own 401 (code UNAUTHORIZED): no valid session. A
		// 401 without a code comes from the platform behind the plugin
		// (its API key was refused): not the user's fault.
		return http.StatusUnauthorized, &MiddlewareError{Code: CodeUnauthenticated, Message: msgUnauthenticated}
	case errors.Is(err, ErrInsufficientBalance):
		return http.StatusPaymentRequired, &MiddlewareError{Code: CodeInsufficientBalance, Key: key, Amount: amount,
			Message: "Not enough " + key + " left for this request."}
	case errors.Is(err, ErrRateLimited):
		secs := 1
		if apiErr != nil && apiErr.RetryAfter > 0 {
			secs = retryAfterSeconds(apiErr.RetryAfter)
		}
		return http.StatusTooManyRequests, &MiddlewareError{Code: CodeRateLimited, Key: key, RetryAfter: secs,
			Message: "Too many requests to the billing service; try again in " + strconv.Itoa(secs) + " s."}
	case errors.Is(err, ErrServer), errors.Is(err, ErrOutcomeUnknown), apiErr != nil && apiErr.StatusCode == 0 && !apiErr.unexpected,
		errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		e := &MiddlewareError{Code: CodeBillingUnavailable, Key: key,
			Message: "The billing service is unavailable; try again later."}
		if apiErr != nil && apiErr.RetryAfter > 0 {
			e.RetryAfter = retryAfterSeconds(apiErr.RetryAfter)
		}
		return http.StatusServiceUnavailable, e
	}
	return http.StatusBadGateway, &MiddlewareError{Code: CodeBillingError, Key: key,
		Message: "The billing check failed."}
}

func retryAfterSeconds(d time.Duration) int {
	s := math.Ceil(d.Seconds())
	if s < 1 {
		return 1
	}
	if s > math.MaxInt32 {
		return math.MaxInt32
	}
	return int(s)
}

func writeMiddlewareError(w http.ResponseWriter, status int, body *MiddlewareError) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if body.RetryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(body.RetryAfter))
	}
	w.WriteHeader(status)
	b, _ := json.Marshal(body) // strings and integers: never fails
	_, _ = w.Write(append(b, '\n'))
}

// statusWriter records the status a handler answered. Unwrap lets
// http.ResponseController reach the underlying writer (Hijack, deadlines).
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 && code >= 200 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Flush keeps streaming handlers working behind RefundOnServerError.
func (w *statusWriter) Flush() {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	_ = http.NewResponseController(w.ResponseWriter).Flush()
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
