package guapocado

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"slices"
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
// (or MeterAfter's reservation) asked for, RetryAfter the seconds
// to wait (429 always, 503 when known; the Retry-After header carries the
// same value).
//
// A *MiddlewareError is also an error: a CustomerFrom resolver returns one
// to choose its own answer (Status, Code, Message). Status is the HTTP
// status of the answer; it is not part of the JSON body.
type MiddlewareError struct {
	Status     int    `json:"-"`
	Code       string `json:"error"`
	Message    string `json:"message"`
	Key        string `json:"key,omitempty"`
	Amount     int64  `json:"amount,omitempty"`
	RetryAfter int    `json:"retryAfter,omitempty"`
}

// Error returns the code and the message.
func (e *MiddlewareError) Error() string {
	return "guapocado: middleware answer " + strconv.Itoa(e.Status) + " " + e.Code + ": " + e.Message
}

// A MiddlewareOption configures Billing.Middleware.
type MiddlewareOption func(*middlewareConfig)

type middlewareConfig struct {
	features     []featureCheck
	meter        string // ConsumeUsage
	amount       int64
	consumes     int
	after        []meterAfter // MeterAfter, in the order given
	refundRule   func(status int, panicked any) bool
	refundRules  int
	onError      func(*http.Request, error)
	writer       func(w http.ResponseWriter, r *http.Request, status int, e *MiddlewareError)
	customerFrom func(*http.Request) (string, error)
	customerOpts int
	badOption    error
	settleLimit  time.Duration
	readModel    ReadModel // WithReadModel
	freeHead     bool      // FreeHEAD
}

func (mc *middlewareConfig) bad(err error) {
	if mc.badOption == nil {
		mc.badOption = err
	}
}

// featureCheck is one RequireFeature.
type featureCheck struct {
	key      string
	failOpen bool
}

// meterAfter is one MeterAfter.
type meterAfter struct {
	key     string
	reserve int64
}

// A CheckOption changes one RequireFeature check.
type CheckOption func(*featureCheck)

// FailOpen lets the request through when the feature check cannot be made
// because billing is unreachable: the billing server failed (ErrServer),
// could not be reached, timed out or rate limits the middleware. The error
// still goes to OnBillingError. Without FailOpen such a request is refused
// (503 billing_unavailable or 429 rate_limited). Refusals that are about
// the customer (not entitled, no session, no organization) and
// misconfigurations (502 billing_error) are never let through, and nothing
// is ever consumed on a fail-open: ConsumeUsage and MeterAfter refuse the
// request when billing is unreachable.
//
// All of a request's checks are one request to the billing server, so when
// it fails the request goes on only if every RequireFeature of the
// middleware is FailOpen and the middleware has no MeterAfter.
func FailOpen() CheckOption {
	return func(fc *featureCheck) { fc.failOpen = true }
}

// RequireFeature lets a request through only when its customer is entitled
// to the feature key; otherwise the middleware answers 403 not_entitled. It
// may be given several times: every feature is required. All features (and
// the balances of MeterAfter) are checked together in one Snapshot request
// before anything is consumed. A key the billing server does not know is
// reported as not entitled by the snapshot, so it is answered 403 too.
func RequireFeature(key string, opts ...CheckOption) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if err := checkKey("key", key); err != nil {
			mc.bad(err)
			return
		}
		fc := featureCheck{key: key}
		for _, o := range opts {
			if o == nil {
				mc.bad(&ValidationError{Field: "RequireFeature", Reason: "nil CheckOption"})
				return
			}
			o(&fc)
		}
		mc.features = append(mc.features, fc)
	}
}

