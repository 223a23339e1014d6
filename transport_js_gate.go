//go:build js && wasm

package guapocado

import (
	"net"
	"net/http"
	"time"
)

// newDefaultTransport returns the browser build's default transport. It
// has no dial gate and no transport of fresh connections: fetch owns the
// connections (and every failed fetch of a write may have been sent).
func newDefaultTransport(time.Duration) (base, fresh http.RoundTripper, _ *dialGate) {
	return defaultTransport(), nil, nil
}

// freshConnections: fetch owns the connections.
func freshConnections(http.RoundTripper) http.RoundTripper { return nil }

// connWait: fetch owns the connections (and bounds its own waits).
func connWait(net.Conn) *headerWait { return nil }
