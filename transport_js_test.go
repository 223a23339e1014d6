//go:build js && wasm

package guapocado

// These tests run in headless Chromium through internal/browsertest (see
// TestChromium in transport_browser_test.go), against two guapocadotest
// fakes: "page" on the page's own origin and "cross" on a second origin with
// CORS for the page. They use the SDK as a browser front end would, and
// net/http directly where a transport rule needs proving on its own.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"syscall/js"
	"testing"
	"time"
)

const (
	browserBalancePath = "/api/auth/guapocado/usage/balance"
	browserConsumePath = "/api/auth/guapocado/usage/consume"
)

func browserOrigins() (page, cross string) {
	return os.Getenv("BROWSERTEST_PAGE_ORIGIN"), os.Getenv("BROWSERTEST_CROSS_ORIGIN")
}

func browserCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// browserNewClient is NewClient with fast retries, failing the test on error.
func browserNewClient(t *testing.T, base string, opts ...Option) *Client {
	t.Helper()
	c, err := NewClient(base, append([]Option{WithRetry(3, 10*time.Millisecond, 2*time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func browserRandomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// browserSignUp signs a fresh user up on base through the SDK's Auth (with
// the credentials mode) and creates an active organization: the browser
// keeps the session cookie, and the returned client also holds the bearer
// token from set-auth-token when the answer exposes it.
func browserSignUp(t *testing.T, base, mode string) *Client {
	t.Helper()
	ctx := browserCtx(t)
	a := browserNewClient(t, base, WithFetchCredentials(mode))
	id := browserRandomID()
	if _, err := a.Auth.SignUpEmail(ctx, "u"+id+"@example.test", "pw-"+id, "User "+id); err != nil {
		t.Fatalf("sign-up on %s: %v", base, err)
	}
	if _, err := a.Auth.CreateOrganization(ctx, "Org "+id, "org-"+id); err != nil {
		t.Fatalf("create organization on %s: %v", base, err)
	}
	return a
}

// browserRaw sends method url with an optional JSON body through the
// browser transport and returns the status, the headers and the body.
func browserRaw(t *testing.T, rt http.RoundTripper, method, url, body string, header http.Header) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// browserFault is a guapocadotest.Fault as the control endpoint takes it.
type browserFault struct {
	N      int         `json:"n"`
	Path   string      `json:"path"`
	Status int         `json:"status"`
	Header http.Header `json:"header,omitempty"`
	Body   string      `json:"body,omitempty"`
	Drop   int         `json:"drop,omitempty"` // 1 before apply, 2 after
}

// browserLogEntry is one request of a fake's log, as the control endpoint
// reports it (header presence only, never values).
type browserLogEntry struct {
	Method        string `json:"method"`
	Path          string `json:"path"`
	Status        int    `json:"status"`
	Cookie        bool   `json:"cookie"`
	Authorization bool   `json:"authorization"`
	Origin        string `json:"origin"`
}

func browserControl(t *testing.T, method, what string, in, out any) {
	t.Helper()
	page, _ := browserOrigins()
	var body string
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			t.Fatal(err)
		}
		body = string(b)
	}
	code, _, got := browserRaw(t, defaultTransport(), method, page+"/__control/"+what, body, nil)
	if code/100 != 2 {
		t.Fatalf("control %s: %d %s", what, code, got)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(got), out); err != nil {
			t.Fatalf("control %s: %v", what, err)
		}
	}
}

func browserInject(t *testing.T, fake string, f browserFault) {
	t.Helper()
	browserControl(t, "POST", fake+"/faults", f, nil)
}

func browserReset(t *testing.T, fake string) {
	t.Helper()
	browserControl(t, "POST", fake+"/reset", nil, nil)
}

// browserLog returns the fake's logged requests with this method and path.
func browserLog(t *testing.T, fake, method, path string) []browserLogEntry {
	t.Helper()
	var all, out []browserLogEntry
	browserControl(t, "GET", fake+"/requests", nil, &all)
	for _, e := range all {
		if e.Method == method && e.Path == path {
			out = append(out, e)
		}
	}
	return out
}

// browserWantCookieOnly checks that every logged request carried a cookie,
// no Authorization, and the page's Origin.
func browserWantCookieOnly(t *testing.T, what string, log []browserLogEntry, n int) {
	t.Helper()
	page, _ := browserOrigins()
	if len(log) != n {
		t.Fatalf("%s: %d requests logged, want %d: %+v", what, len(log), n, log)
	}
	for i, e := range log {
		if !e.Cookie || e.Authorization || e.Origin != page {
			t.Errorf("%s, request %d: cookie %v, authorization %v, origin %q; want the browser's cookie only, origin %s", what, i+1, e.Cookie, e.Authorization, e.Origin, page)
		}
	}
}

func browserWantBalance(t *testing.T, what string, u *Usage, err error, want int64) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if u.Balance != want {
		t.Fatalf("%s: balance %d, want %d", what, u.Balance, want)
	}
}

func TestBrowserTransportUsesFetch(t *testing.T) {
	if !browserBuild || !fetchInUse {
		t.Fatalf("browserBuild %v, fetchInUse %v in Chromium", browserBuild, fetchInUse)
	}
	tr, ok := defaultTransport().(*http.Transport)
	if !ok || dials(tr) {
		t.Fatalf("defaultTransport() = %T with a dial function; net/http would bypass fetch", defaultTransport())
	}
	if rt := withFetchCredentials(tr, ""); rt != http.RoundTripper(tr) {
		t.Fatalf("mode \"\" wrapped the transport: %T", rt)
	}
	if _, ok := withFetchCredentials(tr, "include").(*fetchCredentials); !ok {
		t.Fatal("mode include did not wrap the transport")
	}
	dialing := tr.Clone()
	dialing.DialContext = func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no dialing in this test")
	}
	if rt := withFetchCredentials(dialing, "include"); rt != http.RoundTripper(dialing) {
		t.Fatal("a transport that dials (no fetch) got the fetch pseudo-header")
	}
	page, _ := browserOrigins()
	if _, err := NewClient(page, WithSessionToken("tok.sig")); err == nil || !strings.Contains(err.Error(), "WithSessionToken") {
		t.Fatalf("WithSessionToken in the browser: %v, want a refusal", err)
	}
}

