package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Doctor's thresholds.
const (
	// clientIdleTimeout is how long the SDK keeps an idle connection; the
	// server must keep it open longer.
	clientIdleTimeout = 4 * time.Second
	// maxClockSkew is the largest server clock offset doctor accepts. The
	// read model orders what it stores by the server's clock, but measures
	// an answer's age (MaxAge, Meta.Age) and a webhook claim's lease by
	// this machine's: a skew moves both by as much.
	maxClockSkew = 5 * time.Second
	// foreignOrigin is an origin no app trusts.
	foreignOrigin = "https://doctor-foreign-origin.invalid"
)

// check is one doctor verdict. Status is one of:
//   - pass: the check ran and found the app right;
//   - fail: the check ran and found a problem; Fix says what to change;
//   - skip: the check could not run; ToRun says what would let it run.
//     A skipped check does not fail doctor's exit status.
type check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
	ToRun  string `json:"toRun,omitempty"`
}

// Check statuses.
const (
	statusPass = "pass"
	statusFail = "fail"
	statusSkip = "skip"
)

// doctor holds one diagnosis in progress.
type doctor struct {
	a      *app
	base   string // the app, no trailing slash
	api    string // base + /api/auth
	origin string // base's origin
	hc     *http.Client
	skews  []time.Duration
}

func pass(name, detail string) check { return check{Name: name, Status: statusPass, Detail: detail} }
func fail(name, detail, fix string) check {
	return check{Name: name, Status: statusFail, Detail: detail, Fix: fix}
}
func skip(name, detail, toRun string) check {
	return check{Name: name, Status: statusSkip, Detail: detail, ToRun: toRun}
}

