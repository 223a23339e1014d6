package guapocado

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-retryablehttp"
)

// callState follows one SDK call through its attempts. The retry policy reads
// it; the attempt transport writes it. It is also the call's context (the
// caller's, plus itself under callStateKey) and holds the call's request, so
// that one allocation carries most of what a call needs.
type callState struct {
	context.Context
	write bool        // not idempotent: retried only where provably never handled
	keyed bool        // a platform write with an idempotency key: retried like a read
	wrote atomic.Bool // the current attempt wrote request headers
	// mayApplied: an earlier or the current attempt of a write may have
	// been applied (sent with its answer lost, or answered 5xx). It stays
	// set: the call ends ErrOutcomeUnknown unless a later attempt gets a
	// definite answer.
	mayApplied atomic.Bool
	redirect   string       // the Location of a write's 3xx answer, which is not followed
	attempts   atomic.Int32 // round trips started
	finished   atomic.Int32 // round trips returned
	method     string
	status     int    // the final answer's status (0 before one)
	basePath   string // the Better Auth base path, e.g. "/api/auth"
	rel        string // the endpoint's path under basePath

	req   retryablehttp.Request // the first attempt's request; go-retryablehttp copies it for each retry
	url   url.URL
	body  []byte
	reads atomic.Int32 // calls of requestBody
	rd    bytes.Reader
	limit io.LimitedReader
	trace httptrace.ClientTrace // writes: WroteHeaders sets wrote; default transport: GotConn begins the header wait
	// traced: the call state itself gives trace to net/http (Value, under
	// httptrace's key), without a context of its own.
	traced bool
	// waitOn is the header wait the current attempt began on its
	// connection (gotConn), ended when its round trip returns; nil before,
	// attemptEnded after.
	waitOn atomic.Pointer[headerWait]
	resp   timedBody // the current attempt's response body, bounded in time (timedBody)

	// For the retry's log record (WithLogger only): the last attempt's
	// status (0 after a connection error) and when it returned.
	lastStatus int
	lastDone   time.Time
}

type callStateKey struct{}

// Value returns the call state itself for callStateKey, its trace for
// httptrace's key when traced, the caller's context's values otherwise.
func (st *callState) Value(key any) any {
	if _, ok := key.(callStateKey); ok {
		return st
	}
	if st.traced && key == clientTraceKey {
		return &st.trace
	}
	return st.Context.Value(key)
}

// clientTraceKey is the context key under which net/http/httptrace keeps a
// request's ClientTrace (nil if httptrace were ever to look it up some
// other way): with it the call state carries a write's trace itself, one
// context fewer per call than httptrace.WithClientTrace.
var clientTraceKey = func() any {
	var p keyProbe
	httptrace.ContextClientTrace(&p)
	return p.key
}()

// keyProbe is a context that records the key it is asked for.
type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	if p.key == nil {
		p.key = key
	}
	return nil
}

// traceAttempts makes st the request context that carries its trace:
// itself, or, when the caller's context already carries a trace, a context
// composing the two. With writes, the trace's WroteHeaders sets the wrote
// mark; with headers (the SDK's default transport), its GotConn begins the
// attempt's wait for its answer's headers (headerWait).
func (st *callState) traceAttempts(writes, headers bool) context.Context {
	if writes {
		st.trace.WroteHeaders = st.wroteHeaders
	}
	if headers {
		st.trace.GotConn = st.gotConn
	}
	if clientTraceKey == nil || httptrace.ContextClientTrace(st.Context) != nil {
		return httptrace.WithClientTrace(st, &st.trace)
	}
	st.traced = true
	return st
}

func stateFrom(ctx context.Context) *callState {
	st, _ := ctx.Value(callStateKey{}).(*callState)
	return st
}

// path is the endpoint path under the host, for errors and logs.
func (st *callState) path() string { return st.basePath + st.rel }

func (st *callState) wroteHeaders() { st.wrote.Store(true) }