// ConsumeUsage consumes amount units of the meter key for each request,
// before the handler runs; the handler gets the balance after it from
// UsageFromContext. A consume beyond the balance is answered 402
// insufficient_balance and the handler is not called. At most one
// ConsumeUsage per middleware.
//
// The units are consumed whatever the handler then does: see
// RefundOnServerError and RefundWhen to give them back when it fails.
// HEAD is charged as GET (the handler does the same work) unless FreeHEAD
// is given; OPTIONS is never charged. An uncharged request still has its
// checks: the consume becomes a check that the balance covers amount.
func ConsumeUsage(key string, amount int64) MiddlewareOption {
	return func(mc *middlewareConfig) {
		mc.consumes++
		if err := checkKey("key", key); err != nil {
			mc.bad(err)
			return
		}
		if err := checkAmount(amount); err != nil {
			mc.bad(err)
			return
		}
		mc.meter, mc.amount = key, amount
	}
}

// MeterAfter bills the meter key for what the handler reports it used
// (ReportUsage), by reserve and settle, for the request's customer:
//
//  1. Before the handler the middleware consumes reserve units of key (the
//     reservation; reserve >= 1). When the balance cannot cover them the
//     answer is 402 insufficient_balance and the handler is not called. A
//     customer whose plan allows overage and who enabled it passes
//     whatever the balance, as for any consume.
//  2. The handler reports what it used with ReportUsage, and reads what it
//     may still use with AllowanceFromContext (the reservation less what
//     it reported).
//  3. After the handler the middleware settles: a handler that used less
//     than its reservation gets the unused part refunded; one that used
//     more is charged the excess, as far as the customer's balance allows
//     at that moment (one consume of the excess; when that is refused for
//     the balance, one consume of what the balance still holds). What
//     cannot be charged is unpaid: an *UnpaidUsageError with the amounts
//     goes to OnBillingError.
//
// The guarantee: reservations are taken from the balance before any
// handler runs, so concurrent requests can never together be allowed more
// than the balance. Usage within each request's reservation is always
// paid. The only usage that can go unpaid is what a handler reports beyond
// its own reservation when the balance is exhausted: across any set of
// requests, the units served minus the units charged is at most the sum of
// each request's excess over its reservation, and every unpaid unit is
// reported. A handler that never uses more than AllowanceFromContext
// allows is always paid in full.
//
// The settling runs even when the client went away, with a context bounded
// to 15 s. Its failures (a refund or consume that failed, with the key and
// amounts) go to OnBillingError, or, without it, to the client's logger
// (WithLogger) or slog's default logger. They are never dropped silently.
//
// With a refund rule (RefundOnServerError, RefundWhen), a handler that
// failed by that rule gets its whole reservation back and is not charged
// for what it reported. An uncharged request (OPTIONS, or HEAD under
// FreeHEAD) reserves nothing: the middleware checks, in its Snapshot
// request, that the balance covers reserve, and drops what the handler
// reports. MeterAfter may be given for several keys, each once.
func MeterAfter(key string, reserve int64) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if err := checkKey("key", key); err != nil {
			mc.bad(err)
			return
		}
		if reserve < 1 || reserve > maxAmount {
			mc.bad(&ValidationError{Field: "reserve", Reason: "must be between 1 and 2^53"})
			return
		}
		for _, a := range mc.after {
			if a.key == key {
				mc.bad(&ValidationError{Field: "options", Reason: "MeterAfter given twice for " + key})
				return
			}
		}
		mc.after = append(mc.after, meterAfter{key: key, reserve: reserve})
	}
}

// FreeHEAD leaves HEAD requests uncharged: they get every check (features,
// and balances that cover ConsumeUsage's amount and MeterAfter's
// reservation) but nothing is consumed, reserved or refunded, and what the
// handler reports is dropped. Without it HEAD is charged as GET, because a
// net/http handler does the same work for both (only the body is dropped).
// Give it when your handlers answer HEAD cheaply.
func FreeHEAD() MiddlewareOption {
	return func(mc *middlewareConfig) { mc.freeHead = true }
}

