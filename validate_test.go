package guapocado

import (
	"context"
	"errors"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/jarcoal/httpmock"
)

// TestValidationBeforeNetwork: bad input fails with a *ValidationError naming
// the field, and no request is sent.
func TestValidationBeforeNetwork(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	cases := []struct {
		name  string
		field string
		call  func(c *Client) error
	}{
		{"empty key", "key", func(c *Client) error { _, err := c.Usage.Consume(ctx, "", 1); return err }},
		{"blank key", "key", func(c *Client) error { _, err := c.Usage.Balance(ctx, "   "); return err }},
		{"has blank key", "key", func(c *Client) error { _, err := c.Has(ctx, "\t"); return err }},
		{"limit empty key", "key", func(c *Client) error { _, err := c.Limit(ctx, ""); return err }},
		{"amount 0", "amount", func(c *Client) error { _, err := c.Usage.Consume(ctx, "api-calls", 0); return err }},
		{"amount -1", "amount", func(c *Client) error { _, err := c.Usage.Refund(ctx, "api-calls", -1); return err }},
		{"amount above 2^53", "amount", func(c *Client) error { _, err := c.Usage.Consume(ctx, "api-calls", 1<<53+1); return err }},
		{"negative purchased", "purchased", func(c *Client) error {
			_, err := c.Limits.Configure(ctx, "seats", LimitSettings{Purchased: Ptr(int64(-1))})
			return err
		}},
		{"settings blank key", "key", func(c *Client) error { _, err := c.Usage.Configure(ctx, " ", UsageSettings{}); return err }},
		{"empty planKey", "planKey", func(c *Client) error { _, err := c.Subscription.Change(ctx, ""); return err }},
		{"nil checkout params", "params", func(c *Client) error { _, err := c.Checkout.Create(ctx, nil); return err }},
		{"empty productKey", "productKey", func(c *Client) error {
			_, err := c.Checkout.Create(ctx, &CheckoutParams{SuccessURL: "https://a.test/ok", CancelURL: "https://a.test/no"})
			return err
		}},
		{"empty successUrl", "successUrl", func(c *Client) error {
			_, err := c.Checkout.Create(ctx, &CheckoutParams{ProductKey: "pro", CancelURL: "https://a.test/no"})
			return err
		}},
		{"relative cancelUrl", "cancelUrl", func(c *Client) error {
			_, err := c.Checkout.Create(ctx, &CheckoutParams{ProductKey: "pro", SuccessURL: "https://a.test/ok", CancelURL: "/no"})
			return err
		}},
		{"context empty feature", "features", func(c *Client) error {
			_, err := c.Snapshot(ctx, &SnapshotParams{Features: []string{""}})
			return err
		}},
		{"ForCustomer empty", "customerId", func(c *Client) error { _, err := c.Has(ctx, "csv-export", ForCustomer("")); return err }},
		{"nil context", "ctx", func(c *Client) error {
			var nilCtx context.Context
			_, err := c.Usage.Balance(nilCtx, "api-calls")
			return err
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken))
			err := tc.call(c)
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("got %v (%T), want *ValidationError", err, err)
			}
			if ve.Field != tc.field {
				t.Errorf("field = %q, want %q", ve.Field, tc.field)
			}
			if !errors.Is(err, ErrInvalidRequest) {
				t.Error("ValidationError does not match ErrInvalidRequest")
			}
			if n := mt.GetTotalCallCount(); n != 0 {
				t.Errorf("%d requests sent", n)
			}
		})
	}
}

func TestAmountLimits(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/usage/consume", rec.responder(jsonResponder(200, fixture(t, "consume.json"))))
	if _, err := c.Usage.Consume(context.Background(), "api-calls", 1<<53); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, rec.last(t).body, `{"key":"api-calls","amount":9007199254740992}`)
	if _, err := c.Usage.Consume(context.Background(), "api-calls", 1, ForCustomer("team_123")); err != nil {
		t.Fatal(err)
	}
	jsonEqual(t, rec.last(t).body, `{"key":"api-calls","amount":1,"customerId":"team_123"}`)
}

