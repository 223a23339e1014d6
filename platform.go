package guapocado

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-querystring/query"
)

// Platform API defaults.
const (
	// DefaultAPIURL is the hosted platform API.
	DefaultAPIURL = "https://api.guapocado.dev"
	// PlatformAPIVersion is the platform API version the SDK speaks, sent in
	// the Guapocado-Version header.
	PlatformAPIVersion = "0.0.11"
)

var (
	// ErrPlatformOnly: a call only the platform API serves (purchases,
	// contracts, audit log, webhook endpoints, customer creation,
	// subscription refunds) made on a session client. Nothing was sent.
	ErrPlatformOnly = errors.New("guapocado: platform API only")
	// ErrSessionOnly: a Better Auth call (Auth, the webhook receiver) made on
	// a platform client. Nothing was sent.
	ErrSessionOnly = errors.New("guapocado: Better Auth session only")
)

// modeError is a call made on the wrong kind of client.
type modeError struct {
	op       string
	sentinel error
}

func (e *modeError) Error() string {
	if e.sentinel == ErrPlatformOnly {
		return "guapocado: " + e.op + " needs a platform client (NewAPIClient with a secret key)"
	}
	return "guapocado: " + e.op + " needs a Better Auth session client (NewClient); a platform client has no session"
}

// Is makes the error match ErrPlatformOnly or ErrSessionOnly.
func (e *modeError) Is(target error) bool { return target == e.sentinel }

// NewAPIClient returns a client for the hosted platform API, authenticated
// with the secret key apiKey (header x-guapocado-key), for backend jobs,
// queues and webhook handlers that have no user session. It has the same
// services and result types as a session client (NewClient), plus the
// platform-only ones (Purchases, Contracts, Audit, WebhookEndpoints,
// Customer.Create, Subscription.Refund).
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
func NewAPIClient(apiKey string, opts ...Option) (*Client, error) {
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

	c := &Client{cfg: cfg}
	c.initTransport()
	c.sess = &session{} // no cookies, no bearer token
	c.bind()
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

// maxIdempotencyKey is the longest idempotency key accepted.
const maxIdempotencyKey = 255

// WithIdempotencyKey sends key as the call's idempotency key: the platform
// applies a key at most once and answers a repeat with the stored result.
// It is accepted by the platform client's Usage.Consume and Usage.Refund
// (which otherwise generate a random key per call) and required by
// Purchases.Refund and Subscription.Refund. Derive it from the work it
// stands for ("job-42-item-7") so a job that is restarted repeats the same
// keys and charges nothing twice. Keys are at most 255 bytes of printable
// ASCII. Other calls, and every call of a session client (the plugin drops
// idempotency keys), refuse it with a *ValidationError.
func WithIdempotencyKey(key string) CallOption {
	return func(cc *callConfig) { cc.idemKey, cc.idemSet = key, true }
}

// checkRoute refuses a platform route on a session client and a Better
// Auth route on a platform client.
func (c *Client) checkRoute(path string) error {
	platformRoute := strings.HasPrefix(path, "/v1/")
	switch {
	case c.platform() && !platformRoute:
		return &modeError{op: path, sentinel: ErrSessionOnly}
	case !c.platform() && platformRoute:
		return &modeError{op: path, sentinel: ErrPlatformOnly}
	}
	return nil
}

// platform reports whether c is a platform client.
func (c *Client) platform() bool { return c.cfg.apiKey != "" }

// needPlatform fails a platform-only call on a session client.
func (c *Client) needPlatform(op string) error {
	if !c.platform() {
		return &modeError{op: op, sentinel: ErrPlatformOnly}
	}
	return nil
}

// keyUse says what a platform call does with an idempotency key.
type keyUse int

const (
	keyRefused  keyUse = iota // WithIdempotencyKey is an error
	keyGenerate               // the caller's key, else a fresh random one
	keyRequired               // the caller's key, else an error
)

// platformCall is a platform call's resolved options.
type platformCall struct {
	customerID string
	idemKey    string
}

// platformOptions applies opts for a platform call: the customer (ForCustomer,
// else the client's default; required when needCustomer) and the
// idempotency key per use.
func (c *Client) platformOptions(opts []CallOption, needCustomer bool, use keyUse) (platformCall, error) {
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	var pc platformCall
	if cc.set && strings.TrimSpace(cc.customerID) == "" {
		return pc, &ValidationError{Field: "customerId", Reason: "ForCustomer needs a non-empty id"}
	}
	if err := checkCustomerID(cc.customerID); cc.set && err != nil {
		return pc, err
	}
	pc.customerID = c.cfg.customerID
	if cc.set {
		pc.customerID = cc.customerID
	}
	if needCustomer && pc.customerID == "" {
		return pc, &ValidationError{Field: "customerId", Reason: "no customer: give the client a default (WithCustomerID) or pass ForCustomer"}
	}
	switch {
	case cc.idemSet && use == keyRefused:
		return pc, &ValidationError{Field: "idempotencyKey", Reason: "this call takes no idempotency key"}
	case cc.idemSet:
		if err := checkIdempotencyKey(cc.idemKey); err != nil {
			return pc, err
		}
		pc.idemKey = cc.idemKey
	case use == keyGenerate:
		pc.idemKey = newIdempotencyKey()
	case use == keyRequired:
		return pc, &ValidationError{Field: "idempotencyKey", Reason: "a refund needs a stable key: pass WithIdempotencyKey"}
	}
	return pc, nil
}

func checkIdempotencyKey(k string) error {
	if strings.TrimSpace(k) == "" {
		return &ValidationError{Field: "idempotencyKey", Reason: "must not be empty"}
	}
	if len(k) > maxIdempotencyKey {
		return &ValidationError{Field: "idempotencyKey", Reason: "must be at most 255 bytes"}
	}
	for i := 0; i < len(k); i++ {
		if k[i] < ' ' || k[i] > '~' {
			return &ValidationError{Field: "idempotencyKey", Reason: "must be printable ASCII"}
		}
	}
	return nil
}

// newIdempotencyKey returns a random key: "gsdk_" and 128 random bits in hex.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return "gsdk_" + hex.EncodeToString(b[:])
}

// route joins a path and the query encoded from q (a struct with url tags).
func route(path string, q any) string {
	v, err := query.Values(q)
	if err != nil {
		panic("guapocado: query encoding: " + err.Error()) // only the SDK's own structs reach here
	}
	if enc := v.Encode(); enc != "" {
		return path + "?" + enc
	}
	return path
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// customerQuery is the query of the customer-scoped reads.
type customerQuery struct {
	CustomerID string `url:"customerId"`
	Limit      int    `url:"limit,omitempty"`
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
