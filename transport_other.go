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
func newDefaultTransport(readIdle time.Duration) (http.RoundTripper, *dialGate) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdleConns
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.IdleConnTimeout = IdleConnTimeout
	t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	g := newDialGate()
	t.DialContext = g.dialContext(readIdleDialer(t.DialContext, readIdle))
	return t, g
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
