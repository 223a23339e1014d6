package main

import (
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// hostRewriter sends every request for another host to target (a fake on
// 127.0.0.1), counting them: the CLI believes it talks to that host.
type hostRewriter struct {
	target *url.URL
	sent   atomic.Int32
}

func (rw *hostRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	rw.sent.Add(1)
	r2 := r.Clone(r.Context())
	r2.URL.Scheme, r2.URL.Host, r2.Host = rw.target.Scheme, rw.target.Host, ""
	return http.DefaultTransport.RoundTrip(r2)
}

// TestPlainHTTPRefusedBeforeAnyRequest: every command that would send a
// credential (the password, a device code, the session token) over plain
// http to a host that is not loopback refuses before any request, with
// the same message and the same opt-in flag, --insecure-http.
func TestPlainHTTPRefusedBeforeAnyRequest(t *testing.T) {
	t.Parallel()
	const remote = "http://billing.internal.test"
	srv := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins(remote), guapocadotest.WithDeviceTiming(0, 0))
	t.Cleanup(srv.Close)
	h := newHarnessOn(t, srv)
	h.org("Acme", "acme")
	target, _ := url.Parse(srv.URL)
	rw := &hostRewriter{target: target}
	h.transport = rw
	h.env["GUAPOCADO_BASE_URL"] = remote

	refused := func(what string, args ...string) {
		t.Helper()
		r := h.run(args...)
		want := "guapocado: plain http to billing.internal.test would send " + what + " in clear text: use https, or pass --insecure-http on a private network you trust\n"
		if r.code != exitUsage || r.stderr != want {
			t.Errorf("%q: exit %d, stderr %q, want %q", args, r.code, r.stderr, want)
		}
		if n := rw.sent.Load(); n != 0 {
			t.Fatalf("%q: %d requests sent", args, n)
		}
	}
	refused("the password", "login", "--email", aliceEmail)
	refused("the device code and the session token", "login", "--device")
	refused("the password", "signup", "--email", "bob@example.com")
	refused("the password and the session token", "doctor", "--email", aliceEmail)

	// A stored session for that host (from a login with --insecure-http).
	a := &app{env: func(k string) string { return h.env[k] }}
	if err := a.saveSession(&storedSession{BaseURL: remote, Email: aliceEmail, Token: "tok.sig"}); err != nil {
		t.Fatal(err)
	}
	refused("the session token", "has", "csv-export")
	refused("the session token", "usage", "balance", "api-calls")
	refused("the password and the session token", "doctor")

	// The opt-in: the same commands go through.
	matches(t, h.ok("--insecure-http", "login", "--email", aliceEmail, "--org", "acme"), `^Signed in to http://billing\.internal\.test as alice@example\.com`)
	matches(t, h.ok("has", "csv-export", "--insecure-http"), `^csv-export: entitled\n$`)
	if rw.sent.Load() == 0 {
		t.Error("nothing was sent with --insecure-http")
	}
	if r := h.run("has", "csv-export"); r.code != exitUsage || !strings.Contains(r.stderr, "pass --insecure-http") {
		t.Errorf("the opt-in is per run: %+v", r)
	}
}
