package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/go-retryablehttp"
)

// core is what a client's services share: the configuration, the HTTP
// stack, the session (empty on a platform client) and the mode that turns
// actions into requests. A per-request copy (ForRequest) shares all of it
// but the session.
type core struct {
	cfg   *config
	mode  mode
	rc    *retryablehttp.Client // the attempt loop (retry.go)
	base  http.RoundTripper     // the transport under the SDK's wrapper, for CloseIdleConnections
	parts *requestParts         // parsed endpoint URLs and constant header values, shared with ForRequest copies
	gate  *dialGate             // the default transport's dial gate (dialgate.go); nil with WithHTTPClient
	sess  *session
}

// newCore builds the HTTP stack: go-retryablehttp's attempt loop (retry.go) over an http.Client (with
// the SDK's redirect policy) over the attempt transport over the user's or
// the default transport.
func newCore(cfg *config, m mode, sess *session) *core {
	c := &core{cfg: cfg, mode: m, sess: sess}
	var hc http.Client
	if cfg.httpClient != nil {
		hc = *cfg.httpClient
		hc.Jar = nil // the SDK manages cookies itself (NewClient took the jar)
	}
	base := hc.Transport
	var fresh http.RoundTripper
	if base == nil {
		if cfg.httpClient != nil {
			base = http.DefaultTransport
		} else {
			base, fresh, c.gate = newDefaultTransport(cfg.readIdle)
		}
	}
	if fresh == nil {
		fresh = freshConnections(base)
	}
	c.base = base
	// The user's wrappers (WithTransportWrapper) go under the attempt
	// transport: they see each attempt, over the transport the SDK tuned.
	hc.Transport = &attemptTransport{next: cfg.wrapTransport(withFetchCredentials(base, cfg.credentials)), freshBase: fresh, cfg: cfg, gate: c.gate}
	userRedirect := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// Never carry the session to another origin, and never send a
		// write again: its redirect is reported (statusError).
		if req.URL.Scheme != cfg.base.Scheme || req.URL.Host != cfg.base.Host {
			return http.ErrUseLastResponse
		}
		if st := stateFrom(req.Context()); st != nil && (st.write || st.keyed) {
			return http.ErrUseLastResponse
		}
		if userRedirect != nil {
			return userRedirect(req, via)
		}
		if len(via) >= 10 {
			return errTooManyRedirects
		}
		return nil
	}
	c.rc = newRetryClient(cfg, &hc)
	c.parts = newRequestParts(cfg)
	return c
}

// CloseIdleConnections closes the idle connections of the client's transport.
func (c *core) CloseIdleConnections() {
	if ci, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// call sends the action a with the arguments r and decodes its 2xx answer
// into out (when out is not nil): the mode renders the request, send runs
// it. Answers that omit the customer (the platform's) or the key get them
// from the call (see answerFiller).
func (c *core) call(ctx context.Context, a *action, r *callArgs, out any) error {
	if ctx == nil {
		return &ValidationError{Field: "ctx", Reason: "nil context"}
	}
	w, err := c.mode.render(a, r)
	if err != nil {
		return err
	}
	return c.exchange(ctx, a.name, &w, r.key, out)
}

// exchange sends the rendered call w (named name for observers) and decodes
// its 2xx answer into out (when out is not nil), under the client's
// timeout and observers (WithTimeout, WithCallObserver).
func (c *core) exchange(ctx context.Context, name string, w *wire, key string, out any) (err error) {
	if d := c.cfg.timeout; d > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, d)
		defer cancel()
	}
	st := &callState{write: w.write, keyed: w.keyed, method: w.method}
	if len(c.cfg.observers) > 0 {
		var end func(CallResult)
		ctx, end = c.observeStart(ctx, CallInfo{Action: name, Mode: c.modeName(), Method: w.method,
			Path: c.cfg.basePath + pathOnly(w.path), Write: w.write || w.keyed})
		if end != nil {
			defer func() {
				status := st.status
				var e *Error
				if errors.As(err, &e) && e.StatusCode != 0 {
					status = e.StatusCode
				}
				end(CallResult{Err: err, StatusCode: status, Attempts: int(st.attempts.Load())})
			}()
		}
	}
	if p, ok := out.(answerPreparer); ok {
		p.prepare()
	}
	err = c.send(ctx, st, w.path, w.body, out)
	if err != nil {
		if w.idemKey != "" {
			var e *Error
			if errors.As(err, &e) {
				e.IdempotencyKey = w.idemKey
			}
		}
		return err
	}
	if ch, ok := out.(answerChecker); ok {
		if err := ch.check(); err != nil {
			// A 2xx without what identifies the answer ({} or null): a
			// write's was applied with an unknown result.
			return &Error{Method: w.method, Path: c.cfg.basePath + pathOnly(w.path), StatusCode: 200,
				Message: "decoding the response: " + err.Error(), unexpected: true, outcomeUnknown: w.write || w.keyed}
		}
	}
	if f, ok := out.(answerFiller); ok {
		f.fill(w.customer, key)
	}
	return nil
}