// RefundOnServerError gives the units of ConsumeUsage back when the handler
// failed before serving: it answered a 5xx status, or it panicked before
// writing a status. Once a status below 500 was written, or the handler
// took the connection over (Hijack, directly or through
// http.ResponseController), nothing is refunded, panic or not (a proxy
// whose client hung up mid-stream panics with http.ErrAbortHandler after
// its 200). A panic is always re-raised
// for net/http. It is RefundWhen(DefaultRefundRule).
//
// The refund goes to the customer and meter charged, for the amount
// charged, at most once; it is one more request to the billing server,
// sent after the handler returned, with a context that outlives the
// incoming request's cancellation (bounded to 15 s). If it fails the units
// stay consumed and the error goes to OnBillingError (or the logger, see
// MeterAfter). Needs ConsumeUsage or MeterAfter (whose reservation is
// then refunded in full, and whose reported usage is not charged).
func RefundOnServerError() MiddlewareOption {
	return RefundWhen(DefaultRefundRule)
}

// DefaultRefundRule is RefundOnServerError's rule: refund when the handler
// answered 5xx, or panicked before writing a status (status 0).
func DefaultRefundRule(status int, panicked any) bool {
	return status >= 500 || (panicked != nil && status == 0)
}

// RefundWhen refunds the units of ConsumeUsage (and MeterAfter's
// reservations, without charging what the handler reported) when rule,
// called once after the handler, returns true. status is the status the
// handler wrote (200 when it returned without writing; 0 when it panicked
// before writing one; 101 Switching Protocols when it hijacked the
// connection, which counts as served);
// panicked is the value the handler panicked with, nil when it returned.
// The panic is re-raised after the refund whatever rule says. rule runs on
// the request's goroutine. At most one of RefundOnServerError and
// RefundWhen; see RefundOnServerError for how the refund is made.
func RefundWhen(rule func(status int, panicked any) bool) MiddlewareOption {
	return func(mc *middlewareConfig) {
		mc.refundRules++
		if rule == nil {
			mc.bad(&ValidationError{Field: "RefundWhen", Reason: "nil func"})
			return
		}
		mc.refundRule = rule
	}
}

// OnBillingError calls fn with every error the middleware does not turn
// into a decision about the user: the failures answered 429, 502 or 503,
// the checks let through by FailOpen, and what fails after the handler
// (refunds, MeterAfter's settling, and usage that could not be charged as
// an *UnpaidUsageError). Use it to log them; the JSON answer hides the
// details. fn runs on the request's goroutine and must not write
// to the response.
func OnBillingError(fn func(r *http.Request, err error)) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if fn == nil {
			mc.bad(&ValidationError{Field: "OnBillingError", Reason: "nil func"})
			return
		}
		mc.onError = fn
	}
}

// WriteErrorsWith replaces the writer of the middleware's refusals (by
// default a JSON MiddlewareError with Content-Type application/json and
// Cache-Control no-store). fn gets the status and the answer (e.Status ==
// status) and must write the whole response.
func WriteErrorsWith(fn func(w http.ResponseWriter, r *http.Request, status int, e *MiddlewareError)) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if fn == nil {
			mc.bad(&ValidationError{Field: "WriteErrorsWith", Reason: "nil func"})
			return
		}
		mc.writer = fn
	}
}

// CustomerFrom names the customer of each request for a platform client
// (NewAPIClient), as the upstream Hono middleware's resolver does: fn reads
// the request (your own session, an API key, a tenant header…) and returns
// the customer id. Every billing call the middleware makes for the
// request, and every call of the client the handler gets from
// ClientFromContext, acts for that customer.
//
// When fn fails (or returns an empty id) the handler is not called and no
// billing call is made. If the error is (or wraps) a *MiddlewareError, that
// is the answer: its Status (401 when not a 4xx or 5xx) and its body, Code
// and Message defaulting to unauthenticated and a generic sentence. Any
// other error is answered 401 unauthenticated; its text is not sent.
//
// A platform client needs CustomerFrom or CustomerID: Middleware refuses to
// build without one. A session client (NewClient) refuses both: the
// request's session names its customer. The handler reads the customer
// with CustomerIDFromContext.
//
// WithCustomerID, ForCustomer, CustomerID, CustomerFrom and
// CustomerIDFromContext each name a customer; which to use when:
// [Naming the customer].
//
// [Naming the customer]: https://pkg.go.dev/github.com/guapocado/guapocado-go#hdr-Naming_the_customer
func CustomerFrom(fn func(r *http.Request) (string, error)) MiddlewareOption {
	return func(mc *middlewareConfig) {
		mc.customerOpts++
		if fn == nil {
			mc.bad(&ValidationError{Field: "CustomerFrom", Reason: "nil func"})
			return
		}
		mc.customerFrom = fn
	}
}