type browserRoundTripFunc func(*http.Request) (*http.Response, error)

func (f browserRoundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBrowserFetchCredentialsClonesEachAttempt: each attempt reaches the
// transport as its own clone carrying the pseudo-header, and the caller's
// request (which net/http's fetch path would otherwise edit) is left alone.
func TestBrowserFetchCredentialsClonesEachAttempt(t *testing.T) {
	var seen []*http.Request
	next := browserRoundTripFunc(func(r *http.Request) (*http.Response, error) {
		if got := r.Header.Get(fetchCredentialsHeader); got != "include" {
			t.Errorf("attempt %d: credentials pseudo-header %q, want include", len(seen)+1, got)
		}
		seen = append(seen, r)
		r.Header.Del(fetchCredentialsHeader) // as net/http's fetch transport does
		return &http.Response{StatusCode: 503, Body: http.NoBody, Request: r}, nil
	})
	rt := withFetchCredentials(next, "include")
	req, err := http.NewRequest("GET", "http://127.0.0.1/balance", nil)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := rt.RoundTrip(req); err != nil {
			t.Fatal(err)
		}
	}
	if len(seen) != 2 || seen[0] == req || seen[1] == req || seen[0] == seen[1] {
		t.Fatal("attempts were not sent on fresh clones of the request")
	}
	if len(req.Header) != 0 {
		t.Errorf("the caller's request headers changed: %v", req.Header)
	}
}

