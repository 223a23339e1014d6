//go:build !(js && wasm)

package guapocado

import (
	"context"
	"math"
	"net"
	"net/http"
	"sync/atomic"
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
		rc := &readIdleConn{Conn: c, idle: idle, born: time.Now()}
		rc.until.Store(math.MinInt64)
		return rc, nil
	}
}

// readIdleSlack is the fraction of the idle bound by which a read's
// deadline may run past it: a read that starts while the deadline set for
// an earlier one is still at least idle away keeps it, so that a connection
// busy with calls resets its read deadline (a runtime timer) about once per
// idle/readIdleSlack rather than on every read.
const readIdleSlack = 32

// readIdleConn is a connection whose reads time out after idle without data
// (at most idle/readIdleSlack later).
type readIdleConn struct {
	net.Conn
	idle  time.Duration
	born  time.Time    // when dialed; deadlines are offsets from it on the monotonic clock
	until atomic.Int64 // the read deadline last set, as an offset from born (MinInt64: none)
}

func (c *readIdleConn) Read(p []byte) (int, error) {
	now := time.Since(c.born)
	if c.until.Load() < int64(now+c.idle) {
		d := now + c.idle + c.idle/readIdleSlack
		if err := c.Conn.SetReadDeadline(c.born.Add(d)); err != nil {
			return 0, err
		}
		c.until.Store(int64(d))
	}
	return c.Conn.Read(p)
}

// SetReadDeadline and SetDeadline set the connection's deadline; the next
// read sets its idle bound again.
func (c *readIdleConn) SetReadDeadline(t time.Time) error {
	c.until.Store(math.MinInt64)
	return c.Conn.SetReadDeadline(t)
}

func (c *readIdleConn) SetDeadline(t time.Time) error {
	c.until.Store(math.MinInt64)
	return c.Conn.SetDeadline(t)
}

// withFetchCredentials only matters in the browser build.
func withFetchCredentials(rt http.RoundTripper, _ string) http.RoundTripper { return rt }