// CustomerID bills every request to the customer id, on a platform client:
// CustomerFrom with a fixed answer, for a service that acts for one
// customer. It is the middleware's own setting: the client's
// WithCustomerID is not used for requests, and a call's ForCustomer
// overrides it for that call.
//
// WithCustomerID, ForCustomer, CustomerID, CustomerFrom and
// CustomerIDFromContext each name a customer; which to use when:
// [Naming the customer].
//
// [Naming the customer]: https://pkg.go.dev/github.com/guapocado/guapocado-go#hdr-Naming_the_customer
func CustomerID(id string) MiddlewareOption {
	return func(mc *middlewareConfig) {
		mc.customerOpts++
		if err := checkCustomerID(id); err != nil {
			mc.bad(err)
			return
		}
		mc.customerFrom = func(*http.Request) (string, error) { return id, nil }
	}
}

// Middleware returns net/http middleware that bills each incoming request
// to one customer: on a session client (NewClient) the customer of the
// request's Better Auth session (its cookies or bearer token, as
// ForRequest); on a platform client (NewAPIClient) the customer CustomerFrom
// or CustomerID names.
//
// For each request, before the handler: one Snapshot request checks the
// features of RequireFeature (when there are any), then one consume takes
// the units of ConsumeUsage (when set) and one consume per MeterAfter takes
// its reservation; if one of them is refused, the units already taken for
// the request are refunded. After the handler, MeterAfter settles (see
// there) and the refund rule may give the units back. The first answer names the customer; every later call for the
// request (the consume, a refund, MeterAfter's consume after the handler)
// and the client the handler gets from ClientFromContext act for exactly
// that customer, even if the session's active organization changes
// meanwhile. CustomerIDFromContext tells the handler which customer it is.
//
// When a check does not pass the handler is not called, and the middleware
// answers with a JSON MiddlewareError (Content-Type application/json,
// Cache-Control no-store; see WriteErrorsWith to replace it):
//
//	status  error                   when
//	401     unauthenticated         no session cookie or bearer token, or an invalid or expired one; CustomerFrom failed
//	401     no_active_organization  signed in, but no active organization or team (ErrNoCustomer)
//	402     insufficient_balance    the consume (or MeterAfter's reservation) exceeds the balance
//	403     not_entitled            the customer lacks a RequireFeature key
//	429     rate_limited            the billing server rate limits (ErrRateLimited); Retry-After set
//	502     billing_error           any other refusal: unknown meter, rejected Origin or API key, undecodable answer
//	503     billing_unavailable     the billing server failed or was unreachable (ErrServer, transport errors, timeouts)
//
// A session request with no Better Auth cookie and no bearer token is
// answered 401 without calling the billing server. A consume whose answer
// was lost (ErrOutcomeUnknown) is answered 503: the units may have been
// taken.
//
// Every method gets the same checks: no request reaches the handler
// without them. OPTIONS is checked like GET and never charged: the
// features are checked, and ConsumeUsage and MeterAfter become checks that
// the balance covers their amounts, but nothing is consumed, reserved or
// refunded (ReportUsage accepts and drops the reports). HEAD is charged as
// GET, since the handler does the same work, unless FreeHEAD makes it
// uncharged like OPTIONS.
//
// A CORS preflight (OPTIONS with Access-Control-Request-Method) carries no
// credentials, so the middleware answers it 401: put a CORS middleware in
// front that answers preflights itself and passes every other request on
// (see the package's Middleware examples). The middleware forwards the
// browser's session cookies, so a handler behind it is
// cookie-authenticated: protect state-changing routes from cross-site
// requests (Better Auth's cookies are SameSite=Lax, which stops cross-site
// POSTs but not requests from sibling subdomains).
//
// An invalid option (an empty key, an amount or reservation out of range, ConsumeUsage
// twice, a refund rule without ConsumeUsage or MeterAfter, CustomerFrom on a
// session client, a platform client without CustomerFrom or CustomerID) is
// reported as a *ValidationError when the middleware is built. A nil next
// handler means http.DefaultServeMux, as for http.Server.
func (b *Billing) Middleware(opts ...MiddlewareOption) (func(http.Handler) http.Handler, error) {
	mc := &middlewareConfig{settleLimit: 15 * time.Second}
	for _, o := range opts {
		if o == nil {
			return nil, &ValidationError{Field: "options", Reason: "nil MiddlewareOption"}
		}
		o(mc)
		if mc.badOption != nil {
			return nil, mc.badOption
		}
	}
	switch {
	case mc.consumes > 1:
		return nil, &ValidationError{Field: "options", Reason: "ConsumeUsage given more than once"}
	case mc.refundRules > 1:
		return nil, &ValidationError{Field: "options", Reason: "give one refund rule (RefundOnServerError or RefundWhen)"}
	case mc.refundRule != nil && mc.consumes == 0 && len(mc.after) == 0:
		return nil, &ValidationError{Field: "options", Reason: "a refund rule needs ConsumeUsage or MeterAfter"}
	case mc.customerOpts > 1:
		return nil, &ValidationError{Field: "options", Reason: "give one of CustomerFrom and CustomerID, once"}
	}
	platform := b.isPlatform()
	if platform && mc.customerFrom == nil {
		return nil, &ValidationError{Field: "options", Reason: "a platform client bills the customer that CustomerFrom or CustomerID names; give one"}
	}
	if !platform && mc.customerFrom != nil {
		return nil, &ValidationError{Field: "options", Reason: "a session client bills the request's session; CustomerFrom and CustomerID are for a platform client (NewAPIClient)"}
	}
	return func(next http.Handler) http.Handler {
		if next == nil {
			next = http.DefaultServeMux
		}
		return &middleware{b: b, mc: mc, next: next, platform: platform}
	}, nil
}

