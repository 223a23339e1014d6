package guapocado

import (
	"context"
	"errors"
	"net/http"
)

// WithTransportWrapper wraps the transport the SDK sends attempts through,
// for tracing, metrics or recording, without giving up the SDK's tuning.
// wrap receives the transport the SDK would use itself: without
// WithHTTPClient, the SDK's default transport (on native builds an
// *http.Transport with IdleConnTimeout, a pool of 128 idle connections per
// host, DefaultResponseHeaderTimeout, DefaultReadIdleTimeout and the dial
// gate); with WithHTTPClient, that client's Transport (or
// http.DefaultTransport). It returns the RoundTripper to use instead,
// typically one that calls the one it was given (otelhttp.NewTransport is
// such a wrapper).
//
// The wrapper sits under the SDK's retry policy and its attempt
// accounting: it sees every attempt of a call (a retried call passes
// through it once per attempt, a followed redirect once per hop), with the
// call's context (see WithCallObserver) on the request. It sees the
// request's headers, which carry the session cookie, bearer token or API
// key: a wrapper must not record them. It must return the response of the
// transport it wraps (or an error) for each request it is given, and must
// not send a request twice: the SDK's rules for writes (never sent twice
// where it cannot know it was not applied) hold only if the wrapper does
// not retry by itself.
//
// Calling WithTransportWrapper again wraps the result of the earlier
// wrappers (the last one given is outermost).
//
// The retries of a session client's consume, refund and checkout go out on
// connections of their own (never on an idle one the server may be closing
// as the retry reuses it): over an *http.Transport, wrap is called a second
// time, at the first such retry, with a copy of that transport without
// keep-alive.
func WithTransportWrapper(wrap func(http.RoundTripper) http.RoundTripper) Option {
	return func(c *config) error {
		if wrap == nil {
			return errors.New("guapocado: WithTransportWrapper: nil wrapper")
		}
		c.wrappers = append(c.wrappers, wrap)
		return nil
	}
}

// wrapTransport applies the WithTransportWrapper wrappers to rt.
func (cfg *config) wrapTransport(rt http.RoundTripper) http.RoundTripper {
	for _, w := range cfg.wrappers {
		if next := w(rt); next != nil {
			rt = next
		}
	}
	return rt
}

// Call modes, as CallInfo.Mode names them.
const (
	ModeSession  = "session"  // a session client (NewClient): a Better Auth app
	ModePlatform = "platform" // a platform client (NewAPIClient): the platform API
)

// CallInfo describes an SDK call as it starts. It never carries a token,
// cookie, key, query or body.
type CallInfo struct {
	// Action is the call as errors and logs name it, e.g. "Usage.Consume",
	// "Audit.List", or "Do" for the escape hatch.
	Action string
	// Mode is ModeSession or ModePlatform.
	Mode string
	// Method and Path are the request's method and its path under the
	// host, without the query (e.g. "/api/auth/guapocado/usage/consume" or
	// "/v1/usage/api-calls/consume").
	Method string
	Path   string
	// Write reports a call that is not idempotent or carries an
	// idempotency key: one that ends ErrOutcomeUnknown when its outcome
	// cannot be known.
	Write bool
}

// CallResult is how an SDK call ended.
type CallResult struct {
	// Err is the call's error (nil on success): an *Error; match it with
	// errors.Is against the package's sentinels.
	Err error
	// StatusCode is the last answer's HTTP status; 0 when no attempt got an
	// answer.
	StatusCode int
	// Attempts is the number of round trips started (1 + retries; 0 when
	// the call failed before sending).
	Attempts int
}

// A CallObserver is told about each SDK call: when it starts (it may
// return a derived context, e.g. carrying a span, which the call's
// requests, its transport wrapper and its log records then carry), and,
// through the function it returns (which may be nil), when it ends. It is
// called on the caller's goroutine and must be safe for concurrent use.
type CallObserver func(ctx context.Context, info CallInfo) (context.Context, func(CallResult))

// WithCallObserver calls obs for each call the client sends: every service
// method and Do, on the client and its ForRequest copies. A call refused
// before any request is made (a *ValidationError: a bad argument, a
// missing customer) is not observed. Attempts are seen by a transport
// wrapper (WithTransportWrapper), which receives the context obs returned.
// Package github.com/guapocado/guapocado-go/otelguapocado builds on both
// for OpenTelemetry. Calling WithCallObserver again adds an observer; they
// start in order and end in reverse.
func WithCallObserver(obs CallObserver) Option {
	return func(c *config) error {
		if obs == nil {
			return errors.New("guapocado: WithCallObserver: nil observer")
		}
		c.observers = append(c.observers, obs)
		return nil
	}
}

// observeStart tells the observers a call starts; the returned function
// tells them it ended.
func (c *core) observeStart(ctx context.Context, info CallInfo) (context.Context, func(CallResult)) {
	obs := c.cfg.observers
	if len(obs) == 0 {
		return ctx, nil
	}
	var ends []func(CallResult)
	for _, o := range obs {
		var end func(CallResult)
		if next, e := o(ctx, info); next != nil {
			ctx, end = next, e
		} else {
			end = e
		}
		if end != nil {
			ends = append(ends, end)
		}
	}
	return ctx, func(r CallResult) {
		for i := len(ends) - 1; i >= 0; i-- {
			ends[i](r)
		}
	}
}

// modeName names the core's mode for CallInfo.
func (c *core) modeName() string {
	if _, ok := c.mode.(platformMode); ok {
		return ModePlatform
	}
	return ModeSession
}
