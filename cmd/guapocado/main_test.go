package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

const (
	aliceEmail = "alice@example.com"
	alicePass  = "correct horse battery staple"
)

// harness runs the CLI in-process against one fake server, with its own
// config directory and environment.
type harness struct {
	t   *testing.T
	srv *guapocadotest.Server
	env map[string]string
	dir string
	// signup is Alice's session made on the server directly: the
	// "browser" session that creates organizations.
	signup guapocadotest.Session
	// transport, when set, carries the CLI's requests (app.transport).
	transport http.RoundTripper
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close)
	return newHarnessOn(t, srv)
}

// newHarnessOn is newHarness on a server of the test's own; Alice is
// signed up unless she already is.
func newHarnessOn(t *testing.T, srv *guapocadotest.Server) *harness {
	t.Helper()
	dir := t.TempDir()
	s, err := srv.SignUp(aliceEmail, alicePass, "Alice")
	if err != nil && !strings.Contains(err.Error(), "already exists") {
		t.Fatal(err)
	}
	return &harness{t: t, srv: srv, dir: dir, signup: s, env: map[string]string{
		"HOME":               filepath.Join(dir, "home"),
		"XDG_CONFIG_HOME":    filepath.Join(dir, "config"),
		"GUAPOCADO_BASE_URL": srv.URL,
		"GUAPOCADO_PASSWORD": alicePass,
	}}
}

type result struct {
	stdout, stderr string
	code           int
}

func (h *harness) runIn(stdin io.Reader, args ...string) result {
	h.t.Helper()
	var out, errOut bytes.Buffer
	a := newApp(h.t.Context(), stdin, &out, &errOut, func(k string) string { return h.env[k] })
	a.transport = h.transport
	code := a.main(args)
	r := result{out.String(), errOut.String(), code}
	// No secret ever reaches the terminal.
	for _, secret := range []string{alicePass, h.signup.Token} {
		if secret != "" && strings.Contains(r.stdout+r.stderr, secret) {
			h.t.Fatalf("%v printed a secret", args)
		}
	}
	if tok := h.storedToken(); tok != "" && strings.Contains(r.stdout+r.stderr, tok) {
		h.t.Fatalf("%v printed the session token", args)
	}
	return r
}

func (h *harness) run(args ...string) result {
	h.t.Helper()
	return h.runIn(strings.NewReader(""), args...)
}

