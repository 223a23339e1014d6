package guapocadotest_test

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

const (
	missingOrigin = `{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}`
	invalidOrigin = `{"message":"Invalid origin","code":"INVALID_ORIGIN"}`
)

// originCase is one row of a transcripts.md §5 table; ok means the request
// passes the check (the endpoint's normal answer), else want is the 403.
type originCase struct {
	name string
	hdr  func(base, token string) []string
	ok   bool
	want string
}

func originCases() []originCase {
	cookie := func(token string) []string { return []string{"Cookie", sessionCookieHdr(token)} }
	localhost := func(base string) string {
		u, _ := url.Parse(base)
		return "http://localhost:" + u.Port()
	}
	return []originCase{
		{"cookie, no Origin", func(b, tk string) []string { return cookie(tk) }, false, missingOrigin},
		{"cookie, Origin = baseURL", func(b, tk string) []string { return append(cookie(tk), "Origin", b) }, true, ""},
		{"cookie, Origin = baseURL + '/'", func(b, tk string) []string { return append(cookie(tk), "Origin", b+"/") }, true, ""},
		{"cookie, Origin http://localhost:<port>", func(b, tk string) []string { return append(cookie(tk), "Origin", localhost(b)) }, false, invalidOrigin},
		{"cookie, foreign Origin", func(b, tk string) []string { return append(cookie(tk), "Origin", "https://evil.example") }, false, invalidOrigin},
		{"cookie, Origin: null", func(b, tk string) []string { return append(cookie(tk), "Origin", "null") }, false, missingOrigin},
		{"cookie, no Origin, Referer = baseURL/page", func(b, tk string) []string { return append(cookie(tk), "Referer", b+"/page") }, true, ""},
		{"cookie, no Origin, foreign Referer", func(b, tk string) []string { return append(cookie(tk), "Referer", "https://evil.example/page") }, false, invalidOrigin},
		{"cookie, no Origin, Sec-Fetch-Site: same-origin", func(b, tk string) []string { return append(cookie(tk), "Sec-Fetch-Site", "same-origin") }, false, missingOrigin},
		{"cookie, Origin null + Sec-Fetch-Site: same-origin", func(b, tk string) []string {
			return append(cookie(tk), "Origin", "null", "Sec-Fetch-Site", "same-origin")
		}, true, ""},
		{"Bearer, no Origin", func(b, tk string) []string { return bearerHdr(tk) }, true, ""},
		{"Bearer, Origin = baseURL", func(b, tk string) []string { return append(bearerHdr(tk), "Origin", b) }, true, ""},
		{"Bearer, foreign Origin", func(b, tk string) []string { return append(bearerHdr(tk), "Origin", "https://evil.example") }, true, ""},
		{"Bearer + unrelated cookie (foo=bar), no Origin", func(b, tk string) []string { return append(bearerHdr(tk), "Cookie", "foo=bar") }, false, missingOrigin},
		{"Bearer + unrelated cookie, Origin = baseURL", func(b, tk string) []string { return append(bearerHdr(tk), "Cookie", "foo=bar", "Origin", b) }, true, ""},
		{"Bearer + empty Cookie header, no Origin", func(b, tk string) []string { return append(bearerHdr(tk), "Cookie", "") }, false, missingOrigin},
		{"Bearer + session cookie, no Origin", func(b, tk string) []string { return append(bearerHdr(tk), cookie(tk)...) }, false, missingOrigin},
	}
}

// TestOriginCheck replays the three POST tables of transcripts.md §5.
func TestOriginCheck(t *testing.T) {
	t.Parallel()
	type target struct {
		path, body string
		want       func(sess guapocadotest.Session, passed int) string
		header     bool // a passing answer carries set-auth-token
	}
	targets := []target{
		{"/guapocado/has", `{"key":"csv-export"}`, func(s guapocadotest.Session, _ int) string {
			return `{"customerId":"` + s.CustomerID + `","allowed":true}`
		}, false},
		{"/guapocado/usage/consume", `{"key":"ai-credits","amount":1}`, func(s guapocadotest.Session, n int) string {
			return fmt.Sprintf(`{"customerId":"%s","balance":%d,"included":500,"consumed":%d,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`,
				s.CustomerID, 500-n, n)
		}, false},
		{"/organization/set-active", "", nil, true},
	}
	for _, tg := range targets {
		t.Run(strings.TrimPrefix(tg.path, "/"), func(t *testing.T) {
			t.Parallel()
			srv := guapocadotest.NewServer()
			defer srv.Close()
			sess := mustSession(t, srv)
			if err := srv.SetPlan(sess.CustomerID, "pro"); err != nil {
				t.Fatal(err)
			}
			b, want := tg.body, tg.want
			if tg.path == "/organization/set-active" {
				b = `{"organizationId":"` + sess.OrganizationID + `"}`
				orgs := rawDo(t, srv, "GET", "/organization/list", "", bearerHdr(sess.Token)...)
				org := strings.TrimSuffix(strings.TrimPrefix(orgs.Body, "["), "]")
				want = func(guapocadotest.Session, int) string { return org }
			}
			passed := 0
			for _, c := range originCases() {
				got := rawDo(t, srv, "POST", tg.path, b, c.hdr(srv.BaseURL(), sess.Token)...)
				if !c.ok {
					expectAnswer(t, c.name, got, 403, c.want)
					continue
				}
				passed++
				expectAnswer(t, c.name, got, 200, want(sess, passed))
				if tg.header && got.Header.Get("Set-Auth-Token") != sess.Token {
					t.Errorf("%s: set-auth-token %q, want the session's token", c.name, got.Header.Get("Set-Auth-Token"))
				}
			}
			if tg.path == "/guapocado/usage/consume" {
				u, err := srv.Usage(sess.CustomerID, "ai-credits")
				if err != nil {
					t.Fatal(err)
				}
				if u.Consumed != float64(passed) || len(srv.Ops()) != passed {
					t.Errorf("consumed %v with %d ops after %d passing requests: a refused request reached the ledger", u.Consumed, len(srv.Ops()), passed)
				}
			}
		})
	}
}

