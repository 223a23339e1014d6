//go:build js && wasm

package guapocado

import (
	"strings"
	"testing"
)

// TestNodeNewAPIClientRefused: the WebAssembly build refuses platform mode,
// whatever the options, without echoing the key. Run under Node.js by
// .ci/wasm.sh (its ^TestNode step), and in Chromium as part of the package.
func TestNodeNewAPIClientRefused(t *testing.T) {
	for _, opts := range [][]Option{nil, {WithAPIURL("https://api.guapocado.dev"), WithCustomerID("org_1")}} {
		c, err := NewAPIClient(testAPIKey, opts...)
		if c != nil || err == nil {
			t.Fatal("NewAPIClient returned a client in the browser build")
		}
		if msg := err.Error(); !strings.Contains(msg, "secret keys must not ship to browsers") || strings.Contains(msg, testAPIKey) {
			t.Errorf("error %q", msg)
		}
	}
	// The session client still works there.
	if _, err := NewClient("https://app.example.com"); err != nil {
		t.Errorf("NewClient: %v", err)
	}
}