// ok runs a command that must succeed and returns its standard output.
func (h *harness) ok(args ...string) string {
	h.t.Helper()
	r := h.run(args...)
	if r.code != 0 || r.stderr != "" {
		h.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// fails runs a command that must exit with code and print want on stderr.
func (h *harness) fails(code int, want string, args ...string) {
	h.t.Helper()
	r := h.run(args...)
	if r.code != code || !strings.Contains(r.stderr, want) {
		h.t.Fatalf("%v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", args, r.code, code, want, r.stdout, r.stderr)
	}
}

func (h *harness) sessionFile() string {
	return filepath.Join(h.env["XDG_CONFIG_HOME"], "guapocado", "session.json")
}

func (h *harness) storedToken() string {
	b, err := os.ReadFile(h.sessionFile())
	if err != nil {
		return ""
	}
	var s storedSession
	_ = json.Unmarshal(b, &s)
	return s.Token
}

// org creates an organization Alice belongs to (not active in the CLI's session).
func (h *harness) org(name, slug string) guapocadotest.Session {
	h.t.Helper()
	s, err := h.srv.CreateOrganization(h.signup.Token, name, slug)
	if err != nil {
		h.t.Fatal(err)
	}
	return s
}

func matches(t *testing.T, out string, patterns ...string) {
	t.Helper()
	for _, p := range patterns {
		if !regexp.MustCompile(p).MatchString(out) {
			t.Errorf("output lacks %s:\n%s", p, out)
		}
	}
}

func TestCLISessionLifecycle(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	out := h.ok("login", "--email", aliceEmail)
	matches(t, out,
		`^Signed in to http://127\.0\.0\.1:\d+ as alice@example\.com \(Alice\)\.\n`,
		`(?m)^You belong to no organization yet: run: guapocado orgs create <name>$`)

	// The session file: 0600 in a 0700 directory, the token but not the password.
	fi, err := os.Stat(h.sessionFile())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("session file mode %v, want 0600", fi.Mode().Perm())
	}
	if di, err := os.Stat(filepath.Dir(h.sessionFile())); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("session directory: %v %v, want 0700", di.Mode().Perm(), err)
	}
	raw, err := os.ReadFile(h.sessionFile())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte(alicePass)) || bytes.Contains(raw, []byte("password")) {
		t.Errorf("the session file holds the password: %s", raw)
	}
	var fields map[string]any
	if err := json.Unmarshal(raw, &fields); err != nil || len(fields) != 4 || fields["email"] != aliceEmail || fields["baseUrl"] != h.srv.URL || fields["token"] == "" {
		t.Errorf("session file %v (%v)", fields, err)
	}
	token := h.storedToken()

	// Signed in, with no organization: the hint is to create one.
	h.fails(exitNoCustomer, "no active organization, and you belong to none: run: guapocado orgs create <name>", "has", "csv-export")
	h.fails(exitNoCustomer, "no active organization, and you belong to none: run: guapocado orgs create <name>", "usage", "balance", "ai-credits")
	h.fails(exitNoCustomer, "no active organization, and you belong to none: run: guapocado orgs create <name>", "teams", "list")

	acme := h.org("Acme", "acme")
	h.org("Beta", "beta")
	// Organizations to choose from, none active: the hint is to choose one.
	h.fails(exitNoCustomer, "no active organization: run: guapocado orgs use <slug>", "has", "csv-export")
	matches(t, h.ok("orgs", "list"),
		`^ACTIVE +SLUG +NAME +ID\n`,
		`(?m)^ +acme +Acme +`+acme.OrganizationID+`$`,
		`(?m)^ +beta +Beta +\w+$`)
	h.fails(1, `you are not a member of an organization "gamma"`, "orgs", "use", "gamma")
	matches(t, h.ok("orgs", "use", "acme"), `^Active organization: Acme \(acme\)\.\n$`)
	matches(t, h.ok("orgs", "list"), `(?m)^\* +acme +Acme +`+acme.OrganizationID+`$`, `(?m)^ +beta +Beta`)

	matches(t, h.ok("has", "csv-export"), `^csv-export: entitled\n$`)
	r := h.run("has", "advanced-analytics")
	if r.code != exitNotEntitled || r.stdout != "advanced-analytics: not entitled\n" || r.stderr != "" {
		t.Errorf("has advanced-analytics: %+v", r)
	}
	h.fails(1, `unknown key "no-such-feature": not in this app's catalogue`, "has", "no-such-feature")

	matches(t, h.ok("usage", "balance", "ai-credits"),
		`^METER +BALANCE +INCLUDED +CONSUMED +OVERAGE +RESETS\n`,
		`(?m)^ai-credits +10 +10 +0 +0 +never$`)
	matches(t, h.ok("usage", "consume", "ai-credits", "4"), `^Consumed 4 ai-credits\.\n`, `(?m)^ai-credits +6 +10 +4 +0 +never$`)
	if u, err := h.srv.Usage(acme.OrganizationID, "ai-credits"); err != nil || u.Consumed != 4 {
		t.Errorf("ledger: %+v %v", u, err)
	}
	h.fails(exitInsufficient, "insufficient balance: 7 ai-credits requested, 6 left of 10", "usage", "consume", "ai-credits", "7")
	matches(t, h.ok("usage", "refund", "ai-credits", "4"), `^Refunded 4 ai-credits\.\n`, `(?m)^ai-credits +10 +10 +0 +0 +never$`)
	matches(t, h.ok("usage", "consume", "api-calls"), `(?m)^api-calls +99 +100 +1 +0 +\d{4}-\d\d-01 00:00 UTC$`)

	matches(t, h.ok("limit", "seats"), `^LIMIT +VALUE +INCLUDED +PURCHASED +EXPANSION\n`, `(?m)^seats +3 +3 +0 +not allowed$`)
	matches(t, h.ok("plans"),
		`^KEY +NAME +PRICE\n`,
		`(?m)^free +Free +USD 0\.00/month$`,
		`(?m)^pro +Pro +USD 29\.00/month$`,
		`(?m)^credits-pack +1,000 AI credits +USD 10\.00 once$`,
		`(?m)^enterprise +Enterprise +custom$`)
	matches(t, h.ok("subscription"), `^No subscription\.\n$`)
	// Flags after the positional argument work too.
	matches(t, h.ok("checkout", "credits-pack", "--success-url", "https://app.example.com/ok", "--cancel-url", "https://app.example.com/billing"),
		`^Open this page to pay for credits-pack:\nhttps?://\S+\n$`)
	h.fails(exitUsage, `invalid successUrl: must be an absolute URL`, "checkout", "pro", "--success-url", "/ok")

	// Another app than the stored session's.
	h.fails(exitNotSignedIn, "not signed in to http://127.0.0.1:1 (the stored session is for "+h.srv.URL+"): run: guapocado login",
		"--base-url", "http://127.0.0.1:1", "has", "csv-export")

	matches(t, h.ok("logout"), `^Signed out\.\n$`)
	if _, err := os.Stat(h.sessionFile()); !os.IsNotExist(err) {
		t.Errorf("session file after logout: %v", err)
	}
	// The server forgot the session too.
	c, err := guapocado.NewClient(h.srv.URL, guapocado.WithSessionToken(token))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := c.Auth.Session(t.Context()); info != nil || err != nil {
		t.Errorf("the session survived logout: %+v %v", info, err)
	}
	h.fails(exitNotSignedIn, "not signed in: run: guapocado login", "has", "csv-export")
	matches(t, h.ok("logout"), `^Not signed in\.\n$`)
}