func originOf(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

func (a *app) doctor(fs *flag.FlagSet) func(args []string) error {
	page := fs.String("page-origin", "", "check CORS for a browser page served from this `URL`'s origin")
	email := fs.String("email", "", "the account's `EMAIL` to sign in with (default: $GUAPOCADO_EMAIL, then the stored session's)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from standard input (default: $GUAPOCADO_PASSWORD, else a prompt)")
	return func(args []string) error {
		if _, err := a.positional(args, 0, 0, fs); err != nil {
			return err
		}
		stored, err := a.loadSession()
		var insecure *insecureError
		if errors.As(err, &insecure) {
			return err
		}
		base := a.baseURL
		if base == "" && stored != nil {
			base = stored.BaseURL
		}
		if base == "" {
			return usagef("doctor: which app? pass --base-url or set GUAPOCADO_BASE_URL")
		}
		base = trimSlash(base)
		if originOf(base) == "" {
			return usagef("doctor: --base-url %q is not an absolute URL", base)
		}
		if *page != "" && originOf(*page) == "" {
			return usagef("doctor: --page-origin %q is not an origin (scheme://host[:port])", *page)
		}
		if stored != nil && trimSlash(stored.BaseURL) != base {
			stored = nil
		}
		// Credentials for the sign-in checks: flags, environment, the stored
		// session's email; the password as login reads it. None of them
		// crosses a network in clear text.
		addr := *email
		if addr == "" {
			addr = a.env("GUAPOCADO_EMAIL")
		}
		if addr == "" && stored != nil {
			addr = stored.Email
		}
		if stored != nil || addr != "" {
			if err := a.refuseCleartext(base, "the password and the session token"); err != nil {
				return err
			}
		}
		var pw string
		if addr != "" {
			if pw, err = a.password(*fromStdin); err != nil {
				pw = ""
			}
		}

		d := &doctor{a: a, base: base, api: base + "/api/auth", origin: originOf(base),
			hc: &http.Client{Transport: a.transportOrDefault(), CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		defer d.hc.CloseIdleConnections()

		// The keep-alive probe waits past the client's idle timeout: run it
		// beside the other checks.
		keep := make(chan check, 1)
		go func() { keep <- d.keepAlive() }()

		checks := []check{d.mount(), d.cookies()}
		checks = append(checks, d.origins(*page))
		fresh, bearer := d.bearer(addr, pw, stored)
		checks = append(checks, bearer, d.cors(*page), d.session(stored, fresh), d.webhooks(), d.clock(), <-keep)
		if fresh != "" {
			d.signOut(fresh)
		}

		failed, skipped := 0, 0
		for _, c := range checks {
			switch c.Status {
			case statusFail:
				failed++
			case statusSkip:
				skipped++
			}
		}
		if a.json {
			if err := a.printJSON(struct {
				BaseURL string  `json:"baseUrl"`
				OK      bool    `json:"ok"`
				Checks  []check `json:"checks"`
			}{base, failed == 0, checks}); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(a.stdout, "Checking %s\n", base)
			for _, c := range checks {
				fmt.Fprintf(a.stdout, "%s  %-9s %s\n", strings.ToUpper(c.Status), c.Name, c.Detail)
				if c.Fix != "" {
					fmt.Fprintf(a.stdout, "                fix: %s\n", c.Fix)
				}
				if c.ToRun != "" {
					fmt.Fprintf(a.stdout, "                to run it: %s\n", c.ToRun)
				}
			}
		}
		if failed > 0 {
			return failf(exitMisconfigured, "doctor", "doctor: %d of %d checks failed", failed, len(checks))
		}
		switch {
		case a.json:
		case skipped > 0:
			fmt.Fprintf(a.stdout, "No check failed; %d skipped (see \"to run it\").\n", skipped)
		default:
			fmt.Fprintln(a.stdout, "All checks passed.")
		}
		return nil
	}
}

// do sends one request bounded by --timeout and reads its body (capped),
// noting the server's clock from the Date header.
func (d *doctor) do(method, target string, hdr http.Header, body string) (*http.Response, []byte, error) {
	ctx, cancel := context.WithTimeout(d.a.parent, d.a.timeout)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, target, rd)
	if err != nil {
		return nil, nil, err
	}
	for k, vs := range hdr {
		req.Header[k] = vs
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	sent := time.Now()
	resp, err := d.hc.Do(req)
	if err != nil {
		if ctx.Err() != nil && d.a.parent.Err() == nil {
			return nil, nil, fmt.Errorf("no answer within %s", d.a.timeout)
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if t, err := http.ParseTime(resp.Header.Get("Date")); err == nil {
		mid := sent.Add(time.Since(sent) / 2)
		d.skews = append(d.skews, t.Sub(mid.Truncate(time.Second)))
	}
	return resp, b, nil
}

func hdr(kv ...string) http.Header {
	h := http.Header{}
	for i := 0; i+1 < len(kv); i += 2 {
		h.Set(kv[i], kv[i+1])
	}
	return h
}

// mount: Better Auth answers at {base}/api/auth and the Guapocado plugin's
// endpoints exist there.
func (d *doctor) mount() check {
	const name = "mount"
	resp, body, err := d.do("GET", d.api+"/ok", nil, "")
	if err != nil {
		return fail(name, "GET /api/auth/ok: "+err.Error(), "start the app, or pass the URL it is served at to --base-url")
	}
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"ok":true`) {
		return fail(name, fmt.Sprintf("GET /api/auth/ok answered %d: Better Auth is not mounted at %s/api/auth", resp.StatusCode, d.base),
			"mount Better Auth's handler at /api/auth (its basePath), or pass the app's root URL to --base-url")
	}
	resp, _, err = d.do("GET", d.api+"/guapocado/plans", nil, "")
	if err != nil {
		return fail(name, "GET /api/auth/guapocado/plans: "+err.Error(), "")
	}
	if resp.StatusCode == http.StatusNotFound {
		return fail(name, "Better Auth answers, but GET /api/auth/guapocado/plans is 404: the Guapocado plugin is not mounted",
			"add the Guapocado plugin to betterAuth({ plugins: [..., guapocado({...})] })")
	}
	return pass(name, "Better Auth and the Guapocado plugin answer at "+d.api)
}

// cookies: the session cookie's name is what clients expect for this base
// URL (__Secure- exactly when it is https; the default prefix).
func (d *doctor) cookies() check {
	const name = "cookies"
	resp, _, err := d.do("POST", d.api+"/sign-out", hdr("Content-Type", "application/json"), "{}")
	if err != nil {
		return fail(name, "POST /api/auth/sign-out: "+err.Error(), "")
	}
	cookie := ""
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, ".session_token") {
			cookie = c.Name
		}
	}
	if cookie == "" {
		return fail(name, fmt.Sprintf("POST /api/auth/sign-out (%d) cleared no *.session_token cookie: cannot tell the session cookie's name", resp.StatusCode),
			"check that Better Auth serves /api/auth (see mount)")
	}
	https := strings.HasPrefix(d.base, "https://")
	secure := strings.HasPrefix(cookie, "__Secure-")
	prefix := strings.TrimSuffix(strings.TrimPrefix(cookie, "__Secure-"), ".session_token")
	switch {
	case https && !secure:
		return fail(name, fmt.Sprintf("the app is served over https but its session cookie is %q, without the __Secure- prefix that clients (the SDK, browsers' rules) expect", cookie),
			"set Better Auth's baseURL to the https URL and drop advanced.useSecureCookies: false (or configure every client for the plain name)")
	case !https && secure:
		return fail(name, fmt.Sprintf("the app is reached over http but its session cookie is %q: Better Auth's baseURL is https, so the cookie is Secure and never sent back over http", cookie),
			"reach the app at its https URL (pass it to --base-url), or set baseURL to the URL clients use")
	case prefix != "better-auth":
		return fail(name, fmt.Sprintf("the session cookie is %q: the app sets the cookie prefix %q, and clients that use the default (better-auth) send a cookie the app ignores", cookie, prefix),
			fmt.Sprintf("remove advanced.cookiePrefix, or configure every client for it (Go: guapocado.WithCookiePrefix(%q))", prefix))
	}
	return pass(name, fmt.Sprintf("session cookie %s", cookie))
}

// origins: a cookie-bearing POST passes from the app's own origin (and
// from the page origin, when given) and is refused from a foreign one.
func (d *doctor) origins(page string) check {
	const name = "origin"
	try := func(origin string) (int, string, error) {
		resp, body, err := d.do("POST", d.api+"/sign-out", hdr("Content-Type", "application/json", "Cookie", "guapocado-doctor=1", "Origin", origin), "{}")
		if err != nil {
			return 0, "", err
		}
		var e struct{ Code string }
		_ = json.Unmarshal(body, &e)
		return resp.StatusCode, e.Code, nil
	}
	refused := func(status int, code string) bool {
		return status == http.StatusForbidden && (code == "INVALID_ORIGIN" || code == "MISSING_OR_NULL_ORIGIN")
	}
	st, code, err := try(d.origin)
	if err != nil {
		return fail(name, "POST /api/auth/sign-out: "+err.Error(), "")
	}
	if refused(st, code) {
		return fail(name, fmt.Sprintf("a cookie-bearing POST from the app's own origin %s was refused (%d %s)", d.origin, st, code),
			fmt.Sprintf("set Better Auth's baseURL to %s (scheme, host and port as clients use them) or add %s to trustedOrigins", d.base, d.origin))
	}
	if page != "" {
		p := originOf(page)
		st, code, err := try(p)
		if err != nil {
			return fail(name, "POST /api/auth/sign-out: "+err.Error(), "")
		}
		if refused(st, code) {
			return fail(name, fmt.Sprintf("a cookie-bearing POST from the page origin %s was refused (%d %s): the page's writes will fail", p, st, code),
				fmt.Sprintf("add %q to Better Auth's trustedOrigins", p))
		}
	}
	st, code, err = try(foreignOrigin)
	if err != nil {
		return fail(name, "POST /api/auth/sign-out: "+err.Error(), "")
	}
	if !refused(st, code) {
		return fail(name, fmt.Sprintf("a cookie-bearing POST from %s was accepted (%d): the Origin (CSRF) check is off", foreignOrigin, st),
			"never run with NODE_ENV=test in production, remove advanced.disableCSRFCheck, and list exact origins in trustedOrigins (no wildcards)")
	}
	detail := "own origin accepted, foreign origin refused"
	if page != "" {
		detail = "own and page origins accepted, foreign origin refused"
	}
	return pass(name, detail)
}

// bearer: a sign-in answers set-auth-token (exposed to pages), and that
// token authenticates as Authorization: Bearer. It returns the fresh
// session's token ("" without one) for the other checks and sign-out.
func (d *doctor) bearer(email, pw string, stored *storedSession) (string, check) {
	const name = "bearer"
	const fix = "add bearer() to betterAuth({ plugins }) (from better-auth/plugins)"
	switch {
	case email == "":
		return "", skip(name, "set-auth-token is sent only on a sign-in, and there is no account to sign in with",
			"pass --email and set GUAPOCADO_PASSWORD (or --password-stdin), or run: guapocado login")
	case pw == "" && stored != nil && stored.TokenType == "bearer":
		return "", d.bearerWorks(stored.Token, "the stored session's token")
	case pw == "":
		return "", skip(name, "set-auth-token is sent only on a sign-in, and signing in as "+email+" needs the password",
			"set GUAPOCADO_PASSWORD for "+email+" (or pass --password-stdin)")
	}
	b, _ := json.Marshal(map[string]any{"email": email, "password": pw})
	resp, body, err := d.do("POST", d.api+"/sign-in/email", hdr("Content-Type", "application/json"), string(b))
	if err != nil {
		return "", fail(name, "POST /api/auth/sign-in/email: "+err.Error(), "")
	}
	if resp.StatusCode != 200 {
		var e struct{ Message string }
		_ = json.Unmarshal(body, &e)
		return "", fail(name, fmt.Sprintf("signing in as %s failed: %d %s", email, resp.StatusCode, e.Message), "check the email and password doctor signs in with")
	}
	tok := resp.Header.Get("Set-Auth-Token")
	if tok == "" {
		return cookieToken(resp), fail(name, "the sign-in answer carries no set-auth-token header: the bearer plugin is not enabled, so non-browser clients cannot use Authorization: Bearer", fix)
	}
	if !listed(resp.Header.Values("Access-Control-Expose-Headers"), "set-auth-token") {
		return tok, fail(name, "set-auth-token is sent but not listed in Access-Control-Expose-Headers: pages cannot read it",
			"let the bearer plugin's Access-Control-Expose-Headers through (a CORS layer must not overwrite it)")
	}
	return tok, d.bearerWorks(tok, "set-auth-token")
}

// bearerWorks checks that GET /get-session accepts tok as a bearer token.
func (d *doctor) bearerWorks(tok, what string) check {
	const name = "bearer"
	resp, body, err := d.do("GET", d.api+"/get-session", hdr("Authorization", "Bearer "+tok), "")
	if err != nil {
		return fail(name, "GET /api/auth/get-session: "+err.Error(), "")
	}
	if resp.StatusCode != 200 || strings.TrimSpace(string(body)) == "null" {
		return fail(name, fmt.Sprintf("GET /api/auth/get-session with %s as a bearer token found no session", what),
			"add bearer() to betterAuth({ plugins }) (from better-auth/plugins); if it is there, sign in again")
	}
	return pass(name, what+" is sent, exposed and accepted as Authorization: Bearer")
}

// cookieToken is the session cookie's value of a sign-in answer (to sign
// that session out without the bearer plugin).
func cookieToken(resp *http.Response) string {
	for _, c := range resp.Cookies() {
		if strings.HasSuffix(c.Name, ".session_token") && c.Value != "" {
			if v, err := url.QueryUnescape(c.Value); err == nil {
				return v
			}
		}
	}
	return ""
}

func listed(values []string, name string) bool {
	for _, v := range values {
		for _, h := range strings.Split(v, ",") {
			h = strings.TrimSpace(h)
			if strings.EqualFold(h, name) || h == "*" {
				return true
			}
		}
	}
	return false
}

// cors: a page on --page-origin may call the app with credentials and read
// set-auth-token and the retry delays.
func (d *doctor) cors(page string) check {
	const name = "cors"
	if page == "" {
		return skip(name, "no page origin to check (the app is used from its own origin only)",
			"pass --page-origin with the origin of a browser page that calls the app")
	}
	p := originOf(page)
	resp, _, err := d.do("OPTIONS", d.api+"/guapocado/has", hdr("Origin", p, "Access-Control-Request-Method", "POST",
		"Access-Control-Request-Headers", "content-type,authorization"), "")
	if err != nil {
		return fail(name, "preflight OPTIONS /api/auth/guapocado/has: "+err.Error(), "")
	}
	h := resp.Header
	var problems []string
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		problems = append(problems, fmt.Sprintf("the preflight answered %d", resp.StatusCode))
	}
	if h.Get("Access-Control-Allow-Origin") != p {
		problems = append(problems, fmt.Sprintf("the preflight's Access-Control-Allow-Origin is %q, not %q", h.Get("Access-Control-Allow-Origin"), p))
	}
	if h.Get("Access-Control-Allow-Credentials") != "true" {
		problems = append(problems, "the preflight lacks Access-Control-Allow-Credentials: true")
	}
	if !listed(h.Values("Access-Control-Allow-Methods"), "POST") {
		problems = append(problems, "the preflight does not allow POST")
	}
	for _, want := range []string{"content-type", "authorization"} {
		if !listed(h.Values("Access-Control-Allow-Headers"), want) {
			problems = append(problems, "the preflight does not allow the "+want+" header")
		}
	}
	resp, _, err = d.do("GET", d.api+"/get-session", hdr("Origin", p), "")
	if err != nil {
		return fail(name, "GET /api/auth/get-session: "+err.Error(), "")
	}
	h = resp.Header
	if h.Get("Access-Control-Allow-Origin") != p || h.Get("Access-Control-Allow-Credentials") != "true" {
		problems = append(problems, "answers to the page lack Access-Control-Allow-Origin: "+p+" with Access-Control-Allow-Credentials: true")
	}
	var missing []string
	for _, want := range []string{"set-auth-token", "X-Retry-After", "Retry-After"} {
		if !listed(h.Values("Access-Control-Expose-Headers"), want) {
			missing = append(missing, want)
		}
	}
	if len(missing) > 0 {
		problems = append(problems, "Access-Control-Expose-Headers lacks "+strings.Join(missing, ", ")+" (the page cannot read them)")
	}
	if len(problems) > 0 {
		return fail(name, strings.Join(problems, "; "),
			fmt.Sprintf("answer %s with Access-Control-Allow-Origin (that origin), Allow-Credentials: true, Allow-Methods GET, POST, Allow-Headers Content-Type, Authorization and Expose-Headers set-auth-token, X-Retry-After, Retry-After", p))
	}
	return pass(name, "page origin "+p+": preflight, credentials and exposed headers are right")
}

// session: the session the CLI uses bills an organization or a team.
func (d *doctor) session(stored *storedSession, fresh string) check {
	const name = "session"
	var opt guapocado.Option
	what := "the stored session"
	switch {
	case stored != nil:
		opt = stored.auth()
	case fresh != "":
		opt, what = guapocado.WithBearerToken(fresh), "a fresh sign-in"
	default:
		return skip(name, "no session to check", "run: guapocado login (or give doctor the password, see bearer)")
	}
	c, err := d.a.newClient(d.base, opt)
	if err != nil {
		return fail(name, clean(err.Error()), "")
	}
	defer c.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(d.a.parent, d.a.timeout)
	defer cancel()
	info, err := c.Auth.Session(ctx)
	switch {
	case err != nil:
		return fail(name, "GET /api/auth/get-session: "+clean(err.Error()), "")
	case info == nil:
		return fail(name, what+" is not signed in (expired, or its cookie is not accepted)", "run: guapocado login")
	case info.Session.ActiveOrganizationID == "" && info.Session.ActiveTeamID == "":
		fix := "run: guapocado orgs use <slug> (see: guapocado orgs list)"
		if stored == nil {
			fix = "sign in and run: guapocado orgs use <slug>, or set activeOrganizationId in a session.create database hook so every sign-in bills an organization"
		}
		return fail(name, what+" of "+info.User.Email+" has no active organization or team: the plugin answers 401 \"Sign in first\"", fix)
	}
	detail := what + " of " + info.User.Email + " bills organization " + info.Session.ActiveOrganizationID
	if info.Session.ActiveOrganizationID == "" {
		detail = what + " of " + info.User.Email + " bills team " + info.Session.ActiveTeamID
	}
	return pass(name, detail)
}

// webhooks: the plugin's receiver is registered with the platform.
func (d *doctor) webhooks() check {
	const name = "webhooks"
	resp, body, err := d.do("GET", d.base+"/api/auth/guap", nil, "")
	if err != nil {
		return fail(name, "GET /api/auth/guap: "+err.Error(), "")
	}
	var st struct {
		Enabled bool   `json:"enabled"`
		Status  string `json:"status"`
		URL     string `json:"url"`
		Message string `json:"message"`
		Code    string `json:"code"`
	}
	_ = json.Unmarshal(body, &st)
	switch {
	case resp.StatusCode == http.StatusUnauthorized && st.Code == "":
		return fail(name, "GET /api/auth/guap: 401 "+st.Message+": the platform refused the app's Guapocado API key", "set the plugin's apiKey to a valid secret key")
	case resp.StatusCode == http.StatusNotFound:
		return fail(name, "GET /api/auth/guap is 404: no webhook receiver", "mount the Guapocado plugin with its webhook receiver (see mount)")
	case resp.StatusCode != 200:
		return fail(name, fmt.Sprintf("GET /api/auth/guap answered %d", resp.StatusCode), "")
	case !st.Enabled:
		return fail(name, "the webhook receiver is not registered ({\"enabled\":false}): Guapocado's events never reach the app",
			"set the plugin's webhookSecret (the endpoint's signing secret) so /guap registers with the platform")
	case st.Status == "active":
		return pass(name, "receiver "+st.URL+" is active")
	}
	return pass(name, "receiver "+st.URL+" is registered ("+st.Status+": approve it in the Guapocado dashboard if events do not arrive)")
}

// clock: the server's Date header agrees with this machine's clock.
func (d *doctor) clock() check {
	const name = "clock"
	if len(d.skews) == 0 {
		return fail(name, "no answer carried a Date header", "")
	}
	skew := d.skews[len(d.skews)-1]
	abs := skew
	if abs < 0 {
		abs = -abs
	}
	if abs > maxClockSkew {
		dir := "ahead of"
		if skew < 0 {
			dir = "behind"
		}
		return fail(name, fmt.Sprintf("the server's clock is %s %s this machine's", abs.Round(time.Second), dir),
			"synchronise the clocks (NTP): webhook signatures older than 5 minutes are refused and sessions expire at the wrong time")
	}
	return pass(name, fmt.Sprintf("the server's clock is within %s of this machine's", maxClockSkew))
}

// keepAlive: the server keeps idle connections open longer than the
// client's idle timeout, so a reused connection is not closed under a
// request. It reads Keep-Alive: timeout=N when the server sends it, else
// watches an idle connection for clientIdleTimeout plus a margin.
func (d *doctor) keepAlive() check {
	const name = "keepalive"
	u, err := url.Parse(d.api + "/ok")
	if err != nil {
		return fail(name, err.Error(), "")
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), map[bool]string{true: "443", false: "80"}[u.Scheme == "https"])
	}
	dialer := &net.Dialer{Timeout: d.a.timeout}
	conn, err := dialer.DialContext(d.a.parent, "tcp", host)
	if err != nil {
		return fail(name, "connecting: "+err.Error(), "")
	}
	defer conn.Close()
	if u.Scheme == "https" {
		cfg := &tls.Config{ServerName: u.Hostname()}
		if t, ok := d.hc.Transport.(*http.Transport); ok && t.TLSClientConfig != nil {
			cfg = t.TLSClientConfig.Clone()
			if cfg.ServerName == "" {
				cfg.ServerName = u.Hostname()
			}
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(d.a.parent); err != nil {
			return fail(name, "TLS: "+err.Error(), "")
		}
		conn = tc
	}
	_ = conn.SetDeadline(time.Now().Add(d.a.timeout))
	fmt.Fprintf(conn, "GET %s HTTP/1.1\r\nHost: %s\r\nConnection: keep-alive\r\nUser-Agent: guapocado-doctor\r\n\r\n", u.RequestURI(), u.Host)
	br := bufio.NewReader(conn)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		return fail(name, "GET /api/auth/ok: "+err.Error(), "")
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	fix := fmt.Sprintf("keep idle connections open longer than %s (Node: server.keepAliveTimeout, default 5000 ms; behind a proxy, its idle timeout too)", clientIdleTimeout)
	if resp.Close {
		return fail(name, "the server closes the connection after each answer (no keep-alive)", fix)
	}
	if ka := resp.Header.Get("Keep-Alive"); ka != "" {
		for _, p := range strings.Split(ka, ",") {
			k, v, _ := strings.Cut(strings.TrimSpace(p), "=")
			if strings.EqualFold(k, "timeout") {
				if n, err := strconv.Atoi(v); err == nil {
					if time.Duration(n)*time.Second <= clientIdleTimeout {
						return fail(name, fmt.Sprintf("the server closes idle connections after %d s (Keep-Alive: %s), not after the client's %s", n, ka, clientIdleTimeout), fix)
					}
					return pass(name, fmt.Sprintf("idle connections are kept %d s, longer than the client's %s", n, clientIdleTimeout))
				}
			}
		}
	}
	// No Keep-Alive header: watch the idle connection.
	start := time.Now()
	watch := clientIdleTimeout + 500*time.Millisecond
	_ = conn.SetReadDeadline(start.Add(watch))
	_, err = br.ReadByte()
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return pass(name, fmt.Sprintf("an idle connection stayed open %s, longer than the client's %s", watch, clientIdleTimeout))
	}
	return fail(name, fmt.Sprintf("the server closed an idle connection after %s, before the client's %s idle timeout", time.Since(start).Round(100*time.Millisecond), clientIdleTimeout), fix)
}

// signOut ends doctor's own session.
func (d *doctor) signOut(tok string) {
	resp, _, err := d.do("POST", d.api+"/sign-out", hdr("Content-Type", "application/json", "Authorization", "Bearer "+tok), "{}")
	if err == nil && resp.StatusCode == 200 {
		return
	}
	name := "better-auth.session_token"
	_, _, _ = d.do("POST", d.api+"/sign-out", hdr("Content-Type", "application/json", "Origin", d.origin, "Cookie", name+"="+url.QueryEscape(tok)), "{}")
}