// gotConn begins the current attempt's wait for its answer's headers on
// the connection it got, if that is one of the default transport's.
func (st *callState) gotConn(info httptrace.GotConnInfo) {
	w := connWait(info.Conn)
	if w == nil {
		return
	}
	w.begin()
	if !st.waitOn.CompareAndSwap(nil, w) {
		w.end() // the attempt already returned, or another connection is counted
	}
}

// endWait ends the attempt's wait for its answer's headers (its round trip
// returned).
func (st *callState) endWait() {
	if w := st.waitOn.Swap(attemptEnded); w != nil && w != attemptEnded {
		w.end()
	}
}

// errNoRewind stops net/http from sending a write's body again by itself
// (an HTTP/2 stream reset makes it rewind through GetBody, below the SDK's
// accounting): once an attempt wrote its request, only the retry policy
// may send it again.
var errNoRewind = errors.New("guapocado: the request was sent; a write is not re-sent below the retry policy")

// rewind is a write's GetBody: a fresh body while the attempt has written
// nothing, else errNoRewind.
func (st *callState) rewind() (io.ReadCloser, error) {
	if st.wrote.Load() {
		return nil, errNoRewind
	}
	return io.NopCloser(bytes.NewReader(st.body)), nil
}

// requestBody is the body of one attempt (and, for reads, of net/http's own
// rewinds through GetBody). The first attempt gets the call's own reader;
// later ones get a fresh reader, because the writer of an earlier attempt
// may still be reading the previous one.
func (st *callState) requestBody() io.ReadCloser {
	if st.reads.Add(1) == 1 {
		st.rd.Reset(st.body)
		return io.NopCloser(&st.rd)
	}
	return io.NopCloser(bytes.NewReader(st.body))
}

// getBody is a read's GetBody: net/http may rewind it at will.
func (st *callState) getBody() (io.ReadCloser, error) { return st.requestBody(), nil }

// attemptTransport sits under the http.Client: it counts attempts, records
// for non-idempotent writes whether any byte of the request may have been
// sent, and logs each attempt.
//
// The retries of a non-idempotent write go through freshBase, where there
// is one: each on a connection dialed for it, never on an idle one the
// server may be closing (see freshConnections).
type attemptTransport struct {
	next http.RoundTripper
	cfg  *config
	gate *dialGate // nil unless next is the SDK's default transport

	freshBase http.RoundTripper // nil: retried writes go through next too
	freshOnce sync.Once
	fresh     http.RoundTripper // freshBase under the user's wrappers, made at the first retried write
}

// transportFor returns the transport an attempt goes through.
func (t *attemptTransport) transportFor(st *callState) http.RoundTripper {
	if st == nil || !st.write || t.freshBase == nil || st.attempts.Load() < 2 {
		return t.next
	}
	t.freshOnce.Do(func() { t.fresh = t.cfg.wrapTransport(t.freshBase) })
	return t.fresh
}

func (t *attemptTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	st := stateFrom(req.Context())
	if st != nil {
		st.attempts.Add(1)
		st.waitOn.Store(nil)
		if st.write || st.keyed {
			if browserBuild {
				// fetch gives no view of the wire: assume the request was sent.
				st.wrote.Store(true)
			} else {
				// The call's context carries a trace whose WroteHeaders
				// sets the mark again (see Client.do).
				st.wrote.Store(false)
			}
		}
	}
	var start time.Time
	if t.cfg.logger != nil {
		start = time.Now()
	}
	resp, err := t.transportFor(st).RoundTrip(req)
	if st != nil {
		st.endWait()
		if st.write || st.keyed {
			if (err != nil && st.wrote.Load()) || (err == nil && resp.StatusCode >= 500) {
				st.mayApplied.Store(true)
			}
			if err == nil && resp.StatusCode >= 300 && resp.StatusCode < 400 {
				// A write never follows a redirect: without its Location the
				// http.Client hands the answer back (statusError names it).
				st.redirect = resp.Header.Get("Location")
				resp.Header.Del("Location")
			}
		}
		if err == nil {
			st.resp.start(t.cfg, st, resp.Body)
			resp.Body = &st.resp
		}
		st.finished.Add(1)
		if t.gate != nil {
			t.gate.attemptDone()
		}
	}
	if l := t.cfg.logger; l != nil && st != nil {
		st.lastStatus, st.lastDone = 0, time.Now()
		if err == nil {
			st.lastStatus = resp.StatusCode
		}
		attrs := []any{"method", st.method, "path", st.path(), "attempt", int(st.attempts.Load()), "elapsed", time.Since(start)}
		if err != nil {
			l.DebugContext(st.Context, "guapocado: attempt failed", append(attrs, "error", transportMessage(err))...)
		} else {
			l.DebugContext(st.Context, "guapocado: attempt", append(attrs, "status", resp.StatusCode)...)
		}
	}
	return resp, err
}