func TestNewClientOptions(t *testing.T) {
	t.Parallel()
	bad := []struct {
		name string
		base string
		opts []Option
	}{
		{"no scheme", "app.example.com", nil},
		{"ftp", "ftp://app.example.com", nil},
		{"query", "https://app.example.com?x=1", nil},
		{"userinfo", "https://u:p@app.example.com", nil},
		{"empty session token", testBase, []Option{WithSessionToken(" ")}},
		{"empty bearer", testBase, []Option{WithBearerToken("")}},
		{"nil jar", testBase, []Option{WithCookieJar(nil)}},
		{"nil http client", testBase, []Option{WithHTTPClient(nil)}},
		{"bad origin", testBase, []Option{WithOrigin("127.0.0.1:4000")}},
		{"origin with path", testBase, []Option{WithOrigin("http://a.test/x")}},
		{"base path", testBase, []Option{WithBasePath("api")}},
		{"cookie header", testBase, []Option{WithHeader("Cookie", "a=b")}},
		{"bad header", testBase, []Option{WithHeader("X Y", "1")}},
		{"retry", testBase, []Option{WithRetry(-1, 0, 0)}},
		{"retry waits", testBase, []Option{WithRetry(1, 2, 1)}},
		{"max body", testBase, []Option{WithMaxResponseBytes(0)}},
		{"nil option", testBase, []Option{nil}},
		{"prefix", testBase, []Option{WithCookiePrefix("a;b")}},
		{"fetch mode", testBase, []Option{WithFetchCredentials("all")}},
	}
	for _, tc := range bad {
		if c, err := NewClient(tc.base, tc.opts...); err == nil || c != nil {
			t.Errorf("%s: NewClient accepted it", tc.name)
		} else if strings.Contains(err.Error(), "EQAeW4") {
			t.Errorf("%s: secret in error", tc.name)
		}
	}
	c, err := NewClient("https://app.example.com/", WithBasePath("/auth/"))
	if err != nil {
		t.Fatal(err)
	}
	if c.BaseURL() != "https://app.example.com/auth" {
		t.Errorf("BaseURL = %q", c.BaseURL())
	}
}

