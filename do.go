package guapocado

import (
	"context"
	"net/url"
	"strings"
)

// Idempotent marks a Do call as safe to repeat: it is then retried like a
// read (on connection errors, 429 and 5xx) even when its method is POST,
// PUT, PATCH or DELETE. Give it only when the route is idempotent (a set, a
// delete, or a platform write whose body carries an idempotency key): a
// consume or a checkout sent twice is applied twice. Service methods know
// their own class and refuse it.
func Idempotent() CallOption {
	return func(cc *callConfig) { cc.idempotent = true }
}

// Do sends a request the SDK does not wrap yet (a new platform route, a
// plugin route of your own) through the client's pipeline: its session
// (cookie and Origin, or bearer token) or its API key and platform
// headers, its size cap, its retry policy and its typed errors. method is
// GET, HEAD, POST, PUT, PATCH or DELETE; path is relative to the client's
// base URL (BaseURL: ".../api/auth" for a session client, the API URL for
// a platform client), starts with "/" and may carry a query; it must not
// name another host or scheme, or contain a ".." segment, a fragment,
// spaces or control characters. in (nil for none) is sent as JSON; a GET,
// HEAD or DELETE carries none. A 2xx answer is decoded into out (a
// pointer; nil ignores it); any other answer is an *Error.
//
// A GET or HEAD is retried like a read. Any other method is treated as a
// write: retried only where the request provably never reached a handler,
// ending ErrOutcomeUnknown when it may have been applied, unless opts
// include Idempotent(), which retries it like a read (and still reports
// ErrOutcomeUnknown when the retries run out after a request that may have
// been applied). ForCustomer and WithIdempotencyKey are refused: put the
// customer and the key where the route wants them. The path is checked
// before any request; a bad one is a *ValidationError.
func (b *Billing) Do(ctx context.Context, method, path string, in, out any, opts ...CallOption) error {
	if ctx == nil {
		return &ValidationError{Field: "ctx", Reason: "nil context"}
	}
	switch method {
	case "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE":
	default:
		return &ValidationError{Field: "method", Reason: "must be GET, HEAD, POST, PUT, PATCH or DELETE"}
	}
	if err := checkDoPath(path); err != nil {
		return err
	}
	if in != nil && (method == "GET" || method == "HEAD" || method == "DELETE") {
		return &ValidationError{Field: "in", Reason: "a " + method + " carries no body"}
	}
	cc, err := callOptions(opts)
	if err != nil {
		return err
	}
	if cc.customer {
		return &ValidationError{Field: "customerId", Reason: "Do takes no ForCustomer: put the customer in the path or body"}
	}
	if cc.idem {
		return &ValidationError{Field: "idempotencyKey", Reason: "Do takes no WithIdempotencyKey: put the key where the route wants it, and pass Idempotent()"}
	}
	read := method == "GET" || method == "HEAD"
	w := wire{method: method, path: path, body: in}
	switch {
	case read:
	case cc.idempotent:
		w.keyed = true // retried like a read; a lost outcome is still reported
	default:
		w.write = true
	}
	return b.core.exchange(ctx, "Do", &w, "", out)
}

// checkDoPath checks a path given to Do.
func checkDoPath(p string) error {
	bad := func(reason string) error { return &ValidationError{Field: "path", Reason: reason} }
	if !strings.HasPrefix(p, "/") {
		return bad("must start with \"/\" (it is relative to the client's base URL)")
	}
	if strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
		return bad("must not name a host")
	}
	for i := 0; i < len(p); i++ {
		if b := p[i]; b <= ' ' || b == 0x7f {
			return bad("must not contain spaces or control characters")
		}
	}
	if strings.Contains(p, "#") {
		return bad("must not carry a fragment")
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.Opaque != "" || u.User != nil {
		return bad("must be a path, not a URL")
	}
	for seg := range strings.SplitSeq(u.Path, "/") {
		if seg == ".." || seg == "." {
			return bad("must not contain \".\" or \"..\" segments")
		}
	}
	if strings.Contains(strings.ToLower(u.RawPath), "%2e") || strings.Contains(strings.ToLower(p[:len(p)-len(u.RawQuery)]), "%2e%2e") {
		return bad("must not contain escaped dots")
	}
	return nil
}