// newRetryClient builds the one attempt loop: go-retryablehttp's Client over
// hc (whose transport is the attemptTransport). The SDK's policy plugs into
// it in one place each:
//
//   - RetryMax bounds the attempts (cfg.retryMax retries after the first);
//   - CheckRetry (cfg.checkRetry) only decides whether an attempt is retried;
//   - Backoff (cfg.retryWait) says how long to wait before the retry: equal
//     jitter, or the server's Retry-After / X-Retry-After;
//   - PrepareRetry (prepareRetry) gives the retry its body afresh and logs it.
//
// The loop drains and closes a retried answer, waits under the request's
// context, and hands back the last answer or error (PassthroughErrorHandler).
func newRetryClient(cfg *config, hc *http.Client) *retryablehttp.Client {
	return &retryablehttp.Client{
		HTTPClient:   hc,
		RetryMax:     cfg.retryMax,
		RetryWaitMin: cfg.retryWaitMin,
		RetryWaitMax: cfg.retryWaitMax,
		CheckRetry:   cfg.checkRetry,
		Backoff:      cfg.retryWait,
		PrepareRetry: cfg.prepareRetry,
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
}

// prepareRetry readies the request of a retry (a shallow copy of the last
// one, made by go-retryablehttp): a fresh body, and the retry's log record.
func (cfg *config) prepareRetry(req *http.Request) error {
	st := stateFrom(req.Context())
	if st == nil {
		return nil
	}
	if st.body != nil {
		req.Body = st.requestBody()
	}
	if l := cfg.logger; l != nil {
		attrs := []any{"method", st.method, "path", st.path(), "attempt", int(st.attempts.Load()) + 1}
		if st.lastStatus != 0 {
			attrs = append(attrs, "after_status", st.lastStatus)
		}
		l.DebugContext(st.Context, "guapocado: retrying", append(attrs, "waited", time.Since(st.lastDone))...)
	}
	return nil
}

// checkRetry decides whether an attempt is retried; it never waits (the
// wait is retryWait's, the bound on attempts is RetryMax's). Reads and
// idempotent sets retry on connection errors, 429 and 500/502/503/504.
// Non-idempotent writes (consume, refund, checkout) retry only where the
// request provably never reached a handler: a connection error before any
// of the request was written, or a 429 carrying X-Retry-After (Better
// Auth's limiter answers before any handler runs). A platform client's
// consume and refund carry an idempotency key and are classed as reads,
// except that 429 "Insufficient balance" is final. A retry whose wait
// cannot end before the context's deadline is not made: the call reports
// the answer it has.
func (cfg *config) checkRetry(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	st := stateFrom(ctx)
	if st == nil {
		return false, nil
	}
	if err != nil {
		if st.write && st.wrote.Load() {
			return false, nil // sent, answer lost: the caller must check
		}
		if !transientError(err) {
			return false, nil
		}
	} else {
		switch resp.StatusCode {
		case http.StatusTooManyRequests:
			if st.write && resp.Header.Get("X-Retry-After") == "" {
				return false, nil // insufficient balance, or a limit past a handler
			}
			if !st.write && insufficientBalance(resp) {
				return false, nil // a keyed platform consume: final
			}
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			if st.write {
				return false, nil
			}
		default:
			return false, nil
		}
	}
	soonest, ok := cfg.soonestWait(int(st.attempts.Load()), resp)
	if !ok {
		return false, nil // the server asks for longer than we may wait: report it instead
	}
	if d, ok := ctx.Deadline(); ok && time.Until(d) < soonest {
		return false, nil
	}
	return true, nil
}

// soonestWait is the shortest wait retryWait can give before the retry
// that follows attempt n (1 for the first) and its answer resp (nil after
// a connection error): the server's Retry-After, else the lower end of the
// jittered step. ok is false when the server's wait is past the maximum.
func (cfg *config) soonestWait(n int, resp *http.Response) (time.Duration, bool) {
	if resp != nil {
		if ra, ok := retryAfter(resp.Header, cfg.now()); ok && ra > 0 {
			return ra, ra <= cfg.retryWaitMax
		}
	}
	step := cfg.backoffStep(n)
	if step <= 1 {
		return step, true
	}
	return step / 2, true
}

// retryWait is go-retryablehttp's Backoff: the wait before the retry that
// follows attempt i+1. The server's Retry-After or X-Retry-After (checkRetry
// refused the retry if it is past the maximum) or, without one, the jittered
// exponential backoff. In the SDK's own tests sleepFn records the wait
// instead, and the loop then waits zero.
func (cfg *config) retryWait(_, _ time.Duration, i int, resp *http.Response) time.Duration {
	wait := time.Duration(-1)
	if resp != nil {
		if ra, ok := retryAfter(resp.Header, cfg.now()); ok && ra > 0 {
			wait = min(ra, cfg.retryWaitMax)
		}
	}
	if wait < 0 {
		wait = cfg.backoff(i + 1)
	}
	if cfg.sleepFn != nil {
		ctx := context.Background()
		if resp != nil && resp.Request != nil {
			ctx = resp.Request.Context()
		}
		_ = cfg.sleepFn(ctx, wait)
		return 0
	}
	return wait
}

// backoffStep is the backoff step before the retry that follows attempt n:
// exponential from retryWaitMin, capped at retryWaitMax.
func (cfg *config) backoffStep(n int) time.Duration {
	step := cfg.retryWaitMin
	for i := 1; i < n && step < cfg.retryWaitMax; i++ {
		step *= 2
	}
	return min(step, cfg.retryWaitMax)
}

// backoff is the jittered wait before the retry that follows attempt n:
// "equal jitter", half the step fixed, half random.
func (cfg *config) backoff(attempt int) time.Duration {
	step := cfg.backoffStep(attempt)
	if step <= 1 {
		return step
	}
	half := step / 2
	return half + rand.N(step-half)
}

func (cfg *config) now() time.Time {
	if cfg.nowFn != nil {
		return cfg.nowFn()
	}
	return time.Now()
}

// maxRetryAfter caps the wait read from X-Retry-After or Retry-After, in
// either form (seconds or an HTTP date): a server naming a wait of years
// gets one year, and the call reports that rather than overflowing.
const maxRetryAfter = 365 * 24 * time.Hour

// retryAfter reads X-Retry-After (Better Auth) or Retry-After, each either
// delay-seconds or an HTTP date, capped at maxRetryAfter.
func retryAfter(h http.Header, now time.Time) (time.Duration, bool) {
	for _, name := range [...]string{"X-Retry-After", "Retry-After"} {
		v := strings.TrimSpace(h.Get(name))
		if v == "" {
			continue
		}
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			if n < 0 {
				continue
			}
			if n > int64(maxRetryAfter/time.Second) {
				n = int64(maxRetryAfter / time.Second)
			}
			return time.Duration(n) * time.Second, true
		}
		if t, err := http.ParseTime(v); err == nil {
			d := t.Sub(now)
			if d < 0 {
				d = 0
			}
			return min(d, maxRetryAfter), true
		}
	}
	return 0, false
}

