//go:build !(js && wasm)

package guapocado

import "time"

// The connection's side of a headerWait: only the default transport's own
// connections (transport_other.go) read and time it; in the browser, fetch
// has no connections to bound.

// sent starts the clock of a wait at now (an offset from born), when the
// connection writes (the request goes out; the connection reads the clock
// then anyway).
func (w *headerWait) sent(now time.Duration) {
	if w.since.Load() == unsent {
		w.since.CompareAndSwap(unsent, int64(now))
	}
}

// due returns when the current wait runs out, as an offset from born, and
// whether any attempt waits on a request that went out.
func (w *headerWait) due(bound time.Duration) (time.Duration, bool) {
	if w.waiting.Load() <= 0 {
		return 0, false
	}
	since := w.since.Load()
	if since == unsent {
		return 0, false
	}
	return time.Duration(since) + bound, true
}

// errHeaderTimeout fails the reads of a connection whose attempts waited
// for their answer's headers past the bound (DefaultResponseHeaderTimeout).
// It is a net.Error timeout.
var errHeaderTimeout error = headerTimeout{}

type headerTimeout struct{}

func (headerTimeout) Error() string {
	return "timeout awaiting response headers (DefaultResponseHeaderTimeout)"
}
func (headerTimeout) Timeout() bool   { return true }
func (headerTimeout) Temporary() bool { return true }
