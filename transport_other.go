//go:build !(js && wasm)

package guapocado

import (
	"context"
	"net"
	"net/http"
	"time"
)

const browserBuild = false

// IdleConnTimeout of the default transport. Node (and so most Better Auth
// servers) closes an idle keep-alive connection after 5 s; a client that
// reuses a connection in the instant the server closes it gets an error it
// cannot safely retry for a consume. Dropping idle connections after 4 s
// means the client never picks one the server is about to close.
const IdleConnTimeout = 4 * time.Second

// Pool sizes of the default transport. Go keeps only 2 idle connections per
// host by default, so concurrent callers would churn connections (open one,
// use it once, close it); the SDK keeps up to 128 per host.
const (
	maxIdleConns        = 256
	maxIdleConnsPerHost = 128
)

// newDefaultTransport returns the transport used when the user gives no
// *http.Client: Go's default settings, with an idle pool sized for
// concurrent callers, the idle timeout above, DefaultResponseHeaderTimeout,
// reads bounded by DefaultReadIdleTimeout, and dials going through a dialGate (returned too), which drops the dials
// a burst of calls does not need.
//
// It also returns the transport for the retries of non-idempotent writes
// (see freshConnections): the same settings without keep-alive, dialing
// around the gate (a retried write never waits for a connection to come
// free: it must not get one).
func newDefaultTransport(readIdle time.Duration) (base, fresh http.RoundTripper, _ *dialGate) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdleConns
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.IdleConnTimeout = IdleConnTimeout
	t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	dial := readIdleDialer(t.DialContext, readIdle)
	g := newDialGate()
	t.DialContext = g.dialContext(dial)
	f := t.Clone()
	f.DialContext = dial
	f.DisableKeepAlives = true
	return t, f, g
}

// freshConnections returns the transport for the retries of non-idempotent
// writes over a user's transport rt (WithHTTPClient): a copy of rt without
// keep-alive, so that every such retry goes out on a connection of its own,
// or nil when rt is not an *http.Transport (its retried writes take the
// connection it gives them).
//
// Why: a write retried after a wait (a 429 with X-Retry-After) would
// otherwise take the connection its refused attempt came back on, idle for
// the whole wait. A server that closes it in the same instant (its
// keep-alive timeout) makes the attempt fail after its request was written,
// and the SDK cannot tell that from a server that applied the write and
// lost the answer: ErrOutcomeUnknown for a write that was never applied.
// On a connection dialed for it, a failure before any byte was written is
// retried, and one after is a real unknown.
func freshConnections(rt http.RoundTripper) http.RoundTripper {
	t, ok := rt.(*http.Transport)
	if !ok {
		return nil
	}
	f := t.Clone()
	f.DisableKeepAlives = true
	return f
}

// readIdleDialer wraps next so that every read of a connection it dials
// fails after idle without a byte.
func readIdleDialer(next func(ctx context.Context, network, addr string) (net.Conn, error), idle time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil || idle <= 0 {
			return c, err
		}
		return &readIdleConn{Conn: c, idle: idle}, nil
	}
}

// readIdleConn is a connection whose reads time out after idle without data.
type readIdleConn struct {
	net.Conn
	idle time.Duration
}

func (c *readIdleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetReadDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

// withFetchCredentials only matters in the browser build.
func withFetchCredentials(rt http.RoundTripper, _ string) http.RoundTripper { return rt }
