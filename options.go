package guapocado

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Version is the SDK's version: the release this code is, or the one it
// will be tagged as while CHANGELOG.md lists its changes as Unreleased
// (RELEASING.md). It is sent in the User-Agent (and, to the platform API,
// in Guapocado-SDK-Version).
const Version = "0.2.0"

// Defaults.
const (
	DefaultBasePath         = "/api/auth"
	DefaultCookiePrefix     = "better-auth"
	DefaultMaxResponseBytes = 4 << 20
	DefaultRetryMax         = 3
	DefaultRetryWaitMin     = 250 * time.Millisecond
	DefaultRetryWaitMax     = 15 * time.Second
	DefaultWebhookPath      = "/guap"
)

// DefaultReadIdleTimeout bounds each attempt on the default transport
// (native builds; fetch has its own): an attempt whose server sends nothing
// for this long after the request went out, while the SDK waits for the
// answer's headers or reads its body (a server gone silent, or one sending
// a byte now and then slower than this), fails with a transport error (at
// most 1/32 of the bound later: a busy connection does not reset its
// deadline on every read); a write then ends ErrOutcomeUnknown. WithTimeout
// bounds a whole call, retries included.
const DefaultReadIdleTimeout = 30 * time.Second

// DefaultBodyReadTimeout bounds the reading of each attempt's response
// body, from its headers to its last byte, when the call has no deadline
// (none on the caller's context and no WithTimeout): a server that sends its
// answer a byte now and then, each in time for DefaultReadIdleTimeout,
// cannot hold such a call for ever. The read fails with an error matching
// context.DeadlineExceeded once a read returns past the bound (on the
// default transport a read waits at most DefaultReadIdleTimeout for its
// bytes); a write whose 2xx answer was cut off this way ends
// ErrOutcomeUnknown. A call with a deadline is bounded by it instead.
const DefaultBodyReadTimeout = 60 * time.Second

// DefaultResponseHeaderTimeout bounds, on the default transport (no
// WithHTTPClient; native builds), the wait for a response's headers after
// the request was sent: a server that accepts a request and goes silent,
// or sends its headers a little at a time, fails the attempt after 30 s
// (at most 1/16 of that later) with an error saying "timeout awaiting
// response headers", even under a context with no deadline. A read is
// then retried (see WithRetry); a consume, refund or checkout is
// ErrOutcomeUnknown. The bound is kept by the transport's connections, not
// by a timer per request (the *http.Transport's ResponseHeaderTimeout is
// 0): over HTTP/2, whose streams share a connection, the connection fails
// when no stream got its headers for that long while some waited. It
// equals DefaultReadIdleTimeout. Give a context deadline to bound whole
// calls; with WithHTTPClient, set the Transport's ResponseHeaderTimeout or
// the client's Timeout yourself.
const DefaultResponseHeaderTimeout = DefaultReadIdleTimeout

// An Option configures a Client in NewClient. Options are checked there: an
// invalid one makes NewClient return an error.
type Option func(*config) error

// config is the immutable, shared part of a client: everything but the session.
type config struct {
	base         *url.URL // scheme + host (+ mount prefix)
	apiBase      string   // base + basePath, no trailing slash
	basePath     string
	origin       string
	originSet    bool
	userAgent    string
	headers      http.Header
	cookiePrefix string
	secure       bool // https base URL: __Secure- cookie names

	sessionToken string
	bearerToken  string
	jar          http.CookieJar
	httpClient   *http.Client
	credentials  string // browser fetch credentials mode
	insecureHTTP bool   // WithInsecureHTTP

	apiKey     string // platform mode (NewAPIClient) when not empty
	customerID string // platform mode: the default customer

	retryMax     int
	retryWaitMin time.Duration
	retryWaitMax time.Duration
	logger       callLogger // WithLogger; nil: silent
	maxBody      int64
	webhookPath  string

	timeout  time.Duration // WithTimeout: a whole call, retries included
	readIdle time.Duration // the default transport's bound on reads and on waits for headers (DefaultReadIdleTimeout, DefaultResponseHeaderTimeout)
	bodyRead time.Duration // an attempt's body read, in a call without a deadline (DefaultBodyReadTimeout)

	wrappers  []func(http.RoundTripper) http.RoundTripper // WithTransportWrapper (observe.go)
	observers []CallObserver                              // WithCallObserver (observe.go)

	// test hooks
	sleepFn func(context.Context, time.Duration) error
	nowFn   func() time.Time
}

