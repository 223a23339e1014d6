//go:build !(js && wasm)

package guapocado

import (
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"os"
	"sync"
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
// concurrent callers, the idle timeout above, connections whose reads are
// bounded by DefaultReadIdleTimeout and whose waits for answers' headers by
// DefaultResponseHeaderTimeout (readIdleConn: no timer per request, so the
// Transport's own ResponseHeaderTimeout stays 0), and dials going through a
// dialGate (returned too), which drops the dials a burst of calls does not
// need.
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
// fails after idle without a byte, and its waits for answers' headers
// after idle (readIdleConn).
func readIdleDialer(next func(ctx context.Context, network, addr string) (net.Conn, error), idle time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := next(ctx, network, addr)
		if err != nil || idle <= 0 {
			return c, err
		}
		rc := &readIdleConn{Conn: c, idle: idle}
		rc.headers.born = time.Now()
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
// (at most idle/readIdleSlack later), counted from the read's start or the
// last write, whichever is later; and whose reads fail with
// errHeaderTimeout once attempts have waited idle for their answers'
// headers on it (headers, at most 2·idle/readIdleSlack later).
type readIdleConn struct {
	net.Conn
	idle    time.Duration
	headers headerWait   // its born is the dial; deadlines are offsets from it
	until   atomic.Int64 // the read deadline last set, as an offset from born (MinInt64: none)
	mu      sync.Mutex   // held while a deadline is set, so that until is the deadline last set
}

// connWait returns the header wait of c, a connection the default transport
// gave an attempt (directly, or under the dial gate's or TLS's wrapping),
// or nil for any other connection.
func connWait(c net.Conn) *headerWait {
	for {
		switch v := c.(type) {
		case *readIdleConn:
			return &v.headers
		case *gateConn:
			c = v.Conn
		case interface{ NetConn() net.Conn }: // *tls.Conn
			c = v.NetConn()
		default:
			return nil
		}
	}
}

func (c *readIdleConn) Read(p []byte) (int, error) {
	now := time.Since(c.headers.born)
	limit := time.Duration(math.MaxInt64)
	if due, waiting := c.headers.due(c.idle); waiting {
		if now >= due {
			return 0, errHeaderTimeout
		}
		// The deadline may run past the wait's end by the slack of a
		// write's reset (see Write) and a read's.
		limit = due + 2*c.idle/readIdleSlack
	}
	if until := time.Duration(c.until.Load()); until > limit || (until < now+c.idle && until < limit) {
		if err := c.setDeadline(min(now+c.idle+c.idle/readIdleSlack, limit)); err != nil {
			return 0, err
		}
	}
	n, err := c.Conn.Read(p)
	if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
		if _, waiting := c.headers.due(c.idle); waiting {
			err = errHeaderTimeout
		}
	}
	return n, err
}

// Write sends p: a wait for headers on the connection is timed from now,
// and a read under way then waits at least idle from now (the wait for the
// answer is counted from the request).
func (c *readIdleConn) Write(p []byte) (int, error) {
	now := time.Since(c.headers.born)
	c.headers.sent(now)
	if time.Duration(c.until.Load()) < now+c.idle {
		if err := c.setDeadline(now + c.idle + c.idle/readIdleSlack); err != nil {
			return 0, err
		}
	}
	return c.Conn.Write(p)
}

// setDeadline sets the read deadline at offset d from the dial.
func (c *readIdleConn) setDeadline(d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.Conn.SetReadDeadline(c.headers.born.Add(d)); err != nil {
		return err
	}
	c.until.Store(int64(d))
	return nil
}

// SetReadDeadline and SetDeadline set the connection's deadline; the next
// read sets its idle bound again.
func (c *readIdleConn) SetReadDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until.Store(math.MinInt64)
	return c.Conn.SetReadDeadline(t)
}

func (c *readIdleConn) SetDeadline(t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.until.Store(math.MinInt64)
	return c.Conn.SetDeadline(t)
}

// withFetchCredentials only matters in the browser build.
func withFetchCredentials(rt http.RoundTripper, _ string) http.RoundTripper { return rt }
