//go:build !(js && wasm)

package guapocado

import (
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
// and dials going through a dialGate (returned too), which drops the dials
// a burst of calls does not need.
func newDefaultTransport() (http.RoundTripper, *dialGate) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = maxIdleConns
	t.MaxIdleConnsPerHost = maxIdleConnsPerHost
	t.IdleConnTimeout = IdleConnTimeout
	t.ResponseHeaderTimeout = DefaultResponseHeaderTimeout
	g := newDialGate()
	t.DialContext = g.dialContext(t.DialContext)
	return t, g
}

// withFetchCredentials only matters in the browser build.
func withFetchCredentials(rt http.RoundTripper, _ string) http.RoundTripper { return rt }
