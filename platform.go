package guapocado

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Platform API defaults.
const (
	// DefaultAPIURL is the hosted platform API.
	DefaultAPIURL = "https://api.guapocado.dev"
	// PlatformAPIVersion is the platform API version the SDK speaks, sent in
	// the Guapocado-Version header.
	PlatformAPIVersion = "0.0.11"
)

// APIClient calls the hosted platform API with a secret key, for backend
// jobs, queues and webhook handlers that have no user session: the Go twin
// of the upstream server SDK (createGuapocadoClient). Make one with
// NewAPIClient. It serves everything of Billing (promoted: c.Usage.Consume,
// c.Has…) for the customer each call names, plus what only the platform
// serves: Customer.Create, Subscription.Refund, Purchases, Contracts, Audit
// and WebhookEndpoints. It is safe for concurrent use.
type APIClient struct {
	Billing

	// Customer: customers (Sync, Create).
	Customer APICustomerService
	// Subscription: the customer's subscription (Current, Change, Refund).
	Subscription APISubscriptionService
	// Purchases: one-time purchases and their refunds.
	Purchases PurchasesService
	// Contracts: per-customer negotiated deals.
	Contracts ContractsService
	// Audit: the platform's audit log.
	Audit AuditService
	// WebhookEndpoints: registration of webhook receivers.
	WebhookEndpoints WebhookEndpointsService
}

func (c *APIClient) bind(core *core) {
	c.Billing.bind(core)
	c.Customer.CustomerService.c = core
	c.Subscription.SubscriptionService.c = core
	c.Purchases.c = core
	c.Contracts.c = core
	c.Audit.c = core
	c.WebhookEndpoints.c = core
}

// NewAPIClient returns a platform client for the hosted platform API,
// authenticated with the secret key apiKey (header x-guapocado-key). It has
// the same shared services and result types as a session client
// (NewClient), plus the platform-only ones.
//
// The platform bills the customer id a call names: the client's default
// (WithCustomerID) or the call's ForCustomer. A call that needs a customer
// and has neither fails with a *ValidationError before any request.
//
// Consume and refund carry an idempotency key, generated once per call
// (or given with WithIdempotencyKey) and sent unchanged on every attempt:
// the platform applies a key at most once, so they are retried like reads
// (a lost answer is retried, not reported). Only when the retries run out
// after a request was sent do they fail with ErrOutcomeUnknown, with
// Error.IdempotencyKey set: repeating with that key is safe.
//
// Options: WithAPIURL (default DefaultAPIURL), WithCustomerID, and the
// transport ones (WithHTTPClient, WithRetry, WithLogger, WithUserAgent,
// WithHeader, WithMaxResponseBytes). The session options (WithSessionToken,
// WithBearerToken, WithCookieJar, WithOrigin, WithBasePath,
// WithCookiePrefix, WithWebhookPath, WithFetchCredentials) are refused.
// NewAPIClient does no I/O. The key never appears in errors or logs.
//
// In a WebAssembly build (GOOS=js) it always fails: a secret key in a page
// is readable by anyone who opens it.
func NewAPIClient(apiKey string, opts ...Option) (*APIClient, error) {
	if browserBuild {
		return nil, errors.New("guapocado: NewAPIClient: secret keys must not ship to browsers (anyone can read them from the page); call the platform API from a backend, and use NewClient with the user's session here")
	}
	if strings.TrimSpace(apiKey) == "" {
		return nil, errors.New("guapocado: NewAPIClient: empty API key")
	}
	for i := 0; i < len(apiKey); i++ {
		if b := apiKey[i]; b <= ' ' || b == 0x7f {
			return nil, errors.New("guapocado: NewAPIClient: the API key contains spaces or control characters (the key is not shown)")
		}
	}
	u, _ := url.Parse(DefaultAPIURL)
	cfg := newConfig(u)
	cfg.apiKey = apiKey
	cfg.basePath = ""
	for _, o := range opts {
		if o == nil {
			return nil, errors.New("guapocado: NewAPIClient: nil option")
		}
		if err := o(cfg); err != nil {
			return nil, err
		}
	}
	if name := cfg.sessionOption(); name != "" {
		return nil, fmt.Errorf("guapocado: NewAPIClient: %s is a Better Auth session option; a platform client authenticates with its API key", name)
	}
	cfg.origin = cfg.base.Scheme + "://" + cfg.base.Host
	cfg.secure = cfg.base.Scheme == "https"
	cfg.apiBase = cfg.base.String()
	h := cfg.headers
	h.Set("X-Guapocado-Key", apiKey)
	h.Set("Guapocado-Version", PlatformAPIVersion)
	h.Set("Guapocado-Sdk-Version", Version)
	h.Set("Guapocado-Sdk-Language", "go")

	c := &APIClient{}
	c.bind(newCore(cfg, platformMode{customerID: cfg.customerID}, &session{})) // no cookies, no bearer token
	return c, nil
}

