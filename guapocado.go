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
)

// Billing is what both clients serve, with the same names and result
// types: entitlements (Has, Limit, Limits), usage, the customer sync, plans,
// the subscription, checkout and the billing snapshot. Both clients embed
// it, so code that needs only these (a middleware, a read model, your own
// helpers) takes a *Billing and runs on either:
//
//	func charge(ctx context.Context, b *guapocado.Billing) error {
//		_, err := b.Usage.Consume(ctx, "api-calls", 1)
//		return err
//	}
//	charge(ctx, &sessionClient.Billing)
//	charge(ctx, &apiClient.Billing)
//
// A Billing is safe for concurrent use.
type Billing struct {
	// Usage: balances, consume, refund and overage settings of metered features.
	Usage UsageService
	// Customer: the billing customer (Sync).
	Customer CustomerService
	// Limits: limit settings (purchased expansion).
	Limits LimitsService
	// Plans: the plan catalogue.
	Plans PlansService
	// Subscription: the customer's subscription.
	Subscription SubscriptionService
	// Checkout: checkout sessions.
	Checkout CheckoutService

	*core
}

// bind points the shared services at c.
func (b *Billing) bind(c *core) {
	b.core = c
	b.Usage.c = c
	b.Customer.c = c
	b.Limits.c = c
	b.Plans.c = c
	b.Subscription.c = c
	b.Checkout.c = c
}

// Client calls the Guapocado endpoints of a Better Auth app for one user
// session: the Go twin of the browser's authClient.guapocado. Make one with
// NewClient. It serves everything of Billing (promoted: c.Usage.Consume,
// c.Has…) for the session's active customer, plus what only a session has:
// Auth (sign-in and the active organization or team), Customer.ID and the
// webhook receiver's status. It is safe for concurrent use; ForRequest makes
// a cheap copy for an incoming request's session.
type Client struct {
	Billing

	// Customer: the session's billing customer (Sync, ID).
	Customer SessionCustomerService
	// Auth: sign-in, sign-out and the session's active organization or team.
	Auth AuthService
	// Webhook: the app's webhook receiver.
	Webhook WebhookService
}

func (c *Client) bind(core *core) {
	c.Billing.bind(core)
	c.Customer.CustomerService.c = core
	c.Auth.c = core
	c.Webhook.c = core
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

// NewClient returns a session client for the Better Auth app at baseURL:
// its origin, plus a mount prefix if the app is not at the root. The Better
// Auth base path ("/api/auth", see WithBasePath) is added unless baseURL
// already ends with it, as Better Auth's own client does:
// "https://app.example.com" and "https://app.example.com/api/auth" name the
// same app. It does no I/O; an invalid URL or option returns an error.
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
	if cfg.basePath != "" && strings.HasSuffix(u.Path, cfg.basePath) {
		u.Path = strings.TrimSuffix(u.Path, cfg.basePath) // the base path was given with the app
	}
	if err := cfg.checkCleartext(); err != nil {
		return nil, err
	}
	cfg.apiBase = u.String() + cfg.basePath
	if cfg.jar == nil && cfg.httpClient != nil && cfg.httpClient.Jar != nil {
		cfg.jar = cfg.httpClient.Jar // the SDK manages cookies itself, with the user's jar
	}

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
	c := &Client{}
	c.bind(newCore(cfg, sessionMode{webhookPath: cfg.webhookPath}, s))
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
		readIdle:     DefaultReadIdleTimeout,
		bodyRead:     DefaultBodyReadTimeout,
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

// BaseURL returns the URL the client's endpoint paths are relative to, e.g.
// "https://app.example.com/api/auth" (a session client) or
// "https://api.guapocado.dev" (a platform client).
func (c *core) BaseURL() string { return c.cfg.apiBase }

// Ptr returns a pointer to v, for optional fields such as LimitSettings.Purchased.
func Ptr[T any](v T) *T { return &v }

// ForRequest returns a copy of c that acts for the Better Auth session of
// the incoming request r: its Better Auth cookies (the session token, and
// the session cache if present, under the plain or "__Secure-" prefixed
// names) or, when it has none, its "Authorization: Bearer" token. The copy
// shares c's transport, connection pool and retry policy, and does not carry
// c's own session. It is cheap (two allocations: the copy, and the Cookie or
// Authorization header it sends): make one per request.
//
// The copy sends the cookies with c's Origin, as the browser would to the
// app: your handler is then cookie-authenticated, so protect it from
// cross-site requests as you would any such endpoint.
func (c *Client) ForRequest(r *http.Request) *Client {
	rc := &requestClient{Client: *c, core: *c.core}
	rc.core.sess = &rc.sess
	rc.sess.fromRequest(c.cfg, r)
	rc.Client.bind(&rc.core)
	return &rc.Client
}

// forRequest is ForRequest for the shared surface: on a session client, a
// copy acting for r's session; a platform client acts for customers, not
// sessions, and is returned as it is (it never forwards a user's cookies or
// token to the platform).
func (b *Billing) forRequest(r *http.Request) *Billing {
	if _, ok := b.mode.(sessionMode); !ok {
		return b
	}
	rb := &requestBilling{Billing: *b, core: *b.core}
	rb.core.sess = &rb.sess
	rb.sess.fromRequest(b.cfg, r)
	rb.Billing.bind(&rb.core)
	return &rb.Billing
}

// requestBilling is forRequest's copy, in one allocation.
type requestBilling struct {
	Billing
	core core
	sess session
}

// requestClient is a ForRequest copy and what it does not share with its
// parent, in one allocation.
type requestClient struct {
	Client
	core core
	sess session
}

// fromRequest sets s to the Better Auth session of the incoming request r.
func (s *session) fromRequest(cfg *config, r *http.Request) {
	prefix := cfg.cookiePrefix + "."
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
}