// WithBasePath sets Better Auth's base path on the server (default "/api/auth").
func WithBasePath(p string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
			return fmt.Errorf("guapocado: WithBasePath: %q must be a path starting with /", p)
		}
		c.basePath = strings.TrimRight(p, "/")
		return nil
	}
}

// WithSessionToken authenticates with a Better Auth session token: the signed
// value "<token>.<signature>" that Better Auth puts in its session cookie (as
// sent in set-auth-token, or the cookie value itself, URL-encoded or not). The
// SDK sends it as the session cookie, named "<prefix>.session_token", with the
// "__Secure-" prefix when the base URL is https, and adds the Origin header
// Better Auth's CSRF check requires. Not available in the browser build, where
// cookies belong to the browser.
func WithSessionToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("guapocado: WithSessionToken: empty token")
		}
		if browserBuild {
			return errors.New("guapocado: WithSessionToken: cookies belong to the browser in a WebAssembly build; rely on the browser's session or use WithBearerToken")
		}
		if strings.Contains(token, "%") {
			if dec, err := url.QueryUnescape(token); err == nil {
				token = dec
			}
		}
		if !validToken(token) {
			return errors.New("guapocado: WithSessionToken: the token contains spaces or control characters (the token is not shown)")
		}
		c.sessionToken = token
		return nil
	}
}

// WithBearerToken authenticates with "Authorization: Bearer <token>" (Better
// Auth's bearer plugin). The SDK keeps the newest token the server sends in
// set-auth-token. A bearer request that carries no cookie needs no Origin.
func WithBearerToken(token string) Option {
	return func(c *config) error {
		if strings.TrimSpace(token) == "" {
			return errors.New("guapocado: WithBearerToken: empty token")
		}
		if !validToken(token) {
			return errors.New("guapocado: WithBearerToken: the token contains spaces or control characters (the token is not shown)")
		}
		c.bearerToken = token
		return nil
	}
}

// WithCookieJar uses jar for the session cookies: cookies in it for the base
// URL are sent, and cookies the server sets are stored in it.
func WithCookieJar(jar http.CookieJar) Option {
	return func(c *config) error {
		if jar == nil {
			return errors.New("guapocado: WithCookieJar: nil jar")
		}
		c.jar = jar
		return nil
	}
}

// WithHTTPClient sends requests through hc (its Transport and Timeout; the
// Timeout bounds each attempt). The SDK uses a copy with its own redirect
// policy and leaves hc's Jar alone: session cookies are managed by the SDK.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *config) error {
		if hc == nil {
			return errors.New("guapocado: WithHTTPClient: nil client")
		}
		c.httpClient = hc
		return nil
	}
}

// WithOrigin sets the Origin header sent with cookie-bearing POSTs (default:
// the base URL's origin). Use it when the server trusts another origin.
func WithOrigin(origin string) Option {
	return func(c *config) error {
		u, err := url.Parse(strings.TrimRight(origin, "/"))
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" || u.RawQuery != "" {
			return fmt.Errorf("guapocado: WithOrigin: %q is not an origin (scheme://host[:port])", origin)
		}
		c.origin = u.Scheme + "://" + u.Host
		c.originSet = true
		return nil
	}
}

// WithUserAgent sets the User-Agent header.
func WithUserAgent(ua string) Option {
	return func(c *config) error {
		if ua == "" {
			return errors.New("guapocado: WithUserAgent: empty user agent")
		}
		if !validHeaderValue(ua) {
			return errors.New("guapocado: WithUserAgent: the user agent contains control characters")
		}
		c.userAgent = ua
		return nil
	}
}