// insufficientBalance reports whether a 429 is the ledger's "Insufficient
// balance" rather than a rate limit. It reads a little of the body and puts
// it back.
func insufficientBalance(resp *http.Response) bool {
	if resp == nil || resp.Body == nil {
		return false
	}
	head := make([]byte, 512)
	n, _ := io.ReadFull(resp.Body, head)
	head = head[:n]
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(head), resp.Body), resp.Body}
	var ae apiError
	if json.Unmarshal(head, &ae) != nil {
		return false
	}
	return ae.Error == "Insufficient balance" || ae.Message == "Insufficient balance"
}

// definite reports whether a failed attempt's answer settles a write: a 4xx
// says the request was refused, except a rate limit (429 other than
// insufficient balance), which says nothing of an earlier attempt.
func definite(e *Error) bool {
	if e.StatusCode < 400 || e.StatusCode >= 500 {
		return false
	}
	return e.StatusCode != http.StatusTooManyRequests || e.Message == "Insufficient balance"
}

// errTooManyRedirects ends a redirect loop of a read (CheckRedirect).
var errTooManyRedirects = errors.New("stopped after 10 redirects")

// transientError reports whether a failed round trip (no answer) may
// succeed when sent again: not a redirect loop, a request net/http refused
// to send (a bad header or scheme), a certificate the client does not
// trust, or a sent write that must not be re-sent below the retry policy.
func transientError(err error) bool {
	var hostErr x509.HostnameError
	var authErr x509.UnknownAuthorityError
	var certErr x509.CertificateInvalidError
	var verifyErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, errTooManyRedirects), errors.Is(err, errNoRewind),
		errors.As(err, &hostErr), errors.As(err, &authErr), errors.As(err, &certErr), errors.As(err, &verifyErr):
		return false
	}
	msg := err.Error()
	return !strings.Contains(msg, "unsupported protocol scheme") && !strings.Contains(msg, "invalid header")
}