// bodyOwner is an answer that keeps slices of the body it was decoded from
// (plans keep their raw JSON): send decodes it from a copy of the body that
// the answer then owns, one copy for the whole answer.
type bodyOwner interface{ ownsBody() }

// bodyDecoder is an answer that decodes its whole body itself (one pass
// over a large answer, plandecode.go); it gives encoding/json's result.
type bodyDecoder interface{ decodeBody(data []byte) error }

// answerFiller is an answer that names its customer or key where the server
// left them out.
type answerFiller interface{ fill(customerID, key string) }

// answerChecker is an answer that can tell a 2xx body lacking what
// identifies it ({} or null decode to a zero value without an error).
type answerChecker interface{ check() error }

// answerPreparer is an answer that marks, before decoding, a field every
// answer of its kind sets, so that check can tell it was not set.
type answerPreparer interface{ prepare() }

// unset marks a number an answer must set.
const unset = math.MinInt64

// pathOnly is path without its query.
func pathOnly(path string) string {
	if i := strings.IndexByte(path, '?'); i >= 0 {
		return path[:i]
	}
	return path
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// maxPooledBuffer is the largest response buffer kept for reuse.
const maxPooledBuffer = 1 << 20

// requestParts holds what every request of a client (and of its ForRequest
// copies) shares: the parsed endpoint URLs and the constant header values.
// Header value slices are shared between requests and never written to, as
// http.RoundTripper requires of the requests it is given.
type requestParts struct {
	urls      sync.Map     // path → *endpoint
	nbytes    atomic.Int64 // the cached paths' bytes
	userAgent []string
	origin    []string
}

// maxEndpointBytes bounds the parsed-URL cache in bytes (paths and their
// parsed copies). Session paths are a few constants; platform paths carry
// keys and ids, and stop being cached once the bound is reached; paths
// with a query (listings) are never cached.
const maxEndpointBytes = 64 << 10

// endpoint is the parsed URL of one path, copied into each call.
type endpoint struct {
	url  url.URL
	host string // the request's Host, as http.NewRequest sets it
}

var (
	acceptJSON      = []string{"application/json"}
	contentTypeJSON = []string{"application/json"}
)

func newRequestParts(cfg *config) *requestParts {
	return &requestParts{userAgent: []string{cfg.userAgent}, origin: []string{cfg.origin}}
}

// endpoint returns the parsed URL of apiBase+path, parsing it once.
func (w *requestParts) endpoint(cfg *config, method, path string) (*endpoint, error) {
	if e, ok := w.urls.Load(path); ok {
		return e.(*endpoint), nil
	}
	r, err := http.NewRequest(method, cfg.apiBase+path, nil)
	if err != nil {
		return nil, err
	}
	e := &endpoint{url: *r.URL, host: r.Host}
	if !strings.Contains(path, "?") && w.nbytes.Add(int64(3*len(path)+len(e.host)+128)) <= maxEndpointBytes {
		w.urls.Store(path, e)
	}
	return e, nil
}

// send runs one SDK call and decodes its 2xx answer into out (when out is
// not nil). It returns an *Error for every failure.
//
// One call costs few allocations: the call state is one object that is also
// the request's context and carries the request's URL, body reader and
// request; endpoint URLs are parsed once per client; header
// values and the Cookie header are built once and shared (see
// session.cookieValues). The benchmarks in bench_test.go hold this to the
// cost of a hand-written net/http call (README, "Performance").
func (c *core) send(ctx context.Context, st *callState, path string, in, out any) error {
	method := st.method
	if ctx == nil {
		return &ValidationError{Field: "ctx", Reason: "nil context"}
	}
	st.Context = ctx
	if g := c.gate; g != nil {
		g.begin()
		defer g.end()
	}
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &ValidationError{Field: "body", Reason: err.Error()}
		}
		st.body = b
	}
	st.basePath, st.rel = c.cfg.basePath, pathOnly(path) // errors and logs never show a query
	ep, err := c.parts.endpoint(c.cfg, method, path)
	if err != nil {
		return &Error{Method: method, Path: st.path(), Message: transportMessage(err), err: err}
	}
	st.url = ep.url
	var rctx context.Context = st
	if writes, headers := st.write || st.keyed, c.gate != nil; (writes || headers) && !browserBuild {
		// Records whether the current attempt wrote its request headers
		// (attemptTransport clears the mark before each attempt), and, on
		// the default transport, bounds its wait for the answer's headers.
		rctx = st.traceAttempts(writes, headers)
	}
	h := make(http.Header, 6+len(c.cfg.headers))
	hr := (&http.Request{
		Method:     method,
		URL:        &st.url,
		Proto:      "HTTP/1.1",
		ProtoMajor: 1,
		ProtoMinor: 1,
		Header:     h,
		Host:       ep.host,
	}).WithContext(rctx)
	st.req.Request = hr
	if st.body != nil {
		// The first attempt's body; prepareRetry gives each retry its own.
		hr.Body = st.requestBody()
		hr.ContentLength = int64(len(st.body))
		if st.write || st.keyed {
			hr.GetBody = st.rewind
		} else {
			hr.GetBody = st.getBody
		}
	}
	c.setHeaders(hr, st.body != nil)

	resp, err := c.rc.Do(&st.req)
	if err != nil {
		return c.transportError(ctx, st, err)
	}
	st.status = resp.StatusCode
	defer resp.Body.Close()

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= maxPooledBuffer {
			bufPool.Put(buf)
		}
	}()
	if n := resp.ContentLength; n > 0 && n <= c.cfg.maxBody {
		buf.Grow(int(n) + bytes.MinRead) // ReadFrom wants MinRead free bytes before its final read
	}
	st.limit = io.LimitedReader{R: resp.Body, N: c.cfg.maxBody + 1}
	n, rerr := buf.ReadFrom(&st.limit)
	c.sess.update(c.cfg, resp)
	recordServerTime(ctx, resp)
	data := buf.Bytes()
	if rerr == nil && n > c.cfg.maxBody {
		return &Error{Method: method, Path: st.path(), StatusCode: resp.StatusCode, Attempts: int(st.attempts.Load()),
			Message: "response body larger than the cap", unexpected: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.statusError(st, resp, data)
		if ctx.Err() != nil {
			e.err = ctx.Err()
		}
		// A write's 5xx may have been applied (the plugin answers 500 when it
		// lost the platform's answer after the platform applied the write),
		// and so may an earlier attempt's, unless this answer is definite.
		if (st.write || st.keyed) && (resp.StatusCode >= 500 || st.mayApplied.Load() && !definite(e)) {
			e.outcomeUnknown = true
		}
		return e
	}
	if rerr != nil {
		// A 2xx write whose answer was cut off was applied, and the SDK
		// cannot say with what result.
		return &Error{Method: method, Path: st.path(), StatusCode: resp.StatusCode, Attempts: int(st.attempts.Load()),
			Message: "reading the response: " + rerr.Error(), unexpected: true, err: rerr, outcomeUnknown: st.write || st.keyed}
	}
	if _, owns := out.(bodyOwner); owns {
		data = bytes.Clone(data) // the answer keeps slices of it; the buffer goes back to the pool
	}
	if out != nil {
		var err error
		if d, ok := out.(bodyDecoder); ok {
			err = d.decodeBody(data)
		} else {
			err = json.Unmarshal(data, out)
		}
		if err != nil {
			return &Error{Method: method, Path: st.path(), StatusCode: resp.StatusCode, Attempts: int(st.attempts.Load()),
				Message: "decoding the response: " + decodeMessage(err), Snippet: snippet(data), unexpected: true,
				outcomeUnknown: st.write || st.keyed}
		}
	}
	return nil
}

