package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/hashicorp/go-retryablehttp"
)

// initTransport builds the HTTP stack: retryablehttp over an http.Client
// (with the SDK's redirect policy) over the attempt transport over the
// user's or the default transport.
func (c *Client) initTransport() {
	cfg := c.cfg
	var hc http.Client
	if cfg.httpClient != nil {
		hc = *cfg.httpClient
		if cfg.jar == nil && hc.Jar != nil {
			cfg.jar = hc.Jar // the SDK manages cookies itself, with the user's jar
		}
		hc.Jar = nil
	}
	base := hc.Transport
	if base == nil {
		if cfg.httpClient != nil {
			base = http.DefaultTransport
		} else {
			base = defaultTransport()
		}
	}
	c.base = base
	hc.Transport = &attemptTransport{next: withFetchCredentials(base, cfg.credentials), cfg: cfg}
	userRedirect := hc.CheckRedirect
	hc.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		// Never carry the session to another origin.
		if req.URL.Scheme != cfg.base.Scheme || req.URL.Host != cfg.base.Host {
			return http.ErrUseLastResponse
		}
		if userRedirect != nil {
			return userRedirect(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	c.rc = newRetryClient(cfg, &hc)
}

// callConfig holds per-call options.
type callConfig struct {
	customerID string
	set        bool
	idemKey    string // WithIdempotencyKey (platform mode)
	idemSet    bool
}

// A CallOption changes one call.
type CallOption func(*callConfig)

// ForCustomer makes the call act for the customer id instead of the
// session's active customer (the body's customerId). The plugin does not
// check that the session may act for that customer: only offer it to
// trusted callers.
func ForCustomer(id string) CallOption {
	return func(cc *callConfig) { cc.customerID, cc.set = id, true }
}

// customerOf applies opts and returns the customer id for the body.
func customerOf(opts []CallOption) (string, error) {
	if len(opts) == 0 {
		return "", nil
	}
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	if cc.set && strings.TrimSpace(cc.customerID) == "" {
		return "", &ValidationError{Field: "customerId", Reason: "ForCustomer needs a non-empty id"}
	}
	if cc.idemSet {
		return "", &ValidationError{Field: "idempotencyKey", Reason: "the plugin drops idempotency keys; use a platform client (NewAPIClient)"}
	}
	return cc.customerID, nil
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// do sends one SDK call and decodes its 2xx answer into out (when out is not
// nil). write marks calls that are not idempotent. It returns an *Error for
// every failure.
func (c *Client) do(ctx context.Context, method, path string, write bool, in, out any) error {
	return c.send(ctx, &callState{write: write, method: method}, path, in, out)
}

// send is do for a prepared call state (a platform write with an
// idempotency key sets keyed).
func (c *Client) send(ctx context.Context, st *callState, path string, in, out any) error {
	method := st.method
	if ctx == nil {
		return &ValidationError{Field: "ctx", Reason: "nil context"}
	}
	var body any
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return &ValidationError{Field: "body", Reason: err.Error()}
		}
		body = b
	}
	if err := c.checkRoute(path); err != nil {
		return err
	}
	p := path
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i] // platform routes carry a query; errors and logs never show it
	}
	st.path = c.cfg.basePath + p
	req, err := retryablehttp.NewRequestWithContext(context.WithValue(ctx, callStateKey{}, st), method, c.cfg.apiBase+path, body)
	if err != nil {
		return &Error{Method: method, Path: st.path, Message: transportMessage(err), err: err}
	}
	c.setHeaders(req.Request, body != nil)

	resp, err := c.rc.Do(req)
	if err != nil {
		return c.transportError(ctx, st, err)
	}
	defer resp.Body.Close()

	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 64<<10 {
			bufPool.Put(buf)
		}
	}()
	n, rerr := buf.ReadFrom(io.LimitReader(resp.Body, c.cfg.maxBody+1))
	c.sess.update(c.cfg, resp)
	data := buf.Bytes()
	if rerr == nil && n > c.cfg.maxBody {
		return &Error{Method: method, Path: st.path, StatusCode: resp.StatusCode, Attempts: int(st.attempts.Load()),
			Message: "response body larger than the cap", unexpected: true}
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		e := c.statusError(st, resp, data)
		if ctx.Err() != nil {
			e.err = ctx.Err()
		}
		return e
	}
	if rerr != nil {
		return &Error{Method: method, Path: st.path, StatusCode: resp.StatusCode, Attempts: int(st.attempts.Load()),
			Message: "reading the response: " + rerr.Error(), unexpected: true, err: rerr}
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			return &Error{Method: method, Path: st.path, StatusCode: resp.StatusCode, Attempts: int(st.attempts.Load()),
				Message: "decoding the response: " + decodeMessage(err), Snippet: snippet(data), unexpected: true}
		}
	}
	return nil
}

// setHeaders puts the session and content headers on an attempt's request.
func (c *Client) setHeaders(r *http.Request, hasBody bool) {
	h := r.Header
	cfg := c.cfg
	for k, v := range cfg.headers {
		h[k] = v
	}
	h["User-Agent"] = []string{cfg.userAgent}
	h["Accept"] = []string{"application/json"}
	if hasBody {
		h["Content-Type"] = []string{"application/json"}
	}
	if ck := c.sess.cookieHeader(cfg); ck != "" {
		h["Cookie"] = []string{ck}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h["Origin"] = []string{cfg.origin}
		}
	}
	if tok := c.sess.bearerToken(); tok != "" {
		h["Authorization"] = []string{"Bearer " + tok}
	}
}

// cookieHeader is the Cookie header for the base URL, "" for none.
func (s *session) cookieHeader(cfg *config) string {
	if s.staticCookie != "" {
		return s.staticCookie
	}
	if s.jar == nil {
		return ""
	}
	cookies := s.jar.Cookies(cfg.base)
	switch len(cookies) {
	case 0:
		return ""
	case 1:
		return cookies[0].Name + "=" + cookies[0].Value
	}
	var b strings.Builder
	for i, ck := range cookies {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(ck.Name)
		b.WriteByte('=')
		b.WriteString(ck.Value)
	}
	return b.String()
}

// update keeps what the server says about the session: the newest
// set-auth-token for bearer sessions, and cookies for cookie sessions.
func (s *session) update(cfg *config, resp *http.Response) {
	if s.adoptBearer.Load() {
		if v := resp.Header.Get("Set-Auth-Token"); v != "" {
			s.bearer.Store(&v)
		}
	}
	if s.jar != nil && s.staticCookie == "" && len(resp.Header["Set-Cookie"]) > 0 {
		s.jar.SetCookies(cfg.base, resp.Cookies())
	}
}

// transportError turns a failed round trip (no response) into an *Error.
func (c *Client) transportError(ctx context.Context, st *callState, err error) *Error {
	e := &Error{Method: st.method, Path: st.path, Attempts: int(st.attempts.Load()), err: err}
	if ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		e.err = ctx.Err()
	}
	e.Message = transportMessage(err)
	if (st.write || st.keyed) && st.wrote.Load() {
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

func (c *Client) statusError(st *callState, resp *http.Response, data []byte) *Error {
	e := &Error{
		Method:     st.method,
		Path:       st.path,
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
