package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

const pageOrigin = "http://page.example.test:5173"

var allChecks = []string{"mount", "cookies", "origin", "bearer", "cors", "session", "webhooks", "clock", "keepalive"}

// doctorHarness is a harness on a server with the given options.
func doctorCase(t *testing.T, withOrg bool, tokType string, opts ...guapocadotest.Option) (map[string]check, int, string) {
	t.Helper()
	srv := guapocadotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	sess, err := srv.SignUp(aliceEmail, alicePass, "Alice")
	if err != nil {
		t.Fatal(err)
	}
	if withOrg {
		if sess, err = srv.CreateOrganization(sess.Token, "Acme", "acme"); err != nil {
			t.Fatal(err)
		}
	}
	h := &harness{t: t, srv: srv, signup: sess, dir: t.TempDir()}
	h.env = map[string]string{
		"HOME": h.dir + "/home", "XDG_CONFIG_HOME": h.dir + "/config",
		"GUAPOCADO_BASE_URL": srv.URL, "GUAPOCADO_PASSWORD": alicePass, "GUAPOCADO_EMAIL": aliceEmail,
	}
	a := &app{env: func(k string) string { return h.env[k] }}
	if err := a.saveSession(&storedSession{BaseURL: srv.URL, Email: aliceEmail, Token: sess.Token, TokenType: tokType}); err != nil {
		t.Fatal(err)
	}
	var out, errOut strings.Builder
	app := newApp(t.Context(), strings.NewReader(""), &out, &errOut, func(k string) string { return h.env[k] })
	app.transport = srv.Client().Transport
	code := app.main([]string{"--json", "doctor", "--page-origin", pageOrigin})
	var res struct {
		OK     bool
		Checks []check
	}
	if err := json.Unmarshal([]byte(out.String()), &res); err != nil {
		t.Fatalf("doctor output %q (%v); stderr %s", out.String(), err, errOut.String())
	}
	for _, s := range []string{alicePass, sess.Token} {
		if strings.Contains(out.String()+errOut.String(), s) {
			t.Fatal("doctor printed a secret")
		}
	}
	got := map[string]check{}
	for _, c := range res.Checks {
		got[c.Name] = c
	}
	if len(got) != len(allChecks) || res.OK != (code == 0) {
		t.Fatalf("checks %+v, ok %v, exit %d", res.Checks, res.OK, code)
	}
	return got, code, errOut.String()
}

// TestDoctor (acceptance 2): an app set up right passes every check; each
// misconfiguration fails exactly its own check, with a fix.
func TestDoctor(t *testing.T) {
	t.Parallel()
	right := []guapocadotest.Option{
		guapocadotest.WithWebhookSecret("whsec_test"),
		guapocadotest.WithCORS(pageOrigin),
		guapocadotest.WithTrustedOrigins(pageOrigin),
	}
	with := func(opts ...guapocadotest.Option) []guapocadotest.Option {
		return append(append([]guapocadotest.Option(nil), right...), opts...)
	}
	for _, tc := range []struct {
		name    string
		opts    []guapocadotest.Option
		withOrg bool
		tokType string
		fails   string // the one failing check; "" for none
		detail  string
	}{
		{"right", right, true, "", "", ""},
		{"right over https", with(guapocadotest.WithTLS()), true, "", "", ""},
		{"https base URL with a plain cookie name", with(guapocadotest.WithTLS(), guapocadotest.WithSecureCookies(false)), true, "bearer", "cookies", `without the __Secure- prefix`},
		{"cookie prefix", with(guapocadotest.WithCookiePrefix("myapp")), true, "bearer", "cookies", `the app sets the cookie prefix "myapp"`},
		{"untrusted page origin", []guapocadotest.Option{guapocadotest.WithWebhookSecret("s"), guapocadotest.WithCORS(pageOrigin)}, true, "", "origin", "from the page origin " + pageOrigin + " was refused"},
		{"missing exposed headers", with(guapocadotest.WithExposedHeaders("")), true, "", "cors", "Access-Control-Expose-Headers lacks set-auth-token, X-Retry-After, Retry-After"},
		{"no bearer plugin", with(guapocadotest.WithoutBearer()), true, "", "bearer", "no set-auth-token header"},
		{"no active organization", right, false, "", "session", "has no active organization or team"},
		{"webhook receiver not registered", []guapocadotest.Option{guapocadotest.WithCORS(pageOrigin), guapocadotest.WithTrustedOrigins(pageOrigin)}, true, "", "webhooks", `not registered ({"enabled":false})`},
		{"skewed clock", with(guapocadotest.WithClockSkew(10 * time.Minute)), true, "", "clock", "10m0s ahead of this machine's"},
		{"clock seconds behind", with(guapocadotest.WithClockSkew(-20 * time.Second)), true, "", "clock", "20s behind this machine's"},
		{"short keep-alive", with(guapocadotest.WithIdleTimeout(time.Second)), true, "", "keepalive", "closed an idle connection after"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checks, code, stderr := doctorCase(t, tc.withOrg, tc.tokType, tc.opts...)
			for _, name := range allChecks {
				c := checks[name]
				if name == tc.fails {
					if c.Status != statusFail || !strings.Contains(c.Detail, tc.detail) || c.Fix == "" {
						t.Errorf("%s: want a failure with %q and a fix, got %+v", name, tc.detail, c)
					}
				} else if c.Status != statusPass {
					t.Errorf("%s did not pass: %+v", name, c)
				}
			}
			if tc.fails == "" && code != 0 || tc.fails != "" && (code != exitMisconfigured || !strings.Contains(stderr, "1 of 9 checks failed")) {
				t.Errorf("exit %d, stderr %q", code, stderr)
			}
		})
	}
}