type middleware struct {
	b        *Billing
	mc       *middlewareConfig
	next     http.Handler
	platform bool
}

// requestValues is what the middleware hands to the handler.
type requestValues struct {
	client   *Billing
	customer string
	usage    *Usage
	meters   *reportedUsage // MeterAfter's reports; nil without MeterAfter
}

type requestValuesKey struct{}

// ClientFromContext returns the per-request client that Middleware put in
// the request's context, and whether there is one. Once the middleware has
// a billing answer for the request, the client acts for that answer's
// customer (CustomerIDFromContext): each of its calls that names a
// customer carries it, unless the call passes its own ForCustomer. On a
// platform client it acts for the customer CustomerFrom named. Before any
// answer on a session client (no option, or checks let through by
// FailOpen, or an uncharged request without checks) it is the session's
// ForRequest copy.
func ClientFromContext(ctx context.Context) (*Billing, bool) {
	v, ok := ctx.Value(requestValuesKey{}).(*requestValues)
	if !ok {
		return nil, false
	}
	return v.client, true
}

// CustomerIDFromContext returns the customer the Middleware bills for the
// request (named by its first billing answer on a session client, or by
// CustomerFrom or CustomerID on a platform client), and whether there is
// one. The handler's client (ClientFromContext) acts for it unless a call
// passes ForCustomer.
//
// WithCustomerID, ForCustomer, CustomerID, CustomerFrom and
// CustomerIDFromContext each name a customer; which to use when:
// [Naming the customer].
//
// [Naming the customer]: https://pkg.go.dev/github.com/guapocado/guapocado-go#hdr-Naming_the_customer
func CustomerIDFromContext(ctx context.Context) (string, bool) {
	v, ok := ctx.Value(requestValuesKey{}).(*requestValues)
	if !ok || v.customer == "" {
		return "", false
	}
	return v.customer, true
}