// timedBody is an attempt's response body whose reading fails once a read
// returns past its deadline: a server dripping its answer cannot hold a
// call without a deadline for ever (DefaultBodyReadTimeout). The attempts
// of a call are sequential (a retried answer is drained and closed before
// the next attempt), so the call state holds one.
type timedBody struct {
	body     io.ReadCloser
	deadline time.Duration // on monoClock; zero: the call's context bounds the read
}

// monoClock is the origin of timedBody's deadlines: time.Since of it reads
// the monotonic clock only, at half the cost of time.Now.
var monoClock = time.Now()

// errBodyReadTimeout ends a body read past DefaultBodyReadTimeout. It
// matches context.DeadlineExceeded and is a net.Error timeout.
var errBodyReadTimeout error = bodyReadTimeout{}

type bodyReadTimeout struct{}

func (bodyReadTimeout) Error() string {
	return "response body not read within DefaultBodyReadTimeout (the call had no deadline)"
}
func (bodyReadTimeout) Is(target error) bool { return target == context.DeadlineExceeded }
func (bodyReadTimeout) Timeout() bool        { return true }
func (bodyReadTimeout) Temporary() bool      { return false }

// start bounds the reading of body, an attempt's answer that just came.
func (b *timedBody) start(cfg *config, st *callState, body io.ReadCloser) {
	b.body, b.deadline = body, 0
	if _, ok := st.Deadline(); !ok && cfg.bodyRead > 0 {
		b.deadline = time.Since(monoClock) + cfg.bodyRead
	}
}

func (b *timedBody) Read(p []byte) (int, error) {
	n, err := b.body.Read(p)
	if err == nil && b.deadline != 0 && time.Since(monoClock) > b.deadline {
		err = errBodyReadTimeout
	}
	return n, err
}

func (b *timedBody) Close() error { return b.body.Close() }