// TestSecureCookieName: over https the session cookie is __Secure- prefixed,
// the prefix is configurable, and the token never appears in errors.
func TestSecureCookieName(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		base, prefix, wantName string
	}{
		{"https://app.example.test", "", "__Secure-better-auth.session_token"},
		{"http://127.0.0.1:4000", "", "better-auth.session_token"},
		{"https://app.example.test", "myapp", "__Secure-myapp.session_token"},
	} {
		opts := []Option{WithSessionToken(testToken)}
		if tc.prefix != "" {
			opts = append(opts, WithCookiePrefix(tc.prefix))
		}
		c, mt, _ := newMockClient(t, tc.base, opts...)
		rec := &recorder{}
		mt.RegisterResponder("POST", tc.base+"/api/auth/guapocado/has", rec.responder(jsonResponder(401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`)))
		_, err := c.Has(context.Background(), "csv-export")
		if !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("%s: %v", tc.base, err)
		}
		r := rec.last(t)
		want := tc.wantName + "=" + url.QueryEscape(testToken)
		if got := r.header.Get("Cookie"); got != want {
			t.Errorf("Cookie = %q, want %q", got, want)
		}
		if got := r.header.Get("Origin"); got != tc.base {
			t.Errorf("Origin = %q, want %q", got, tc.base)
		}
		for _, secret := range []string{testToken, url.QueryEscape(testToken), "EQAeW4iPLUZUBTan95alTroK5wxGfZ3L", "0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho"} {
			if strings.Contains(err.Error(), secret) {
				t.Errorf("token in %q", err.Error())
			}
		}
	}
}

// TestSessionTokenForms: a token given URL-encoded (as copied from a cookie)
// is sent once-encoded.
func TestSessionTokenForms(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithSessionToken(url.QueryEscape(testToken)))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(jsonResponder(200, fixture(t, "has_true.json"))))
	if _, err := c.Has(context.Background(), "csv-export"); err != nil {
		t.Fatal(err)
	}
	if got := rec.last(t).header.Get("Cookie"); got != testCookie {
		t.Errorf("Cookie = %q", got)
	}
}

// TestBearerRotation: the newest set-auth-token replaces the bearer token.
func TestBearerRotation(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken("old.sig="))
	rec := &recorder{}
	first := true
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, fixture(t, "has_true.json"))
		if first {
			resp.Header.Set("set-auth-token", "new.sig=")
			first = false
		}
		return resp, nil
	}))
	for i := 0; i < 2; i++ {
		if _, err := c.Has(context.Background(), "csv-export"); err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.reqs[0].header.Get("Authorization"); got != "Bearer old.sig=" {
		t.Errorf("first Authorization %q", got)
	}
	if got := rec.reqs[1].header.Get("Authorization"); got != "Bearer new.sig=" {
		t.Errorf("second Authorization %q", got)
	}
}

// TestCookieJarSession: cookies the server sets are kept in the jar and sent
// back (with Origin); WithCookieJar uses the caller's jar.
func TestCookieJarSession(t *testing.T) {
	t.Parallel()
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(testBase)
	jar.SetCookies(u, []*http.Cookie{{Name: "better-auth.session_token", Value: "a%2Eb", Path: "/"}})
	c, mt, _ := newMockClient(t, testBase, WithCookieJar(jar))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(200, fixture(t, "has_true.json"))
		resp.Header.Add("Set-Cookie", "better-auth.session_data=xyz; Path=/; HttpOnly")
		return resp, nil
	}))
	for i := 0; i < 2; i++ {
		if _, err := c.Has(context.Background(), "csv-export"); err != nil {
			t.Fatal(err)
		}
	}
	if got := rec.reqs[1].header.Get("Cookie"); !strings.Contains(got, "better-auth.session_token=a%2Eb") || !strings.Contains(got, "better-auth.session_data=xyz") {
		t.Errorf("second Cookie %q", got)
	}
	if rec.reqs[1].header.Get("Origin") != testBase {
		t.Error("no Origin with cookies")
	}
}

// TestWithOriginAndHeaders: WithOrigin overrides the Origin; WithHeader and
// WithUserAgent are sent.
func TestWithOriginAndHeaders(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken), WithOrigin("https://app.example.test/"),
		WithHeader("X-Trace", "abc"), WithUserAgent("my-cli/1.0"))
	rec := &recorder{}
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/has", rec.responder(jsonResponder(200, fixture(t, "has_true.json"))))
	if _, err := c.Has(context.Background(), "csv-export"); err != nil {
		t.Fatal(err)
	}
	r := rec.last(t)
	if r.header.Get("Origin") != "https://app.example.test" || r.header.Get("X-Trace") != "abc" || r.header.Get("User-Agent") != "my-cli/1.0" {
		t.Errorf("headers %v", r.header)
	}
}

func TestNullResults(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken))
	mt.RegisterResponder("GET", testBase+"/api/auth/guapocado/customer", jsonResponder(200, "null"))
	mt.RegisterResponder("POST", testBase+"/api/auth/guapocado/subscription", jsonResponder(200, fixture(t, "subscription_none.json")))
	ref, err := c.Customer.ID(context.Background())
	if err != nil || ref != nil {
		t.Errorf("Customer.ID = %v, %v; want nil, nil", ref, err)
	}
	s, err := c.Subscription.Current(context.Background())
	if err != nil || s != nil {
		t.Errorf("Subscription.Current = %v, %v; want nil, nil", s, err)
	}
}

func TestLimitFractional(t *testing.T) {
	t.Parallel()
	var l Limit
	if err := l.UnmarshalJSON([]byte(`{"customerId":"c","limit":11.5,"included":10,"purchased":1.5,"expansionAllowed":true,"autoExpansionEnabled":true}`)); err != nil {
		t.Fatal(err)
	}
	if l.Limit != 11 || l.Purchased != 1 || l.Included != 10 {
		t.Errorf("%+v", l)
	}
}

func TestResponseCap(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken), WithMaxResponseBytes(64))
	mt.RegisterResponder("GET", testBase+"/api/auth/guapocado/plans", jsonResponder(200, fixture(t, "plans.json")))
	_, err := c.Plans.List(context.Background())
	if !errors.Is(err, ErrUnexpectedResponse) {
		t.Fatalf("got %v", err)
	}
}

// TestNoCredentialsOffOrigin: a redirect to another origin is not followed,
// so the session never leaves the base origin.
func TestNoCredentialsOffOrigin(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken), WithBearerToken(testToken))
	mt.RegisterResponder("GET", testBase+"/api/auth/guapocado/plans", func(r *http.Request) (*http.Response, error) {
		resp := httpmock.NewStringResponse(302, "")
		resp.Header.Set("Location", "http://127.0.0.1:9999/steal")
		return resp, nil
	})
	stolen := 0
	mt.RegisterResponder("GET", "http://127.0.0.1:9999/steal", func(r *http.Request) (*http.Response, error) {
		stolen++
		return httpmock.NewStringResponse(200, `{"plans":[]}`), nil
	})
	_, err := c.Plans.List(context.Background())
	var ae *Error
	if !errors.As(err, &ae) || ae.StatusCode != 302 {
		t.Fatalf("got %v", err)
	}
	if stolen != 0 {
		t.Error("redirect to another origin was followed")
	}
}