func TestCLIJSON(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	acme := h.org("Acme", "acme")
	sdk, err := guapocado.NewClient(h.srv.URL, guapocado.WithBearerToken(h.signup.Token))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sdk.Subscription.Change(t.Context(), "pro"); err != nil {
		t.Fatal(err)
	}

	decode := func(out string, v any) {
		t.Helper()
		dec := json.NewDecoder(strings.NewReader(out))
		if err := dec.Decode(v); err != nil || dec.More() {
			t.Fatalf("not one JSON value (%v):\n%s", err, out)
		}
	}

	var login struct {
		BaseURL            string
		User               guapocado.User
		ActiveOrganization *guapocado.Organization
		Organizations      []guapocado.Organization
	}
	decode(h.ok("--json", "login", "--org", "acme", "--email", aliceEmail), &login)
	if login.BaseURL != h.srv.URL || login.User.Email != aliceEmail || login.ActiveOrganization == nil ||
		login.ActiveOrganization.ID != acme.OrganizationID || len(login.Organizations) != 1 {
		t.Errorf("login: %+v", login)
	}

	var orgs []struct {
		ID, Slug string
		Active   bool
	}
	decode(h.ok("orgs", "list", "--json"), &orgs)
	if len(orgs) != 1 || orgs[0].ID != acme.OrganizationID || orgs[0].Slug != "acme" || !orgs[0].Active {
		t.Errorf("orgs list: %+v", orgs)
	}
	var org guapocado.Organization
	decode(h.ok("--json", "orgs", "use", acme.OrganizationID), &org)
	if org.Slug != "acme" {
		t.Errorf("orgs use: %+v", org)
	}

	var has struct {
		Key     string
		Allowed bool
	}
	decode(h.ok("--json", "has", "advanced-analytics"), &has) // pro includes it
	if has.Key != "advanced-analytics" || !has.Allowed {
		t.Errorf("has: %+v", has)
	}

	var u guapocado.Usage
	decode(h.ok("usage", "consume", "ai-credits", "5", "--json"), &u)
	if u.Key != "ai-credits" || u.CustomerID != acme.OrganizationID || u.Balance != 495 || u.Consumed != 5 || u.Resets != nil {
		t.Errorf("consume: %+v", u)
	}
	decode(h.ok("--json", "usage", "refund", "ai-credits", "2"), &u)
	if u.Balance != 497 {
		t.Errorf("refund: %+v", u)
	}
	decode(h.ok("--json", "usage", "balance", "api-calls"), &u)
	if u.Key != "api-calls" || u.Included != 10000 || !u.OverageAllowed || u.Resets == nil {
		t.Errorf("balance: %+v", u)
	}

	var l map[string]any
	decode(h.ok("--json", "limit", "seats"), &l)
	if l["key"] != "seats" || l["limit"] != 10.0 || l["expansionAllowed"] != true {
		t.Errorf("limit: %v", l)
	}

	var plans []guapocado.Plan
	decode(h.ok("--json", "plans"), &plans)
	if len(plans) != 4 || plans[1].Key != "pro" || plans[1].Config.Entitlements["advanced-analytics"].Enabled != true {
		t.Errorf("plans: %+v", plans)
	}

	var sub struct{ Subscription *guapocado.Subscription }
	decode(h.ok("--json", "subscription"), &sub)
	if sub.Subscription == nil || sub.Subscription.PlanKey != "pro" || sub.Subscription.Status != guapocado.StatusActive {
		t.Errorf("subscription: %+v", sub.Subscription)
	}
	matches(t, h.ok("subscription"), `^PLAN +STATUS +PERIOD +ID\n`, `(?m)^pro +active +\d{4}-\d\d-\d\d to \d{4}-\d\d-01 +\S+$`)

	var co guapocado.Checkout
	decode(h.ok("--json", "checkout", "credits-pack"), &co)
	if co.CustomerID != acme.OrganizationID || !strings.HasPrefix(co.URL, "http") {
		t.Errorf("checkout: %+v", co)
	}

	var out map[string]bool
	decode(h.ok("--json", "logout"), &out)
	if !out["signedOut"] {
		t.Errorf("logout: %v", out)
	}
}

