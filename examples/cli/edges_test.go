package main

import (
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestCLIInvalidAPIKey: when the app's Guapocado API key is refused (the
// plugin's 401 "Invalid API key", no code), the CLI says the app is
// misconfigured instead of asking the user to sign in again.
func TestCLIInvalidAPIKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.org("Acme", "acme")
	h.ok("login", "--org", "acme", "--email", aliceEmail)
	h.srv.InjectFaults(1, guapocadotest.Fault{Path: guapocadotest.BasePath + "/guapocado/has", Status: 401, Body: `{"message":"Invalid API key"}`})
	r := h.run("has", "csv-export")
	if r.code != exitFailure || !strings.Contains(r.stderr, "the app is misconfigured (its Guapocado API key was refused)") || strings.Contains(r.stderr, "login") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}