// WithHeader adds a header to every request. Session headers (Cookie,
// Authorization) have their own options and are refused here, and so are
// Idempotency-Key and X-Idempotency-Key: net/http resends a request that
// carries one when a kept-alive connection drops, which would repeat a
// consume through the plugin (which ignores the key); a platform client
// takes a key per call with WithIdempotencyKey. A value with control
// characters (other than tab) is refused; the value is never shown in the
// error.
func WithHeader(name, value string) Option {
	return func(c *config) error {
		k := http.CanonicalHeaderKey(strings.TrimSpace(name))
		if !validHeaderName(k) {
			return fmt.Errorf("guapocado: WithHeader: invalid header name %q", name)
		}
		switch k {
		case "Cookie", "Authorization", "Content-Length", "Host":
			return fmt.Errorf("guapocado: WithHeader: %s cannot be set this way", k)
		case "Idempotency-Key", "X-Idempotency-Key":
			if c.apiKey != "" {
				return fmt.Errorf("guapocado: WithHeader: %s would give every call the same key; pass a key per call with WithIdempotencyKey (consume and refund generate one otherwise)", k)
			}
			return fmt.Errorf("guapocado: WithHeader: %s is ignored by the plugin, and makes net/http resend a POST (a consume) when a kept-alive connection drops; a session client's writes cannot be made idempotent", k)
		}
		if !validHeaderValue(value) {
			return fmt.Errorf("guapocado: WithHeader: the value for %s contains control characters (the value is not shown)", k)
		}
		c.headers.Add(k, value)
		return nil
	}
}

// WithCookiePrefix sets the server's cookie prefix (Better Auth's
// advanced.cookiePrefix; default "better-auth").
func WithCookiePrefix(prefix string) Option {
	return func(c *config) error {
		if prefix == "" || strings.ContainsAny(prefix, "=; \t\r\n") {
			return fmt.Errorf("guapocado: WithCookiePrefix: invalid prefix %q", prefix)
		}
		c.cookiePrefix = prefix
		return nil
	}
}

// WithRetry sets the retry policy: at most max retries after the first
// attempt, with exponential backoff and equal jitter: the wait before retry
// n is drawn from [d/2, d), where d is minWait·2^(n-1) capped at maxWait
// (with the defaults, DefaultRetryWaitMin 250 ms, the first retry waits
// 125 ms to 250 ms).
// A Retry-After or X-Retry-After from the server is honoured when it is at
// most maxWait; a longer one ends the retries and is reported in
// Error.RetryAfter. WithRetry(0, 0, 0) disables retries.
func WithRetry(max int, minWait, maxWait time.Duration) Option {
	return func(c *config) error {
		if max < 0 || minWait < 0 || maxWait < minWait {
			return fmt.Errorf("guapocado: WithRetry: need max >= 0 and 0 <= minWait <= maxWait (got %d, %s, %s)", max, minWait, maxWait)
		}
		c.retryMax, c.retryWaitMin, c.retryWaitMax = max, minWait, maxWait
		return nil
	}
}

// WithLogger logs each attempt and retry decision to l (method, path,
// status, attempt, wait; never headers, bodies, cookies or tokens). The
// default is silent.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) error {
		c.logger = nil
		if l != nil {
			c.logger = l
		}
		return nil
	}
}

// callLogger is what the SDK calls on the logger of WithLogger. The config
// holds the *slog.Logger behind this interface, not as a field of its own
// type: a field of type *slog.Logger makes the linker keep slog's logging
// code (its handlers, formatting, the default logger's) in every program,
// because the config is reachable through the transport, an interface
// value, and *slog.Logger has methods an interface call elsewhere could
// reach. Behind the interface, only a program that calls WithLogger links
// it: about 33 KB gzipped of a browser build.
type callLogger interface {
	DebugContext(ctx context.Context, msg string, args ...any)
	ErrorContext(ctx context.Context, msg string, args ...any)
}

// WithMaxResponseBytes caps the size of a response body (default 4 MiB); a
// larger answer fails with ErrUnexpectedResponse.
func WithMaxResponseBytes(n int64) Option {
	return func(c *config) error {
		if n <= 0 {
			return fmt.Errorf("guapocado: WithMaxResponseBytes: %d is not positive", n)
		}
		c.maxBody = n
		return nil
	}
}