// sessionOption names a session option that was applied to cfg, or "".
func (cfg *config) sessionOption() string {
	switch {
	case cfg.sessionToken != "":
		return "WithSessionToken"
	case cfg.bearerToken != "":
		return "WithBearerToken"
	case cfg.jar != nil:
		return "WithCookieJar"
	case cfg.originSet:
		return "WithOrigin"
	case cfg.basePath != "":
		return "WithBasePath"
	case cfg.cookiePrefix != DefaultCookiePrefix:
		return "WithCookiePrefix"
	case cfg.webhookPath != DefaultWebhookPath:
		return "WithWebhookPath"
	case cfg.credentials != "":
		return "WithFetchCredentials"
	case cfg.insecureHTTP:
		return "WithInsecureHTTP"
	}
	return ""
}

// WithAPIURL sets the platform API's base URL for NewAPIClient (default
// DefaultAPIURL): http(s)://host[:port] with an optional path prefix. Plain
// http is accepted only for loopback hosts (a local fake such as
// guapocadotest), so the secret key never crosses a network in clear text.
// NewClient refuses it.
func WithAPIURL(apiURL string) Option {
	return func(c *config) error {
		if c.apiKey == "" {
			return errors.New("guapocado: WithAPIURL is a platform API option: use it with NewAPIClient")
		}
		u, err := url.Parse(apiURL)
		if err != nil {
			return errors.New("guapocado: WithAPIURL: the URL does not parse")
		}
		if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("guapocado: WithAPIURL: need http(s)://host[:port], got scheme %q host %q", u.Scheme, u.Host)
		}
		if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("guapocado: WithAPIURL: the URL must not carry user info, a query or a fragment")
		}
		if u.Scheme == "http" && !loopback(u.Hostname()) {
			return fmt.Errorf("guapocado: WithAPIURL: plain http to %s would send the secret key in clear text; use https", u.Hostname())
		}
		u.Path = strings.TrimRight(u.Path, "/")
		u.RawPath = ""
		c.base = u
		return nil
	}
}

func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// WithCustomerID sets the default customer of a platform client
// (NewAPIClient): the customer every call acts for unless it passes
// ForCustomer. NewClient refuses it (the session names the customer there).
// A platform client's Middleware does not use it: give CustomerID or
// CustomerFrom there.
//
// WithCustomerID, ForCustomer, CustomerID, CustomerFrom and
// CustomerIDFromContext each name a customer; which to use when:
// [Naming the customer].
//
// [Naming the customer]: https://pkg.go.dev/github.com/guapocado/guapocado-go#hdr-Naming_the_customer
func WithCustomerID(id string) Option {
	return func(c *config) error {
		if c.apiKey == "" {
			return errors.New("guapocado: WithCustomerID is a platform API option: use it with NewAPIClient (a session client bills the session's customer; see ForCustomer)")
		}
		if strings.TrimSpace(id) == "" {
			return errors.New("guapocado: WithCustomerID: empty customer id")
		}
		if err := checkCustomerID(id); err != nil {
			return fmt.Errorf("guapocado: WithCustomerID: %w", err)
		}
		c.customerID = id
		return nil
	}
}