// TestBrowserSameOriginCookieSession: the app is on the page's origin. A
// raw sign-up stores the HttpOnly session cookie in the browser; from then
// on an SDK client with no session option at all creates the organization,
// consumes and reads the balance, the browser sending its cookie and Origin.
func TestBrowserSameOriginCookieSession(t *testing.T) {
	page, _ := browserOrigins()
	ctx := browserCtx(t)
	id := browserRandomID()
	code, h, body := browserRaw(t, defaultTransport(), "POST", page+"/api/auth/sign-up/email",
		`{"email":"s`+id+`@example.test","password":"pw-`+id+`","name":"S"}`, nil)
	if code != 200 {
		t.Fatalf("sign-up: %d %s", code, body)
	}
	if h.Get("Set-Cookie") != "" {
		t.Error("Set-Cookie is readable from Go; fetch should hide it")
	}
	if h.Get("Set-Auth-Token") == "" {
		t.Error("set-auth-token is hidden on the page's own origin")
	}
	if strings.Contains(js.Global().Get("document").Get("cookie").String(), "session_token") {
		t.Error("the HttpOnly session cookie is visible to page scripts")
	}

	browserReset(t, "page")
	c := browserNewClient(t, page)
	if _, err := c.Auth.CreateOrganization(ctx, "Org "+id, "org-"+id); err != nil {
		t.Fatalf("create organization with the browser's cookie: %v", err)
	}
	u, err := c.Usage.Balance(ctx, "api-calls")
	browserWantBalance(t, "balance", u, err, 100)
	u, err = c.Usage.Consume(ctx, "api-calls", 3)
	browserWantBalance(t, "consume 3", u, err, 97)
	u, err = c.Usage.Balance(ctx, "api-calls")
	browserWantBalance(t, "balance after consume", u, err, 97)
	browserWantCookieOnly(t, "consume", browserLog(t, "page", "POST", browserConsumePath), 1)

	// Origin and Cookie are forbidden request headers: fetch drops what Go
	// sets and the browser sends its own (a forged Origin would be 403, a
	// forged cookie 401).
	forged := browserNewClient(t, page, WithHeader("Origin", "http://evil.example"))
	u, err = forged.Usage.Consume(ctx, "api-calls", 1)
	browserWantBalance(t, "consume with a forged Origin", u, err, 96)
	code, _, body = browserRaw(t, defaultTransport(), "POST", page+browserConsumePath, `{"key":"api-calls","amount":1}`,
		http.Header{"Cookie": {"page.session_token=forged"}, "Origin": {"http://evil.example"}})
	if code != 200 || !strings.Contains(body, `"balance":95`) {
		t.Fatalf("consume with a forged Cookie and Origin: %d %s", code, body)
	}

	// With credentials "omit" the browser sends no cookie.
	_, err = browserNewClient(t, page, WithFetchCredentials("omit")).Usage.Balance(ctx, "api-calls")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("balance with credentials omit: %v, want ErrUnauthorized", err)
	}
}

// TestBrowserCrossOriginInclude: the app is on another origin that allows
// the page with CORS. With WithFetchCredentials("include") the browser
// stores the session cookie of the cross-origin sign-up and sends it back;
// with the default mode it does not.
func TestBrowserCrossOriginInclude(t *testing.T) {
	_, cross := browserOrigins()
	ctx := browserCtx(t)
	browserSignUp(t, cross, "include")

	browserReset(t, "cross")
	c := browserNewClient(t, cross, WithFetchCredentials("include"))
	u, err := c.Usage.Balance(ctx, "api-calls")
	browserWantBalance(t, "balance", u, err, 100)
	u, err = c.Usage.Consume(ctx, "api-calls", 4)
	browserWantBalance(t, "consume 4", u, err, 96)
	u, err = c.Usage.Balance(ctx, "api-calls")
	browserWantBalance(t, "balance after consume", u, err, 96)
	browserWantCookieOnly(t, "consume", browserLog(t, "cross", "POST", browserConsumePath), 1)
	if n := len(browserLog(t, "cross", "OPTIONS", browserConsumePath)); n > 1 {
		t.Errorf("%d preflights for one consume", n)
	}

	_, err = browserNewClient(t, cross).Usage.Balance(ctx, "api-calls")
	if !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("cross-origin balance with the default credentials mode: %v, want ErrUnauthorized", err)
	}
}