// setHeaders puts the session and content headers on a call's request.
func (c *core) setHeaders(r *http.Request, hasBody bool) {
	h := r.Header
	cfg := c.cfg
	for k, v := range cfg.headers {
		h[k] = v
	}
	h["User-Agent"] = c.parts.userAgent
	h["Accept"] = acceptJSON
	if hasBody {
		h["Content-Type"] = contentTypeJSON
	}
	if ck := c.sess.cookieValues(cfg); ck != nil {
		h["Cookie"] = ck
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h["Origin"] = c.parts.origin
		}
	}
	if auth := c.sess.authorization(); auth != nil {
		h["Authorization"] = auth
	}
}

// transportError turns a failed round trip (no response) into an *Error.
func (c *core) transportError(ctx context.Context, st *callState, err error) *Error {
	e := &Error{Method: st.method, Path: st.path(), Attempts: int(st.attempts.Load()), err: err}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		e.err = ctx.Err()
	}
	e.Message = transportMessage(err)
	if (st.write || st.keyed) && (st.wrote.Load() || st.mayApplied.Load()) {
		e.outcomeUnknown = true
	}
	return e
}

// apiError is the body of an error answer: Better Auth's {message, code}, or
// the platform's {error}.
type apiError struct {
	Message string `json:"message"`
	Code    string `json:"code"`
	Error   string `json:"error"`
}

