package main

import (
	"os"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestLoginChecksTheStoredSession: on an https app with plain cookie
// names, the sign-in succeeds but every later command would send a
// __Secure- cookie the app ignores; login says so and stores nothing,
// instead of "Signed in". The same app with the usual names signs in.
func TestLoginChecksTheStoredSession(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		secure bool
	}{{"plain cookie names", false}, {"secure cookie names", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := guapocadotest.NewServer(guapocadotest.WithTLS(), guapocadotest.WithSecureCookies(tc.secure))
			t.Cleanup(srv.Close)
			if _, err := srv.SignUpWithOrganization(aliceEmail, alicePass, "Alice", "Acme", "acme"); err != nil {
				t.Fatal(err)
			}
			h := newHarnessOn(t, srv)
			h.transport = srv.Client().Transport
			r := h.run("login", "--email", aliceEmail)
			if tc.secure {
				if r.code != 0 || !strings.HasPrefix(r.stdout, "Signed in to https://") {
					t.Fatalf("%+v", r)
				}
				matches(t, h.ok("has", "csv-export"), `^csv-export: entitled\n$`)
				return
			}
			want := "guapocado: the app accepted the password but not the session as the CLI sends it, as the cookie __Secure-better-auth.session_token (an app on https with plain cookie names, advanced.useSecureCookies: false, or another cookie prefix ignores it); nothing was stored: see: guapocado doctor\n"
			if r.code != exitMisconfigured || r.stdout != "" || r.stderr != want {
				t.Fatalf("exit %d\nstdout %q\nstderr %q\nwant   %q", r.code, r.stdout, r.stderr, want)
			}
			if _, err := os.Stat(h.sessionFile()); !os.IsNotExist(err) {
				t.Errorf("a session was stored: %v", err)
			}
		})
	}
}
