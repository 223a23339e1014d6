//go:build js && wasm

package guapocado

import (
	"net/http"
	"time"
)

// newDefaultTransport returns the browser build's default transport. It
// has no dial gate: fetch owns the connections.
func newDefaultTransport(time.Duration) (http.RoundTripper, *dialGate) {
	return defaultTransport(), nil
}