func TestCLIInsufficientBalanceAndExpiredSession(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.org("Acme", "acme")
	h.ok("login", "--org", "acme", "--email", aliceEmail)
	h.ok("usage", "consume", "ai-credits", "10")
	h.fails(exitInsufficient, "insufficient balance: 1 ai-credits requested, 0 left of 10", "usage", "consume", "ai-credits")
	// Under --json the error is one JSON object on stderr; stdout stays empty.
	r := h.run("--json", "usage", "consume", "ai-credits")
	if r.code != exitInsufficient || r.stdout != "" || !strings.Contains(r.stderr, `"kind": "insufficient_balance"`) || !strings.Contains(r.stderr, `"exitCode": 4`) {
		t.Errorf("--json insufficient balance: %+v", r)
	}

	// The server ends the session (expired, or signed out elsewhere).
	c, err := guapocado.NewClient(h.srv.URL, guapocado.WithSessionToken(h.storedToken()))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Auth.SignOut(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.fails(exitNotSignedIn, "not signed in, or the session expired: run: guapocado login", "has", "csv-export")
	h.fails(exitNotSignedIn, "not signed in, or the session expired: run: guapocado login", "orgs", "list")
	// Logging out of a dead session still deletes it.
	matches(t, h.ok("logout"), `^Signed out\.\n$`)
}

func TestCLILogin(t *testing.T) {
	t.Parallel()
	h := newHarness(t)

	// Wrong password: nothing stored.
	h.env["GUAPOCADO_PASSWORD"] = "not the password"
	h.fails(exitNotSignedIn, "wrong email or password", "login", "--email", aliceEmail)
	if _, err := os.Stat(h.sessionFile()); !os.IsNotExist(err) {
		t.Errorf("a failed login left a session file: %v", err)
	}

	// No password anywhere and no terminal to ask on.
	delete(h.env, "GUAPOCADO_PASSWORD")
	h.fails(1, "cannot prompt for the password without a terminal: set GUAPOCADO_PASSWORD or use --password-stdin", "login", "--email", aliceEmail)

	// Email from the prompt, password from standard input.
	r := h.runIn(strings.NewReader(aliceEmail+"\n"+alicePass+"\n"), "login", "--password-stdin")
	if r.code != 0 || r.stderr != "Email: " || !strings.HasPrefix(r.stdout, "Signed in to ") {
		t.Fatalf("login with prompt and --password-stdin: %+v", r)
	}
	first := h.storedToken()

	// Email from the environment; logging in again replaces (and ends) the old session.
	h.env["GUAPOCADO_EMAIL"] = aliceEmail
	h.env["GUAPOCADO_PASSWORD"] = alicePass
	h.ok("login")
	if second := h.storedToken(); second == "" || second == first {
		t.Errorf("second login kept the first token")
	}
	c, err := guapocado.NewClient(h.srv.URL, guapocado.WithSessionToken(first))
	if err != nil {
		t.Fatal(err)
	}
	if info, err := c.Auth.Session(t.Context()); info != nil || err != nil {
		t.Errorf("the replaced session is still alive: %+v %v", info, err)
	}

	// The stored base URL serves later logins and commands without the environment.
	delete(h.env, "GUAPOCADO_BASE_URL")
	h.ok("login")
	h.fails(exitNoCustomer, "no active organization", "has", "csv-export")
}

func TestCLIUsageErrors(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	for _, args := range [][]string{
		{},
		{"frobnicate"},
		{"has"},
		{"has", "a", "b"},
		{"usage", "consume", "ai-credits", "0"},
		{"usage", "consume", "ai-credits", "1.5"},
		{"usage", "balance", "ai-credits", "3"},
		{"usage", "frob", "ai-credits"},
		{"orgs"},
		{"orgs", "use"},
		{"orgs", "delete", "acme"},
		{"checkout"},
		{"plans", "--no-such-flag"},
		{"--no-such-flag", "plans"},
	} {
		r := h.run(args...)
		if r.code != exitUsage || !strings.Contains(r.stderr, "usage: guapocado") || r.stdout != "" {
			t.Errorf("%q: exit %d\nstdout %s\nstderr %s", args, r.code, r.stdout, r.stderr)
		}
	}
	for _, args := range [][]string{{"help"}, {"--help"}, {"has", "-h"}} {
		if r := h.run(args...); r.code != 0 || !strings.HasPrefix(r.stdout, "usage: guapocado") {
			t.Errorf("%q: %+v", args, r)
		}
	}
	delete(h.env, "GUAPOCADO_BASE_URL")
	h.fails(exitUsage, "login: which app? pass --base-url or set GUAPOCADO_BASE_URL", "login")
	h.fails(exitNotSignedIn, "not signed in: run: guapocado login", "plans")
	// A damaged session file says what to do.
	if err := os.MkdirAll(filepath.Dir(h.sessionFile()), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.sessionFile(), []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.fails(exitNotSignedIn, "session.json is damaged: run: guapocado login", "plans")
}