// TestOriginGetAndSignIn replays the GET and sign-in/sign-up tables of
// transcripts.md §5.
func TestOriginGetAndSignIn(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	alice, err := srv.SignUp("alice@example.com", "password1234", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	alice, err = srv.CreateOrganization(alice.Token, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	base := srv.BaseURL()
	cookie := sessionCookieHdr(alice.Token)
	plans := `{"plans":` + catalogueJSON(t) + `}`
	expectAnswer(t, "GET /guapocado/plans, cookie, no Origin", rawDo(t, srv, "GET", "/guapocado/plans", "", "Cookie", cookie), 200, plans)
	expectAnswer(t, "GET /guapocado/plans, cookie, foreign Origin", rawDo(t, srv, "GET", "/guapocado/plans", "", "Cookie", cookie, "Origin", "https://evil.example"), 200, plans)
	expectAnswer(t, "GET /guapocado/customer, cookie, foreign Origin", rawDo(t, srv, "GET", "/guapocado/customer", "", "Cookie", cookie, "Origin", "https://evil.example"),
		200, `{"customerId":"`+alice.CustomerID+`"}`)

	creds := `{"email":"alice@example.com","password":"password1234"}`
	signedIn := func(name string, got answer) {
		t.Helper()
		if got.Status != 200 {
			t.Errorf("%s: %d %s", name, got.Status, got.Body)
			return
		}
		m := decodeObject(t, got.Body)
		if m["redirect"] != false || got.Header.Get("Set-Auth-Token") == "" {
			t.Errorf("%s: %s (set-auth-token %q)", name, got.Body, got.Header.Get("Set-Auth-Token"))
		}
	}
	signedIn("sign-in, no Origin, no cookie", rawDo(t, srv, "POST", "/sign-in/email", creds))
	signedIn("sign-in, Origin = baseURL", rawDo(t, srv, "POST", "/sign-in/email", creds, "Origin", base))
	expectAnswer(t, "sign-in, foreign Origin", rawDo(t, srv, "POST", "/sign-in/email", creds, "Origin", "https://evil.example"), 403, invalidOrigin)
	expectAnswer(t, "sign-in, Sec-Fetch-Site cross-site + Mode navigate",
		rawDo(t, srv, "POST", "/sign-in/email", creds, "Sec-Fetch-Site", "cross-site", "Sec-Fetch-Mode", "navigate"), 403,
		`{"message":"Cross-site navigation login blocked. This request appears to be a CSRF attack.","code":"CROSS_SITE_NAVIGATION_LOGIN_BLOCKED"}`)
	expectAnswer(t, "sign-in, leftover cookie, no Origin", rawDo(t, srv, "POST", "/sign-in/email", creds, "Cookie", cookie), 403, missingOrigin)
	expectAnswer(t, "sign-in, callbackURL foreign",
		rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234","callbackURL":"https://evil.example/cb"}`), 403,
		`{"message":"Invalid callbackURL","code":"INVALID_CALLBACK_URL"}`)
	got := rawDo(t, srv, "POST", "/sign-in/email", `{"email":"alice@example.com","password":"password1234","callbackURL":"/dashboard"}`)
	if m := decodeObject(t, got.Body); got.Status != 200 || m["redirect"] != true || m["url"] != "/dashboard" {
		t.Errorf("sign-in, callbackURL relative: %d %s", got.Status, got.Body)
	}
	expectAnswer(t, "sign-up, foreign Origin",
		rawDo(t, srv, "POST", "/sign-up/email", `{"email":"eve@example.com","password":"password1234","name":"Eve"}`, "Origin", "https://evil.example"), 403, invalidOrigin)
	expectAnswer(t, "sign-out, cookie, no Origin", rawDo(t, srv, "POST", "/sign-out", "", "Cookie", cookie), 403, missingOrigin)
	expectAnswer(t, "sign-out, cookie, Origin = baseURL", rawDo(t, srv, "POST", "/sign-out", "", "Cookie", cookie, "Origin", base), 200, `{"success":true}`)
}

// TestTrustedOrigins checks WithTrustedOrigins.
func TestTrustedOrigins(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins("https://app.example.test/"))
	defer srv.Close()
	sess := mustSession(t, srv)
	ok := `{"customerId":"` + sess.CustomerID + `","allowed":true}`
	c := sessionCookieHdr(sess.Token)
	expectAnswer(t, "trusted origin", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", c, "Origin", "https://app.example.test"), 200, ok)
	expectAnswer(t, "base URL still trusted", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", c, "Origin", srv.URL), 200, ok)
	expectAnswer(t, "other port", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", c, "Origin", "https://app.example.test:8443"), 403, invalidOrigin)
	expectAnswer(t, "http twin", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, "Cookie", c, "Origin", "http://app.example.test"), 403, invalidOrigin)
}