// UsageFromContext returns the balance after the consume that Middleware
// made for the request (ConsumeUsage), and whether there is one.
func UsageFromContext(ctx context.Context) (*Usage, bool) {
	v, ok := ctx.Value(requestValuesKey{}).(*requestValues)
	if !ok || v.usage == nil {
		return nil, false
	}
	return v.usage, true
}

var jsonFalsePtr = Ptr(false)

// charges reports whether a request with this method is charged:
// OPTIONS never, HEAD unless FreeHEAD.
func (m *middleware) charges(method string) bool {
	switch method {
	case http.MethodOptions:
		return false
	case http.MethodHead:
		return !m.mc.freeHead
	}
	return true
}

func (m *middleware) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	mc := m.mc
	vals := &requestValues{}
	charge := m.charges(r.Method)
	gc := m.b.forRequest(r)

	// The checks of the one snapshot: features and, on an uncharged
	// request, the balances that the consume and the reservations would
	// have needed.
	var usageKeys []string
	if !charge {
		for _, a := range mc.after {
			usageKeys = append(usageKeys, a.key)
		}
		if mc.meter != "" && !slices.Contains(usageKeys, mc.meter) {
			usageKeys = append(usageKeys, mc.meter)
		}
	}
	snapshot := len(mc.features) > 0 || len(usageKeys) > 0
	billed := snapshot || (charge && (mc.meter != "" || len(mc.after) > 0))

	if m.platform {
		id, err := mc.customerFrom(r)
		if err == nil && checkCustomerID(id) != nil {
			err = errors.New("no customer")
		}
		if err != nil {
			m.refuseCustomer(w, r, err)
			return
		}
		gc = gc.boundTo(id)
		vals.customer = id
	} else if billed && gc.sess.staticCookie == "" && gc.sess.bearerToken() == "" {
		m.write(w, r, http.StatusUnauthorized, &MiddlewareError{Code: CodeUnauthenticated, Message: msgUnauthenticated})
		return
	}
	ctx := r.Context()

	// 1. Every check, in one request.
	if snapshot {
		features := make([]string, len(mc.features))
		for i, f := range mc.features {
			features[i] = f.key
		}
		snap, err := m.checkSnapshot(ctx, gc, vals.customer, features, usageKeys)
		key := ""
		if len(features) == 1 && len(usageKeys) == 0 {
			key = features[0]
		}
		switch {
		case err != nil && m.failsOpen(r, err):
			m.report(r, fmt.Errorf("guapocado: Middleware: feature checks let through (FailOpen): %w", err))
		case err != nil:
			m.fail(w, r, err, key, 0)
			return
		case snap.CustomerID == "":
			m.fail(w, r, errors.New("guapocado: Middleware: the snapshot names no customer"), key, 0)
			return
		default:
			if vals.customer == "" {
				gc = gc.boundTo(snap.CustomerID)
			}
			vals.customer = snap.CustomerID
			for _, f := range features {
				if !snap.Features[f] {
					m.write(w, r, http.StatusForbidden, &MiddlewareError{Code: CodeNotEntitled, Key: f,
						Message: "Your plan does not include " + f + "."})
					return
				}
			}
			for _, k := range usageKeys {
				u, ok := snap.Usage[k]
				if !ok {
					m.fail(w, r, fmt.Errorf("guapocado: Middleware: the snapshot has no balance of %s (unknown meter?)", k), k, 0)
					return
				}
				need := int64(0)
				for _, a := range mc.after {
					if a.key == k {
						need = a.reserve
					}
				}
				if k == mc.meter {
					need = max(need, mc.amount)
				}
				if u.Balance < need && !(u.OverageAllowed && u.OverageEnabled) {
					m.write(w, r, http.StatusPaymentRequired, &MiddlewareError{Code: CodeInsufficientBalance, Key: k, Amount: need,
						Message: "Not enough " + k + " left for this request."})
					return
				}
			}
		}
	}

	// 2. The consume and the reservations, for the customer the first
	// answer named; when one is refused, those taken are given back.
	var reserved []int64
	if charge {
		var ok bool
		if gc, reserved, ok = m.take(w, r, gc, vals); !ok {
			return
		}
	}
	vals.client = gc
	if len(mc.after) > 0 {
		vals.meters = newReportedUsage(mc.after, reserved)
	}
	r = r.WithContext(context.WithValue(ctx, requestValuesKey{}, vals))
	if mc.refundRule == nil && vals.meters == nil {
		m.next.ServeHTTP(w, r)
		return
	}

	// 3. The handler, watched: its status, its panic.
	sw := &statusWriter{ResponseWriter: w}
	defer func() {
		p := recover()
		status := sw.status
		if p == nil && status == 0 {
			status = http.StatusOK // what net/http sends for a handler that wrote nothing
		}
		m.settle(r, gc, vals, status, p)
		if p != nil {
			panic(p)
		}
	}()
	m.next.ServeHTTP(sw, r)
}