// WithWebhookPath sets the path of the plugin's webhook receiver under the
// base path (default "/guap"), for Webhook.Status.
func WithWebhookPath(p string) Option {
	return func(c *config) error {
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, "?#") {
			return fmt.Errorf("guapocado: WithWebhookPath: %q must be a path starting with /", p)
		}
		c.webhookPath = p
		return nil
	}
}

// WithInsecureHTTP allows a session over plain http to a non-loopback host;
// only for a private network you trust. Without it, NewClient refuses a
// session (WithSessionToken, WithBearerToken, WithCookieJar, or the Jar of
// WithHTTPClient's client) when the base URL is http:// and its host is not
// loopback (localhost, 127.0.0.0/8, ::1), and Auth.SignInEmail and
// Auth.SignUpEmail refuse to send a password there: anyone on the path could
// read the token or password and act as the user. A platform client refuses
// it (its key goes over https only, see WithAPIURL).
func WithInsecureHTTP() Option {
	return func(c *config) error {
		c.insecureHTTP = true
		return nil
	}
}

// plainRemote reports whether credentials to the base URL would cross a
// network in clear text: plain http to a non-loopback host, without
// WithInsecureHTTP.
func (cfg *config) plainRemote() bool {
	return cfg.base.Scheme == "http" && !loopback(cfg.base.Hostname()) && !cfg.insecureHTTP
}

// checkCleartext refuses a session client that would send its session token
// in clear text (see WithInsecureHTTP). A client with no credentials is
// accepted: it can only sign in, which refuses the same way.
func (cfg *config) checkCleartext() error {
	if !cfg.plainRemote() {
		return nil
	}
	var opt string
	switch {
	case cfg.sessionToken != "":
		opt = "WithSessionToken"
	case cfg.bearerToken != "":
		opt = "WithBearerToken"
	case cfg.jar != nil:
		opt = "WithCookieJar"
	case cfg.httpClient != nil && cfg.httpClient.Jar != nil:
		opt = "the Jar of WithHTTPClient's client"
	default:
		return nil
	}
	return fmt.Errorf("guapocado: NewClient: plain http to %s would send the session (%s) in clear text: use https, or WithInsecureHTTP on a private network you trust", cfg.base.Hostname(), opt)
}

// WithFetchCredentials sets the fetch credentials mode in the WebAssembly
// build: "" (the browser's default, same-origin), "include" (send the
// browser's cookies to an API on another origin; the server must allow it
// with CORS), "same-origin" or "omit". Native builds ignore it.
func WithFetchCredentials(mode string) Option {
	return func(c *config) error {
		switch mode {
		case "", "include", "same-origin", "omit":
			c.credentials = mode
			return nil
		}
		return fmt.Errorf("guapocado: WithFetchCredentials: unknown mode %q", mode)
	}
}

// validToken reports whether a session or bearer token can be sent: no
// spaces, no control characters (CR, LF and NUL would make every request
// fail).
func validToken(tok string) bool {
	for i := 0; i < len(tok); i++ {
		if b := tok[i]; b <= ' ' || b == 0x7f {
			return false
		}
	}
	return true
}

// validHeaderValue reports whether v is a valid HTTP header value: no
// control character but horizontal tab.
func validHeaderValue(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; (b < ' ' && b != '\t') || b == 0x7f {
			return false
		}
	}
	return true
}

// validHeaderName reports whether k is a non-empty HTTP token (RFC 9110).
func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for i := 0; i < len(k); i++ {
		b := k[i]
		switch {
		case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0:
		default:
			return false
		}
	}
	return true
}

// WithTimeout bounds every call of the client, its attempts and the waits
// between them together (default: no bound beyond the caller's context;
// each attempt's body read is bounded by DefaultBodyReadTimeout when the
// call has no deadline, and on the default transport each attempt by
// DefaultReadIdleTimeout and DefaultResponseHeaderTimeout). A call past it fails with an error
// matching context.DeadlineExceeded; a write whose request was sent then
// matches ErrOutcomeUnknown.
func WithTimeout(d time.Duration) Option {
	return func(c *config) error {
		if d <= 0 {
			return fmt.Errorf("guapocado: WithTimeout: %s is not positive", d)
		}
		c.timeout = d
		return nil
	}
}