// TestBrowserRetryKeepsSession: a 503 on the first attempt of a balance read
// is retried by the SDK, and the retry carries the browser's session again.
// Setting the credentials pseudo-header once on a request instead, as a
// naive transport would, loses it from the second attempt.
func TestBrowserRetryKeepsSession(t *testing.T) {
	page, cross := browserOrigins()
	for _, tc := range []struct {
		name, fake, origin, mode string
	}{
		{"same-origin", "page", page, ""},
		{"cross-origin include", "cross", cross, "include"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := browserCtx(t)
			browserSignUp(t, tc.origin, tc.mode)
			browserReset(t, tc.fake)
			browserInject(t, tc.fake, browserFault{N: 1, Path: browserBalancePath, Status: 503,
				Header: http.Header{"Retry-After": {"0"}}, Body: `{"message":"Service Unavailable"}`})
			c := browserNewClient(t, tc.origin, WithFetchCredentials(tc.mode))
			u, err := c.Usage.Balance(ctx, "api-calls")
			browserWantBalance(t, "balance after a 503", u, err, 100)
			log := browserLog(t, tc.fake, "POST", browserBalancePath)
			browserWantCookieOnly(t, "balance attempts", log, 2)
			if log[0].Status != 503 || log[1].Status != 200 {
				t.Fatalf("attempt statuses %d, %d; want 503, 200", log[0].Status, log[1].Status)
			}
		})
	}
	t.Run("cross-origin header set once", func(t *testing.T) {
		browserSignUp(t, cross, "include")
		browserReset(t, "cross")
		browserInject(t, "cross", browserFault{N: 1, Path: browserBalancePath, Status: 503})
		req, err := http.NewRequest("POST", cross+browserBalancePath, strings.NewReader(`{"key":"api-calls"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(fetchCredentialsHeader, "include")
		var codes []int
		for attempt := 1; attempt <= 2; attempt++ {
			if attempt > 1 {
				req.Body, _ = req.GetBody()
			}
			resp, err := defaultTransport().RoundTrip(req)
			if err != nil {
				t.Fatalf("attempt %d: %v", attempt, err)
			}
			resp.Body.Close()
			codes = append(codes, resp.StatusCode)
		}
		log := browserLog(t, "cross", "POST", browserBalancePath)
		if len(codes) != 2 || codes[0] != 503 || codes[1] != 401 || len(log) != 2 || !log[0].Cookie || log[1].Cookie {
			t.Fatalf("statuses %v, log %+v; want 503 then 401 with the cookie lost on the second attempt", codes, log)
		}
	})
}

// TestBrowserBearerSession: cookies cannot cross sites, a bearer token can.
// An SDK client on the default credentials mode (no cookies to another
// origin) signs up, keeps the token from the exposed set-auth-token header,
// and bills with Authorization: Bearer; the token also starts a new client.
func TestBrowserBearerSession(t *testing.T) {
	_, cross := browserOrigins()
	ctx := browserCtx(t)
	browserReset(t, "cross")
	a := browserSignUp(t, cross, "")
	tok := a.Auth.SessionToken()
	if tok == "" {
		t.Fatal("no bearer token after sign-up: set-auth-token was not readable")
	}
	u, err := a.Usage.Consume(ctx, "api-calls", 2)
	browserWantBalance(t, "consume 2", u, err, 98)
	b := browserNewClient(t, cross, WithBearerToken(tok))
	u, err = b.Usage.Balance(ctx, "api-calls")
	browserWantBalance(t, "balance with WithBearerToken", u, err, 98)
	for _, e := range append(browserLog(t, "cross", "POST", browserConsumePath), browserLog(t, "cross", "POST", browserBalancePath)...) {
		if !e.Authorization || e.Cookie || e.Status != 200 {
			t.Errorf("%s: authorization %v, cookie %v, status %d; want the bearer token only", e.Path, e.Authorization, e.Cookie, e.Status)
		}
	}
}

// TestBrowserExposedHeaders: cross-origin, the SDK reads only the headers the
// app exposes. Retry-After is exposed (Error.RetryAfter is set); X-Request-Id
// is not (Error.RequestID is empty there, set on the page's origin).
func TestBrowserExposedHeaders(t *testing.T) {
	page, cross := browserOrigins()
	for _, tc := range []struct {
		fake, origin, mode, wantID string
	}{
		{"page", page, "", "req-1"},
		{"cross", cross, "include", ""},
	} {
		ctx := browserCtx(t)
		browserInject(t, tc.fake, browserFault{N: 1, Path: browserBalancePath, Status: 503,
			Header: http.Header{"Retry-After": {"7"}, "X-Request-Id": {"req-1"}}, Body: `{"message":"down"}`})
		c := browserNewClient(t, tc.origin, WithFetchCredentials(tc.mode), WithRetry(0, 0, 0))
		_, err := c.Usage.Balance(ctx, "api-calls")
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != 503 {
			t.Fatalf("%s: %v, want the injected 503", tc.fake, err)
		}
		if e.RetryAfter != 7*time.Second || e.RequestID != tc.wantID {
			t.Errorf("%s: RetryAfter %s, RequestID %q; want 7s, %q", tc.fake, e.RetryAfter, e.RequestID, tc.wantID)
		}
	}
}

// TestBrowserLostAnswers: what a consume sees when its connection closes
// without an answer. Chromium itself resends a request once (at most twice)
// when a connection it reused from its pool closes before any response,
// even a POST: the SDK sees the resent request's answer. So a consume the
// server applied before the connection was cut is applied twice, and
// nothing in fetch prevents it. When every resend fails too, fetch reports
// an error that does not say whether the request was sent: the SDK does not
// retry a consume then, and the error matches ErrOutcomeUnknown, as it does
// when the browser refused to send the request at all (a request header the
// CORS policy does not allow).
func TestBrowserLostAnswers(t *testing.T) {
	page, cross := browserOrigins()
	ctx := browserCtx(t)
	browserSignUp(t, page, "")
	c := browserNewClient(t, page)
	for _, tc := range []struct {
		name        string
		drop, drops int
		applied     int64 // how many times the consume of 5 is applied
		fails       bool
	}{
		{"dropped before apply, browser resends", 1, 1, 1, false},
		{"dropped after apply, browser resends: applied twice", 2, 1, 2, false},
		{"dropped before apply on every resend", 1, 5, 0, true},
	} {
		before, err := c.Usage.Balance(ctx, "api-calls")
		if err != nil {
			t.Fatal(err)
		}
		browserReset(t, "page")
		browserInject(t, "page", browserFault{N: tc.drops, Path: browserConsumePath, Drop: tc.drop})
		_, err = c.Usage.Consume(ctx, "api-calls", 5)
		log := browserLog(t, "page", "POST", browserConsumePath)
		browserReset(t, "page") // unused faults
		var e *Error
		switch {
		case tc.fails && (!errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &e) || e.Attempts != 1):
			t.Fatalf("%s: %v, want ErrOutcomeUnknown after one SDK attempt", tc.name, err)
		case tc.fails && (len(log) < 2 || len(log) > 3):
			t.Fatalf("%s: %d requests reached the server, want the browser's 2 or 3: %+v", tc.name, len(log), log)
		case !tc.fails && (err != nil || len(log) != 2 || log[0].Status != 0 || log[1].Status != 200):
			t.Fatalf("%s: %v, log %+v; want success on the browser's resend", tc.name, err, log)
		}
		t.Logf("%s: the browser sent the consume %d times", tc.name, len(log))
		u, err := c.Usage.Balance(ctx, "api-calls")
		browserWantBalance(t, tc.name+": balance", u, err, before.Balance-5*tc.applied)
	}

	browserSignUp(t, cross, "include")
	browserReset(t, "cross")
	refused := browserNewClient(t, cross, WithFetchCredentials("include"), WithHeader("X-Not-Allowed", "1"))
	_, err := refused.Usage.Consume(ctx, "api-calls", 1)
	var e *Error
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &e) || e.StatusCode != 0 {
		t.Fatalf("consume refused by the preflight: %v, want ErrOutcomeUnknown without a status", err)
	}
	if n := len(browserLog(t, "cross", "POST", browserConsumePath)); n != 0 {
		t.Fatalf("%d consumes reached the server past a refused preflight", n)
	}
	u, err := browserNewClient(t, cross, WithFetchCredentials("include")).Usage.Balance(ctx, "api-calls")
	browserWantBalance(t, "balance after the refused consume", u, err, 100)
}
