//go:build js && wasm

package guapocado

import (
	"net/http"
	"testing"
)

// TestNodeNoFetchPseudoHeader runs under Node.js (go_js_wasm_exec; see
// .ci/wasm.sh), where net/http does not use fetch even though Node has one:
// there the credentials pseudo-header would go on the wire, so it must not be
// added. (In Chromium, TestBrowserTransportUsesFetch checks the opposite.)
func TestNodeNoFetchPseudoHeader(t *testing.T) {
	if fetchInUse {
		t.Fatal("fetchInUse is true under Node.js")
	}
	tr := defaultTransport()
	if rt := withFetchCredentials(tr, "include"); rt != http.RoundTripper(tr) {
		t.Fatalf("withFetchCredentials wrapped the transport under Node.js: %T", rt)
	}
}
