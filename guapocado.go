package guapocado

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"runtime"
	"strings"
	"sync/atomic"

	"github.com/hashicorp/go-retryablehttp"
)

// Client calls the Guapocado endpoints of a Better Auth app for one session
// (NewClient), or the hosted platform API with a secret key for backend jobs
// (NewAPIClient): the same services and result types in both modes. It is
// safe for concurrent use. Its services are fields:
//
//	c.Usage.Consume(ctx, "api-calls", 1)
//	c.Has(ctx, "advanced-analytics")
type Client struct {
	// Usage: balances, consume, refund and overage settings of metered features.
	Usage UsageService
	// Customer: the billing customer of the session.
	Customer CustomerService
	// Limits: limit settings (purchased expansion).
	Limits LimitsService
	// Plans: the plan catalogue.
	Plans PlansService
	// Subscription: the customer's subscription.
	Subscription SubscriptionService
	// Checkout: checkout sessions.
	Checkout CheckoutService
	// Auth: sign-in, sign-out and the session's active organization or team.
	Auth AuthService
	// Webhook: the registration of the app's webhook receiver.
	Webhook WebhookService

	// Platform API only (NewAPIClient); a session client's calls fail with
	// ErrPlatformOnly before any request.

	// Purchases: one-time purchases and their refunds.
	Purchases PurchasesService
	// Contracts: per-customer negotiated deals.
	Contracts ContractsService
	// Audit: the platform's audit log.
	Audit AuditService
	// WebhookEndpoints: registration of webhook receivers.
	WebhookEndpoints WebhookEndpointsService

	cfg   *config
	rc    *retryablehttp.Client
	base  http.RoundTripper // the transport under the SDK's wrapper, for CloseIdleConnections
	parts *requestParts     // parsed endpoint URLs and constant header values, shared with ForRequest copies
	gate  *dialGate         // the default transport's dial gate (dialgate.go); nil with WithHTTPClient
	sess  *session
}

// session is the credential state of one Client: the cookie jar (or a fixed
// Cookie header) and the newest bearer token.
type session struct {
	jar          http.CookieJar // nil: no cookie handling
	staticCookie string         // a fixed Cookie header (ForRequest), sent as is
	bearer       atomic.Pointer[string]
	adoptBearer  atomic.Bool // store set-auth-token into bearer

	// The header values built from the above (session.go).
	staticValue [1]string // staticCookie as a header value
	ownJar      bool      // jar is the SDK's own: only the session writes it, so its Cookie header is cached
	cookies     cookieCache
	auth        atomic.Pointer[authValue]
}

func (s *session) bearerToken() string {
	if p := s.bearer.Load(); p != nil {
		return *p
	}
	return ""
}

