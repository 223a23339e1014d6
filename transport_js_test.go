//go:build js && wasm

package guapocado

// These tests run in headless Chromium through internal/browsertest (see
// TestChromium in transport_browser_test.go), against the session API served
// on the page origin and on a second origin. They use net/http directly
// through the browser transport; the SDK's own browser tests join them here.

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
)

// browserClient is an *http.Client on the browser transport with the given
// fetch credentials mode.
func browserClient(mode string) *http.Client {
	return &http.Client{Transport: withFetchCredentials(defaultTransport(), mode)}
}

// call sends method url with an optional JSON body and returns the status,
// the response headers and the decoded JSON body.
func browserCall(t *testing.T, c *http.Client, method, url, body string, header http.Header) (int, http.Header, map[string]any) {
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
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var v map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&v); err != nil {
		t.Fatalf("%s %s: %d, decoding the body: %v", method, url, resp.StatusCode, err)
	}
	return resp.StatusCode, resp.Header, v
}

func browserWantStatus(t *testing.T, what string, got, want int, body map[string]any) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d (body %v)", what, got, want, body)
	}
}

func browserWantBalance(t *testing.T, what string, body map[string]any, want float64) {
	t.Helper()
	if got, ok := body["balance"].(float64); !ok || got != want {
		t.Fatalf("%s: balance %v, want %v", what, body["balance"], want)
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

// TestBrowserSameOriginCookieSession: the page and the API share an origin;
// sign-in stores an HttpOnly cookie in the browser, which then sends it and
// the Origin itself on every request with the default credentials mode.
func TestBrowserSameOriginCookieSession(t *testing.T) {
	page := os.Getenv("BROWSERTEST_PAGE_ORIGIN")
	c := browserClient("")

	code, h, body := browserCall(t, c, "POST", page+"/sign-in", "{}", nil)
	browserWantStatus(t, "sign-in", code, 200, body)
	if h.Get("Set-Cookie") != "" {
		t.Error("Set-Cookie is readable from Go; fetch should hide it")
	}
	if h.Get("Set-Auth-Token") == "" || h.Get("X-Not-Exposed") == "" {
		t.Errorf("same-origin response headers hidden: set-auth-token present %v, X-Not-Exposed present %v", h.Get("Set-Auth-Token") != "", h.Get("X-Not-Exposed") != "")
	}
	if strings.Contains(js.Global().Get("document").Get("cookie").String(), "page_session") {
		t.Error("the HttpOnly session cookie is visible to page scripts")
	}

	code, _, body = browserCall(t, c, "POST", page+"/consume", `{"amount":3}`, nil)
	browserWantStatus(t, "consume", code, 200, body)
	browserWantBalance(t, "consume", body, 7)
	code, _, body = browserCall(t, c, "GET", page+"/balance", "", nil)
	browserWantStatus(t, "balance", code, 200, body)
	browserWantBalance(t, "balance", body, 7)

	// Cookie and Origin are forbidden request headers: fetch drops what Go
	// sets and the browser sends its own.
	forged := http.Header{"Origin": {"http://evil.example"}, "Cookie": {"page_session=forged"}}
	code, _, body = browserCall(t, c, "POST", page+"/consume", `{"amount":1}`, forged)
	browserWantStatus(t, "consume with forged Origin and Cookie", code, 200, body)
	browserWantBalance(t, "consume with forged Origin and Cookie", body, 6)
	code, _, body = browserCall(t, c, "POST", page+"/whoami", "{}", forged)
	browserWantStatus(t, "whoami", code, 200, body)
	if body["origin"] != page || body["forged"] != false {
		t.Errorf("server saw Origin %v, forged cookie %v; want %s, false", body["origin"], body["forged"], page)
	}

	// Without credentials the browser sends no cookie: the session is the
	// browser's, not Go's.
	code, _, body = browserCall(t, browserClient("omit"), "GET", page+"/balance", "", nil)
	browserWantStatus(t, "balance with credentials omit", code, 401, body)
}

// TestBrowserCrossOriginInclude: the API is on another origin with CORS for
// the page origin; with credentials "include" the browser stores the
// session cookie from the cross-origin sign-in and sends it back.
func TestBrowserCrossOriginInclude(t *testing.T) {
	page, api := os.Getenv("BROWSERTEST_PAGE_ORIGIN"), os.Getenv("BROWSERTEST_CROSS_ORIGIN")
	c := browserClient("include")

	code, h, body := browserCall(t, c, "POST", api+"/sign-in", "{}", nil)
	browserWantStatus(t, "sign-in", code, 200, body)
	if h.Get("Set-Auth-Token") == "" {
		t.Error("set-auth-token is hidden although the API exposes it")
	}
	if h.Get("X-Not-Exposed") != "" {
		t.Error("a header the API does not expose is readable cross-origin")
	}

	code, _, body = browserCall(t, c, "POST", api+"/consume", `{"amount":4}`, nil)
	browserWantStatus(t, "consume", code, 200, body)
	browserWantBalance(t, "consume", body, 6)
	code, _, body = browserCall(t, c, "GET", api+"/balance", "", nil)
	browserWantStatus(t, "balance", code, 200, body)
	browserWantBalance(t, "balance", body, 6)
	code, _, body = browserCall(t, c, "POST", api+"/whoami", "{}", nil)
	browserWantStatus(t, "whoami", code, 200, body)
	if body["origin"] != page {
		t.Errorf("server saw Origin %v, want the page origin %s", body["origin"], page)
	}

	// The browser default (same-origin) sends no cookie to another origin.
	code, _, body = browserCall(t, browserClient(""), "GET", api+"/balance", "", nil)
	browserWantStatus(t, "balance with the default credentials mode", code, 401, body)

	// A request header the API's preflight does not allow fails in fetch,
	// before any response is visible.
	req, _ := http.NewRequest("POST", api+"/consume", strings.NewReader(`{"amount":1}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Not-Allowed", "1")
	if resp, err := c.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a preflight-rejected request succeeded: %d", resp.StatusCode)
	} else if !strings.Contains(err.Error(), "fetch() failed") {
		t.Fatalf("preflight-rejected request: %v", err)
	}
	code, _, body = browserCall(t, c, "GET", api+"/balance", "", nil)
	browserWantStatus(t, "balance after the rejected request", code, 200, body)
	browserWantBalance(t, "balance after the rejected request", body, 6)
}

// TestBrowserRetryKeepsSession sends one *http.Request twice through the
// transport, as a retry layer does: the first attempt gets a 503, the second
// must still carry the session. With credentials "include" set once on the
// request instead of through withFetchCredentials, the retry loses it.
func TestBrowserRetryKeepsSession(t *testing.T) {
	page, api := os.Getenv("BROWSERTEST_PAGE_ORIGIN"), os.Getenv("BROWSERTEST_CROSS_ORIGIN")
	for _, tc := range []struct {
		name, origin, mode string
		naive              bool
		wantFinal          int
	}{
		{"same-origin", page, "", false, 200},
		{"cross-origin include", api, "include", false, 200},
		{"cross-origin header set once", api, "include", true, 401},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Sign in on this origin (idempotent per origin for the test).
			code, _, body := browserCall(t, browserClient(tc.mode), "POST", tc.origin+"/sign-in", "{}", nil)
			browserWantStatus(t, "sign-in", code, 200, body)

			rt := withFetchCredentials(defaultTransport(), tc.mode)
			req, err := http.NewRequest("POST", tc.origin+"/flaky?id="+browserRandomID(), strings.NewReader(`{"amount":1}`))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if tc.naive {
				rt = defaultTransport()
				req.Header.Set(fetchCredentialsHeader, tc.mode)
			}
			var last *http.Response
			for attempt := 1; attempt <= 2; attempt++ {
				if attempt > 1 {
					req.Body, _ = req.GetBody()
				}
				resp, err := rt.RoundTrip(req)
				if err != nil {
					t.Fatalf("attempt %d: %v", attempt, err)
				}
				if attempt == 1 {
					resp.Body.Close()
					if resp.StatusCode != 503 {
						t.Fatalf("attempt 1: status %d, want 503", resp.StatusCode)
					}
					if resp.Header.Get("Retry-After") != "0" || resp.Header.Get("X-Retry-After") != "0" {
						t.Errorf("attempt 1: Retry-After %q, X-Retry-After %q not readable", resp.Header.Get("Retry-After"), resp.Header.Get("X-Retry-After"))
					}
					continue
				}
				last = resp
			}
			defer last.Body.Close()
			var v struct {
				Sessions []bool `json:"sessions"`
			}
			if err := json.NewDecoder(last.Body).Decode(&v); err != nil {
				t.Fatal(err)
			}
			if last.StatusCode != tc.wantFinal {
				t.Fatalf("retry: status %d, want %d (sessions per attempt %v)", last.StatusCode, tc.wantFinal, v.Sessions)
			}
			want := []bool{true, tc.wantFinal == 200}
			if len(v.Sessions) != 2 || v.Sessions[0] != want[0] || v.Sessions[1] != want[1] {
				t.Fatalf("sessions per attempt %v, want %v", v.Sessions, want)
			}
		})
	}
}

func browserRandomID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