func (c *core) statusError(st *callState, resp *http.Response, data []byte) *Error {
	e := &Error{
		Method:     st.method,
		Path:       st.path(),
		StatusCode: resp.StatusCode,
		RequestID:  resp.Header.Get("X-Request-Id"),
		Attempts:   int(st.attempts.Load()),
	}
	e.RetryAfter, _ = retryAfter(resp.Header, c.cfg.now())
	if len(bytes.TrimSpace(data)) > 0 {
		var ae apiError
		if json.Unmarshal(data, &ae) == nil {
			e.Message, e.Code = ae.Message, ae.Code
			if e.Message == "" {
				e.Message = ae.Error
			}
		} else {
			e.Snippet = snippet(data)
		}
	}
	if e.Message == "" {
		e.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		// A redirect the SDK did not follow: to another origin (credentials
		// stay), or of a write (never sent twice).
		loc := resp.Header.Get("Location")
		if loc == "" {
			loc = st.redirect
		}
		if u, err := url.Parse(loc); err == nil {
			u.RawQuery, u.Fragment, u.User = "", "", nil
			loc = u.String()
		}
		e.Message = "redirect to " + loc + " not followed (a write is never sent twice; credentials never leave the base URL's origin)"
		e.unexpected = true
	}
	secrets := credentials(st.req.Header)
	e.Message, e.Code, e.RequestID = serverText(e.Message, secrets), serverText(e.Code, secrets), serverText(e.RequestID, secrets)
	return e
}

// decodeMessage says what decoding expected, without echoing the body.
func decodeMessage(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return "expected " + te.Type.String() + " for " + te.Field + ", got JSON " + te.Value
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return "invalid JSON: " + se.Error()
	}
	return err.Error()
}