// NewClient returns a client for the Better Auth app at baseURL (its origin,
// plus a mount prefix if the app is not at the root; the Better Auth base
// path "/api/auth" is added, see WithBasePath). It does no I/O; an invalid URL
// or option returns an error.
func NewClient(baseURL string, opts ...Option) (*Client, error) {
	u, err := url.Parse(baseURL)
	if err != nil {
		return nil, errors.New("guapocado: NewClient: base URL does not parse")
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("guapocado: NewClient: base URL must be http(s)://host[:port], got scheme %q host %q", u.Scheme, u.Host)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return nil, errors.New("guapocado: NewClient: base URL must not carry user info, a query or a fragment")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	cfg := newConfig(u)
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("guapocado: NewClient: nil option")
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if err := cfg.checkCleartext(); err != nil {
		return nil, err
	}
	cfg.apiBase = u.String() + cfg.basePath

	c := &Client{cfg: cfg}
	c.initTransport()

	s := &session{jar: cfg.jar}
	if cfg.bearerToken != "" {
		tok := cfg.bearerToken
		s.bearer.Store(&tok)
		s.adoptBearer.Store(true)
	}
	// Cookies: kept for cookie sessions and for clients that will sign in;
	// a bearer-only client sends no cookies (so needs no Origin).
	if s.jar == nil && !browserBuild && (cfg.sessionToken != "" || cfg.bearerToken == "") {
		s.jar, _ = cookiejar.New(nil) // never fails with nil options
		s.ownJar = true
	}
	if cfg.sessionToken != "" {
		s.setCookies(cfg, []*http.Cookie{cfg.sessionCookie(cfg.sessionToken)})
	}
	c.sess = s
	c.bind()
	return c, nil
}

// newConfig returns the default configuration for the base URL u.
func newConfig(u *url.URL) *config {
	return &config{
		base:         u,
		basePath:     DefaultBasePath,
		origin:       u.Scheme + "://" + u.Host,
		userAgent:    "guapocado-go/" + Version + " (" + runtime.Version() + ")",
		headers:      http.Header{},
		cookiePrefix: DefaultCookiePrefix,
		secure:       u.Scheme == "https",
		retryMax:     DefaultRetryMax,
		retryWaitMin: DefaultRetryWaitMin,
		retryWaitMax: DefaultRetryWaitMax,
		maxBody:      DefaultMaxResponseBytes,
		webhookPath:  DefaultWebhookPath,
	}
}

// sessionCookie is the Better Auth session cookie carrying a signed token.
func (cfg *config) sessionCookie(token string) *http.Cookie {
	return &http.Cookie{
		Name:   cfg.cookieName("session_token"),
		Value:  url.QueryEscape(token),
		Path:   "/",
		Secure: cfg.secure,
	}
}

// cookieName is the full name of a Better Auth cookie ("session_token" →
// "better-auth.session_token", or "__Secure-better-auth.session_token" over https).
func (cfg *config) cookieName(short string) string {
	n := cfg.cookiePrefix + "." + short
	if cfg.secure {
		n = "__Secure-" + n
	}
	return n
}

// bind points every service at c.
func (c *Client) bind() {
	c.Usage.c = c
	c.Customer.c = c
	c.Limits.c = c
	c.Plans.c = c
	c.Subscription.c = c
	c.Checkout.c = c
	c.Auth.c = c
	c.Webhook.c = c
	c.Purchases.c = c
	c.Contracts.c = c
	c.Audit.c = c
	c.WebhookEndpoints.c = c
}

// CloseIdleConnections closes the idle connections of the client's transport.
func (c *Client) CloseIdleConnections() {
	if ci, ok := c.base.(interface{ CloseIdleConnections() }); ok {
		ci.CloseIdleConnections()
	}
}

// BaseURL returns the URL the client's endpoint paths are relative to, e.g.
// "https://app.example.com/api/auth".
func (c *Client) BaseURL() string { return c.cfg.apiBase }

// Ptr returns a pointer to v, for optional fields such as LimitSettings.Purchased.
func Ptr[T any](v T) *T { return &v }

// ForRequest returns a copy of c that acts for the Better Auth session of
// the incoming request r: its Better Auth cookies (the session token, and
// the session cache if present, under the plain or "__Secure-" prefixed
// names) or, when it has none, its "Authorization: Bearer" token. The copy
// shares c's transport, connection pool and retry policy, and does not carry
// c's own session. It is cheap: make one per request. A platform client
// (NewAPIClient) acts for customers, not sessions: it returns c itself.
//
// The copy sends the cookies with c's Origin, as the browser would to the
// app: your handler is then cookie-authenticated, so protect it from
// cross-site requests as you would any such endpoint.
func (c *Client) ForRequest(r *http.Request) *Client {
	if c.platform() {
		return c // never forward a user's cookies or token to the platform
	}
	nc := *c
	s := &session{}
	prefix := c.cfg.cookiePrefix + "."
	var b strings.Builder
	for _, line := range r.Header.Values("Cookie") {
		for part := range strings.SplitSeq(line, ";") {
			part = strings.TrimSpace(part)
			name, _, ok := strings.Cut(part, "=")
			if !ok || !(strings.HasPrefix(name, prefix) || strings.HasPrefix(name, "__Secure-"+prefix)) {
				continue
			}
			if b.Len() > 0 {
				b.WriteString("; ")
			}
			b.WriteString(part)
		}
	}
	s.staticCookie = b.String()
	s.staticValue[0] = s.staticCookie
	if s.staticCookie == "" {
		if auth := r.Header.Get("Authorization"); len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
			tok := strings.TrimSpace(auth[7:])
			s.bearer.Store(&tok)
		}
	}
	nc.sess = s
	nc.bind()
	return &nc
}