// TestDoctorText: the text report names each check with PASS or FAIL and
// the fix under a failure.
func TestDoctorText(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithoutBearer())
	t.Cleanup(srv.Close)
	if _, err := srv.SignUpWithOrganization(aliceEmail, alicePass, "Alice", "Acme", "acme"); err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, srv)
	h.ok("login", "--email", aliceEmail)
	r := h.run("doctor")
	if r.code != exitMisconfigured {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout, `^Checking http://127\.0\.0\.1:\d+\n`, `(?m)^PASS  mount +Better Auth and the Guapocado plugin answer`,
		`(?m)^FAIL  bearer +the sign-in answer carries no set-auth-token header`, `(?m)^ +fix: add bearer\(\) to betterAuth`,
		`(?m)^FAIL  webhooks `, `(?m)^SKIP  cors +no page origin to check`, `(?m)^ +to run it: pass --page-origin `)
	if r.stderr != "guapocado: doctor: 2 of 9 checks failed\n" {
		t.Errorf("stderr %q", r.stderr)
	}
}

// TestDoctorSkipsWhatItCannotRun: right after the README's login (the
// password given to login only), doctor cannot sign in for the bearer
// check: it skips it, names the stored session's email in what would let
// it run, and exits 0; a skip is not a failure.
func TestDoctorSkipsWhatItCannotRun(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithWebhookSecret("whsec_test"))
	t.Cleanup(srv.Close)
	if _, err := srv.SignUpWithOrganization(aliceEmail, alicePass, "Alice", "Acme", "acme"); err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, srv)
	h.ok("login", "--email", aliceEmail)
	delete(h.env, "GUAPOCADO_PASSWORD")
	r := h.run("doctor")
	if r.code != 0 || r.stderr != "" {
		t.Fatalf("%+v", r)
	}
	matches(t, r.stdout,
		`(?m)^SKIP  bearer +set-auth-token is sent only on a sign-in, and signing in as alice@example\.com needs the password$`,
		`(?m)^ +to run it: set GUAPOCADO_PASSWORD for alice@example\.com \(or pass --password-stdin\)$`,
		`(?m)^SKIP  cors +no page origin to check`,
		`(?m)^PASS  session +the stored session of alice@example\.com bills organization `,
		`(?m)^No check failed; 2 skipped \(see "to run it"\)\.$`)
	if strings.Contains(r.stdout, "FAIL") {
		t.Errorf("a check failed:\n%s", r.stdout)
	}

	var res struct {
		OK     bool
		Checks []check
	}
	r = h.run("--json", "doctor")
	if err := json.Unmarshal([]byte(r.stdout), &res); err != nil || r.code != 0 || !res.OK {
		t.Fatalf("%+v (%v)", r, err)
	}
	statuses := map[string]string{}
	for _, c := range res.Checks {
		statuses[c.Name] = c.Status
		if c.Status == statusSkip && (c.ToRun == "" || c.Fix != "") || c.Status == statusFail {
			t.Errorf("check %+v", c)
		}
	}
	if statuses["bearer"] != statusSkip || statuses["cors"] != statusSkip || statuses["mount"] != statusPass {
		t.Errorf("statuses %v", statuses)
	}
}
