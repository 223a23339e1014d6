package guapocado

import (
	"context"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/jarcoal/httpmock"
)

// names lists the cookie names of a Cookie header, for failure messages
// that do not show the values.
func names(cookie string) string {
	var out []string
	for part := range strings.SplitSeq(cookie, ";") {
		name, _, _ := strings.Cut(strings.TrimSpace(part), "=")
		out = append(out, name)
	}
	return "[" + strings.Join(out, " ") + "]"
}

// setCookieResponder answers has_true with the given Set-Cookie lines.
func setCookieResponder(t *testing.T, setCookies ...string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(200, fixture(t, "has_true.json"))
		r.Header.Set("Content-Type", "application/json")
		for _, sc := range setCookies {
			r.Header.Add("Set-Cookie", sc)
		}
		return r, nil
	}
}

// TestCachedCookieHeaderFollowsTheJar: the Cookie header the SDK caches for
// its own jar changes with every cookie the server sets, replaces or
// deletes, and drops a cookie when it expires.
// It runs in a testing/synctest bubble: the cookie lifetimes are on its
// fake clock, so a slow machine cannot expire a cookie early.
func TestCachedCookieHeaderFollowsTheJar(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken))
		if !c.sess.ownJar {
			t.Fatal("the client's jar is not its own: the cache is not exercised")
		}
		rec := &recorder{}
		const has = testBase + "/api/auth/guapocado/has"
		ctx := context.Background()
		call := func(r httpmock.Responder) string {
			t.Helper()
			mt.RegisterResponder("POST", has, rec.responder(r))
			if _, err := c.Has(ctx, "csv-export"); err != nil {
				t.Fatal(err)
			}
			return rec.last(t).header.Get("Cookie")
		}
		plain := jsonResponder(200, fixture(t, "has_true.json"))

		if got := call(plain); got != testCookie {
			t.Fatalf("first call: cookies %s", names(got))
		}
		// A second cookie, for 1 s.
		if got := call(setCookieResponder(t, "better-auth.session_data=cache1; Path=/; Max-Age=1")); got != testCookie {
			t.Fatalf("the call that set it: cookies %s", names(got))
		}
		if got, want := call(plain), testCookie+"; better-auth.session_data=cache1"; got != want {
			t.Fatalf("after Set-Cookie: cookies %s (or other values), want %s", names(got), names(want))
		}
		// Replaced, still expiring at the same time or later.
		call(setCookieResponder(t, "better-auth.session_data=cache2; Path=/; Max-Age=1"))
		if got, want := call(plain), testCookie+"; better-auth.session_data=cache2"; got != want {
			t.Fatalf("after replacement: cookies %s (or other values), want %s", names(got), names(want))
		}
		time.Sleep(1100 * time.Millisecond)
		if got := call(plain); got != testCookie {
			t.Fatalf("after expiry: cookies %s, want the session cookie alone", names(got))
		}
		// Deleted by the server.
		call(setCookieResponder(t, "better-auth.session_token=; Path=/; Max-Age=0"))
		if got := call(plain); got != "" {
			t.Fatalf("after deletion: cookies %s, want none", names(got))
		}
		if got := rec.last(t).header.Get("Origin"); got != "" {
			t.Error("Origin sent without a cookie")
		}
	})
}

// TestUserJarIsReadOnEveryCall: a jar the user gives may change behind the
// SDK's back, so its cookies are never cached.
func TestUserJarIsReadOnEveryCall(t *testing.T) {
	t.Parallel()
	jar, _ := cookiejar.New(nil)
	c, mt, _ := newMockClient(t, testBase, WithCookieJar(jar))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(jsonResponder(200, fixture(t, "has_true.json"))))
	u, _ := url.Parse(testBase)
	for _, v := range []string{"one", "two"} {
		jar.SetCookies(u, []*http.Cookie{{Name: "better-auth.session_token", Value: v, Path: "/"}})
		if _, err := c.Has(context.Background(), "csv-export"); err != nil {
			t.Fatal(err)
		}
		if got := rec.last(t).header.Get("Cookie"); got != "better-auth.session_token="+v {
			t.Errorf("cookies %s: not the jar's current value", names(got))
		}
	}
}

// TestAuthorizationFollowsTheNewestToken: the cached Authorization header
// follows set-auth-token.
func TestAuthorizationFollowsTheNewestToken(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken("first.sig="))
	rec := &recorder{}
	const has = testBase + "/api/auth/guapocado/has"
	for i, tc := range []struct{ send, next string }{{"first.sig=", "second.sig="}, {"second.sig=", ""}, {"second.sig=", ""}} {
		mt.RegisterResponder("POST", has, rec.responder(func(*http.Request) (*http.Response, error) {
			r := httpmock.NewStringResponse(200, fixture(t, "has_true.json"))
			r.Header.Set("Content-Type", "application/json")
			if tc.next != "" {
				r.Header.Set("Set-Auth-Token", tc.next)
			}
			return r, nil
		}))
		if _, err := c.Has(context.Background(), "csv-export"); err != nil {
			t.Fatal(err)
		}
		if got := rec.last(t).header.Get("Authorization"); got != "Bearer "+tc.send {
			t.Errorf("call %d: not the newest token in Authorization", i)
		}
	}
}
