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

// defaultTransport is the transport used when the user gives no
// *http.Client: Go's default settings, with an idle pool sized for
// concurrent callers (Go keeps only 2 idle connections per host by default,
// so parallel use would churn connections) and the idle timeout above.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 128
	t.IdleConnTimeout = IdleConnTimeout
	return t
}

// withFetchCredentials only matters in the browser build.
func withFetchCredentials(rt http.RoundTripper, _ string) http.RoundTripper { return rt }