// failsOpen reports whether a failed snapshot lets the request through.
func (m *middleware) failsOpen(r *http.Request, err error) bool {
	mc := m.mc
	if len(mc.features) == 0 || len(mc.after) > 0 || r.Context().Err() != nil {
		return false
	}
	for _, f := range mc.features {
		if !f.failOpen {
			return false
		}
	}
	status, _ := middlewareAnswer(err, "", 0)
	return status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable
}

// refuseCustomer answers a failed CustomerFrom.
func (m *middleware) refuseCustomer(w http.ResponseWriter, r *http.Request, err error) {
	var me *MiddlewareError
	if !errors.As(err, &me) {
		m.write(w, r, http.StatusUnauthorized, &MiddlewareError{Code: CodeUnauthenticated, Message: msgNoCustomer})
		return
	}
	body := *me
	status := body.Status
	if status < 400 || status > 599 {
		status = http.StatusUnauthorized
	}
	if body.Code == "" {
		body.Code = CodeUnauthenticated
	}
	if body.Message == "" {
		body.Message = msgNoCustomer
	}
	m.write(w, r, status, &body)
}

// report hands an error to OnBillingError, else to a logger.
func (m *middleware) report(r *http.Request, err error) {
	if m.mc.onError != nil {
		m.mc.onError(r, err)
		return
	}
	var l callLogger = slog.Default()
	if m.b.cfg.logger != nil {
		l = m.b.cfg.logger
	}
	l.ErrorContext(r.Context(), "guapocado: Middleware: billing error", "method", r.Method, "path", r.URL.Path, "error", err.Error())
}

// write sends a refusal.
func (m *middleware) write(w http.ResponseWriter, r *http.Request, status int, body *MiddlewareError) {
	body.Status = status
	if m.mc.writer != nil {
		m.mc.writer(w, r, status, body)
		return
	}
	writeMiddlewareError(w, status, body)
}

const msgNoCustomer = "This request does not name a customer to bill."

const msgUnauthenticated = "You are not signed in, or your session has expired."

// fail answers a failed billing call.
func (m *middleware) fail(w http.ResponseWriter, r *http.Request, err error, key string, amount int64) {
	status, body := middlewareAnswer(err, key, amount)
	if status >= 429 && m.mc.onError != nil && r.Context().Err() == nil { // not when the caller went away
		m.mc.onError(r, err)
	}
	m.write(w, r, status, body)
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

// Hijack hands the connection over to the handler (directly or through
// http.ResponseController). A hijacked response counts as served: its
// status is 101 Switching Protocols for the refund rule, so a panic after
// it is not refunded.
func (w *statusWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	conn, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil && w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return conn, rw, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
