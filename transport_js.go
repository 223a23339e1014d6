//go:build js && wasm

package guapocado

import (
	"net/http"
	"strings"
	"syscall/js"
)

// browserBuild reports that this is the GOOS=js build, where net/http sends
// requests through the browser's fetch and the browser owns the cookies.
const browserBuild = true

// fetchCredentialsHeader is the pseudo-header net/http's js transport turns
// into the fetch "credentials" option (and deletes from the request it is
// given before the request goes out).
const fetchCredentialsHeader = "js.fetch:credentials"

// fetchInUse reports whether net/http's js transport sends requests through
// fetch here. It mirrors net/http's own test (roundtrip_js.go): fetch must
// exist and the program must not run under Node.js, where net/http uses its
// fake network instead and would put the pseudo-header on the wire (and fail
// on its invalid name).
var fetchInUse = func() bool {
	g := js.Global()
	if g.Get("fetch").IsUndefined() {
		return false
	}
	p := g.Get("process")
	return p.Type() != js.TypeObject || !strings.HasPrefix(p.Get("argv0").String(), "node")
}()

// defaultTransport returns the RoundTripper used when the user gives no
// *http.Client. In the browser it is an *http.Transport with no dial
// function of any kind: net/http uses fetch only when Dial, DialContext,
// DialTLS and DialTLSContext are all nil, and bypasses it otherwise.
func defaultTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	//lint:ignore SA1019 a deprecated dial hook set on the clone would still make net/http bypass fetch
	t.Dial = nil
	t.DialContext = nil
	//lint:ignore SA1019 a deprecated dial hook set on the clone would still make net/http bypass fetch
	t.DialTLS = nil
	t.DialTLSContext = nil
	return t
}

// withFetchCredentials wraps rt so that every attempt is sent on a fresh
// clone of the request carrying the fetch credentials mode ("include",
// "same-origin" or "omit"). net/http deletes the pseudo-header from the
// request it is given, so setting it once on a request that is retried would
// lose it from the second attempt on; the clone keeps the caller's request
// untouched. An empty mode leaves the browser default (same-origin) and
// returns rt itself, and so does a program where fetch is not in use (Node.js
// or an rt that dials), so the pseudo-header never reaches a real wire.
func withFetchCredentials(rt http.RoundTripper, mode string) http.RoundTripper {
	if mode == "" || !fetchInUse || dials(rt) {
		return rt
	}
	return &fetchCredentials{next: rt, mode: mode}
}

// dials reports whether rt is an *http.Transport that net/http will not send
// through fetch because it has a dial function.
func dials(rt http.RoundTripper) bool {
	t, ok := rt.(*http.Transport)
	//lint:ignore SA1019 net/http checks the deprecated dial hooks too before it uses fetch
	return ok && (t.Dial != nil || t.DialContext != nil || t.DialTLS != nil || t.DialTLSContext != nil)
}

// fetchCredentials is the RoundTripper returned by withFetchCredentials.
type fetchCredentials struct {
	next http.RoundTripper
	mode string
}

// RoundTrip sends a clone of req carrying the credentials pseudo-header.
func (f *fetchCredentials) RoundTrip(req *http.Request) (*http.Response, error) {
	r := req.Clone(req.Context())
	r.Header.Set(fetchCredentialsHeader, f.mode)
	return f.next.RoundTrip(r)
}
