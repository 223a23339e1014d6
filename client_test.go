package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

const (
	testBase   = "http://127.0.0.1:4000"
	testToken  = "EQAeW4iPLUZUBTan95alTroK5wxGfZ3L.0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho="
	testCookie = "better-auth.session_token=EQAeW4iPLUZUBTan95alTroK5wxGfZ3L.0w82Vq94iC3fqUmseIwx0iIyPyFvi8CQS4p1rc083ho%3D"
	acme       = "ERpKczkC4SWrd9Dek30UN9O1U8beGEn5"
)

// sleeps records the waits the retry policy asked for, instead of sleeping.
type sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *sleeps) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

func (s *sleeps) all() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// newMockClient returns a client whose transport is a fresh httpmock
// MockTransport (never the global one) and whose retry waits are recorded,
// not slept.
func newMockClient(t *testing.T, base string, opts ...Option) (*Client, *httpmock.MockTransport, *sleeps) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithHTTPClient(&http.Client{Transport: mt})}, opts...)
	c, err := NewClient(base, all...)
	if err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	c.cfg.sleepFn = sl.sleep
	return c, mt, sl
}

func fixture(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile("testdata/contract/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonResponder(status int, body string) httpmock.Responder {
	return func(*http.Request) (*http.Response, error) {
		r := httpmock.NewStringResponse(status, body)
		if body != "" {
			r.Header.Set("Content-Type", "application/json")
		}
		return r, nil
	}
}

// captured is one request as the server saw it.
type captured struct {
	method, path string
	header       http.Header
	body         []byte
}

// recordingResponder answers with status/body and records every request.
type recorder struct {
	mu   sync.Mutex
	reqs []captured
}

func (rec *recorder) responder(next httpmock.Responder) httpmock.Responder {
	return func(r *http.Request) (*http.Response, error) {
		var b []byte
		if r.Body != nil {
			b, _ = io.ReadAll(r.Body)
		}
		rec.mu.Lock()
		rec.reqs = append(rec.reqs, captured{r.Method, r.URL.Path, r.Header.Clone(), b})
		rec.mu.Unlock()
		return next(r)
	}
}

func (rec *recorder) last(t *testing.T) captured {
	t.Helper()
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if len(rec.reqs) == 0 {
		t.Fatal("no request was sent")
	}
	return rec.reqs[len(rec.reqs)-1]
}

func jsonEqual(t *testing.T, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("request body %q is not JSON: %v", got, err)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want %q: %v", want, err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Errorf("request body = %s, want %s", got, want)
	}
}

func mustTime(t *testing.T, s string) time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

// actionCase is one SDK call with what it must send and what it must decode.
type actionCase struct {
	name     string
	method   string
	path     string // under /api/auth
	wantBody string // "" for no body
	fixture  string
	write    bool
	call     func(ctx context.Context, c *Client) (any, error)
	check    func(t *testing.T, v any)
}

func actions() []actionCase {
	return []actionCase{
		{
			name: "Customer.Sync", method: "POST", path: "/guapocado/customer", wantBody: `{}`, fixture: "customer_sync.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Customer.Sync(ctx) },
			check: func(t *testing.T, v any) {
				want := &Customer{ID: acme, Name: "Alice", Email: "alice@example.com"}
				if !reflect.DeepEqual(v, want) {
					t.Errorf("got %+v, want %+v", v, want)
				}
			},
		},
		{
			name: "Customer.ID", method: "GET", path: "/guapocado/customer", fixture: "customer_get.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Customer.ID(ctx) },
			check: func(t *testing.T, v any) {
				if r := v.(*CustomerRef); r == nil || r.CustomerID != acme {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "Context", method: "POST", path: "/guapocado/context", fixture: "context_debug.json",
			wantBody: `{"features":["advanced-analytics","csv-export"],"usage":["api-calls","ai-credits"],"limits":["seats"],"includePlans":false,"includeSubscription":true,"debug":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Snapshot(ctx, &SnapshotParams{
					Features: []string{"advanced-analytics", "csv-export"}, Usage: []string{"api-calls", "ai-credits"},
					Limits: []string{"seats"}, IncludePlans: Ptr(false), IncludeSubscription: Ptr(true), Debug: true,
				})
			},
			check: func(t *testing.T, v any) {
				bc := v.(*Snapshot)
				if bc.CustomerID != acme || bc.Customer == nil || bc.Customer.Email != "alice@example.com" {
					t.Errorf("customer: %+v", bc)
				}
				if !reflect.DeepEqual(bc.Features, map[string]bool{"advanced-analytics": false, "csv-export": true}) {
					t.Errorf("features %v", bc.Features)
				}
				api := bc.Usage["api-calls"]
				if api.CustomerID != acme || api.Balance != 100 || api.Resets == nil || !api.Resets.Equal(mustTime(t, "2026-12-01T00:00:00Z")) {
					t.Errorf("api-calls %+v", api)
				}
				if ai := bc.Usage["ai-credits"]; ai.Balance != 10 || ai.Resets != nil {
					t.Errorf("ai-credits %+v", ai)
				}
				if s := bc.Limits["seats"]; s.Limit != 3 || s.Included != 3 || s.CustomerID != acme {
					t.Errorf("seats %+v", s)
				}
				if len(bc.Plans) != 0 || bc.Subscription != nil || bc.Debug == nil || bc.Debug.TotalMs != 5 {
					t.Errorf("plans/subscription/debug: %+v %+v %+v", bc.Plans, bc.Subscription, bc.Debug)
				}
			},
		},
		{
			name: "Has", method: "POST", path: "/guapocado/has", wantBody: `{"key":"csv-export"}`, fixture: "has_true.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Has(ctx, "csv-export") },
			check: func(t *testing.T, v any) {
				if v != true {
					t.Errorf("got %v", v)
				}
			},
		},
		{
			name: "Limit", method: "POST", path: "/guapocado/limit", wantBody: `{"key":"seats"}`, fixture: "limit.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Limit(ctx, "seats") },
			check: func(t *testing.T, v any) {
				want := &Limit{CustomerID: acme, Key: "seats", Limit: 3, Included: 3}
				if !reflect.DeepEqual(v, want) {
					t.Errorf("got %+v", v)
				}
			},
		},
		{
			name: "Limits.Configure", method: "POST", path: "/guapocado/limit/settings", fixture: "limit_settings.json",
			wantBody: `{"key":"seats","purchased":2,"autoExpansionEnabled":true}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Limits.Configure(ctx, "seats", LimitSettings{Purchased: Ptr(int64(2)), AutoExpansionEnabled: Ptr(true)})
			},
			check: func(t *testing.T, v any) {
				want := &Limit{CustomerID: acme, Key: "seats", Limit: 12, Included: 10, Purchased: 2, ExpansionAllowed: true, AutoExpansionEnabled: true}
				if !reflect.DeepEqual(v, want) {
					t.Errorf("got %+v", v)
				}
			},
		},
		{
			name: "Usage.Balance", method: "POST", path: "/guapocado/usage/balance", wantBody: `{"key":"api-calls"}`, fixture: "balance_monthly.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Usage.Balance(ctx, "api-calls") },
			check: func(t *testing.T, v any) {
				u := v.(*Usage)
				if u.CustomerID != acme || u.Balance != 100 || u.Included != 100 || u.Consumed != 0 || u.Resets == nil ||
					!u.Resets.Equal(mustTime(t, "2026-12-01T00:00:00Z")) {
					t.Errorf("got %+v", u)
				}
			},
		},
		{
			name: "Usage.Consume", method: "POST", path: "/guapocado/usage/consume", wantBody: `{"key":"api-calls","amount":5}`,
			fixture: "consume.json", write: true,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Usage.Consume(ctx, "api-calls", 5) },
			check: func(t *testing.T, v any) {
				r := mustTime(t, "2026-12-01T00:00:00Z")
				want := &Usage{CustomerID: acme, Key: "api-calls", Balance: 95, Included: 100, Consumed: 5, Resets: &r}
				if u := v.(*Usage); u.Resets == nil || !u.Resets.Equal(r) || *u != (Usage{CustomerID: acme, Key: "api-calls", Balance: 95, Included: 100, Consumed: 5, Resets: u.Resets}) {
					t.Errorf("got %+v, want %+v", u, want)
				}
			},
		},
		{
			name: "Usage.Refund", method: "POST", path: "/guapocado/usage/refund", wantBody: `{"key":"api-calls","amount":2}`,
			fixture: "refund.json", write: true,
			call: func(ctx context.Context, c *Client) (any, error) { return c.Usage.Refund(ctx, "api-calls", 2) },
			check: func(t *testing.T, v any) {
				if u := v.(*Usage); u.Balance != 96 || u.Consumed != 4 {
					t.Errorf("got %+v", u)
				}
			},
		},
		{
			name: "Usage.Configure", method: "POST", path: "/guapocado/usage/settings", wantBody: `{"key":"api-calls","overageEnabled":true}`,
			fixture: "usage_settings.json",
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Usage.Configure(ctx, "api-calls", UsageSettings{OverageEnabled: true})
			},
			check: func(t *testing.T, v any) {
				if u := v.(*Usage); !u.OverageEnabled || u.OverageAllowed || u.Consumed != 6 {
					t.Errorf("got %+v", u)
				}
			},
		},
		{
			name: "Plans.List", method: "GET", path: "/guapocado/plans", fixture: "plans.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Plans.List(ctx) },
			check: func(t *testing.T, v any) {
				ps := v.([]Plan)
				if len(ps) != 4 {
					t.Fatalf("%d plans", len(ps))
				}
				pro := ps[1]
				if pro.Key != "pro" || pro.Name != "Pro" || pro.StripePriceID != "price_stripe_pro" || pro.Config.Pricing == nil ||
					*pro.Config.Pricing.Amount != 2900 || pro.Config.Pricing.Frequency != "month" {
					t.Errorf("pro = %+v", pro)
				}
				if e := pro.Config.Entitlements["advanced-analytics"]; !e.IsFeature || !e.Enabled {
					t.Errorf("advanced-analytics %+v", e)
				}
				if e := pro.Config.Entitlements["api-calls"]; e.IsFeature || e.Included != 10000 || e.Overage == nil || !e.Overage.Allowed || e.Overage.Unit != 1000 {
					t.Errorf("api-calls %+v", e)
				}
				ent := ps[3]
				if ent.StripeProductID != "" || ent.Config.Pricing.Mode != "custom" {
					t.Errorf("enterprise %+v", ent)
				}
				// Nothing is lost: the open pricing field survives, and the plan re-encodes as sent.
				var pr map[string]any
				if err := json.Unmarshal(ent.Config.Pricing.Raw, &pr); err != nil || pr["contact"] != "mailto:sales@example.test" {
					t.Errorf("custom pricing raw %s", ent.Config.Pricing.Raw)
				}
				out, err := json.Marshal(ps)
				if err != nil {
					t.Fatal(err)
				}
				var orig struct{ Plans json.RawMessage }
				_ = json.Unmarshal([]byte(fixtureCache["plans.json"]), &orig)
				var a, b any
				_ = json.Unmarshal(out, &a)
				_ = json.Unmarshal(orig.Plans, &b)
				if !reflect.DeepEqual(a, b) {
					t.Errorf("plans do not round-trip:\n%s", out)
				}
			},
		},
		{
			name: "Subscription.Current", method: "POST", path: "/guapocado/subscription", wantBody: `{}`, fixture: "subscription.json",
			call: func(ctx context.Context, c *Client) (any, error) { return c.Subscription.Current(ctx) },
			check: func(t *testing.T, v any) {
				s := v.(*Subscription)
				if s == nil || s.ID != "sub_000001" || s.PlanKey != "pro" || s.Status != StatusActive || s.StripeSubscriptionID != "" ||
					s.CurrentPeriodEnd == nil || !s.CurrentPeriodEnd.Equal(mustTime(t, "2026-12-01T00:00:00Z")) {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "Subscription.Change", method: "POST", path: "/guapocado/subscription/change", wantBody: `{"planKey":"pro"}`,
			fixture: "subscription_change.json",
			call:    func(ctx context.Context, c *Client) (any, error) { return c.Subscription.Change(ctx, "pro") },
			check: func(t *testing.T, v any) {
				s := v.(*SubscriptionChange)
				if !s.Changed || s.PlanKey != "pro" || s.CustomerID != acme {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "Checkout.Create", method: "POST", path: "/guapocado/checkout", fixture: "checkout.json", write: true,
			wantBody: `{"productKey":"credits-pack","successUrl":"https://app.example.test/billing/ok","cancelUrl":"https://app.example.test/billing"}`,
			call: func(ctx context.Context, c *Client) (any, error) {
				return c.Checkout.Create(ctx, &CheckoutParams{ProductKey: "credits-pack",
					SuccessURL: "https://app.example.test/billing/ok", CancelURL: "https://app.example.test/billing"})
			},
			check: func(t *testing.T, v any) {
				want := &Checkout{CustomerID: acme, URL: "https://checkout.fake-guapocado.test/c/cs_000002"}
				if !reflect.DeepEqual(v, want) {
					t.Errorf("got %+v", v)
				}
			},
		},
	}
}

var fixtureCache = map[string]string{}

func init() {
	entries, _ := os.ReadDir("testdata/contract")
	for _, e := range entries {
		b, _ := os.ReadFile("testdata/contract/" + e.Name())
		fixtureCache[e.Name()] = string(b)
	}
}

// TestActionsCookieSession: every actionCase sends the right method, path, JSON
// body and headers with a cookie session (Origin added), and decodes the
// real server's recorded answer.
func TestActionsCookieSession(t *testing.T) {
	t.Parallel()
	for _, a := range actions() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken))
			rec := &recorder{}
			mt.RegisterResponder(a.method, testBase+"/api/auth"+a.path, rec.responder(jsonResponder(200, fixture(t, a.fixture))))
			v, err := a.call(context.Background(), c)
			if err != nil {
				t.Fatalf("%s: %v", a.name, err)
			}
			a.check(t, v)
			r := rec.last(t)
			if got := r.header.Get("Cookie"); got != testCookie {
				t.Errorf("Cookie = %q, want %q", got, testCookie)
			}
			if r.header.Get("Authorization") != "" {
				t.Error("Authorization sent with a cookie session")
			}
			if a.method == "POST" {
				if got := r.header.Get("Origin"); got != testBase {
					t.Errorf("Origin = %q, want %q", got, testBase)
				}
				if got := r.header.Get("Content-Type"); got != "application/json" {
					t.Errorf("Content-Type = %q", got)
				}
				jsonEqual(t, r.body, a.wantBody)
			} else {
				if len(r.body) != 0 || r.header.Get("Origin") != "" || r.header.Get("Content-Type") != "" {
					t.Errorf("GET sent body %q, Origin %q, Content-Type %q", r.body, r.header.Get("Origin"), r.header.Get("Content-Type"))
				}
			}
			if !strings.HasPrefix(r.header.Get("User-Agent"), "guapocado-go/") {
				t.Errorf("User-Agent %q", r.header.Get("User-Agent"))
			}
		})
	}
}

// TestActionsBearerSession: with a bearer token alone, every actionCase sends
// Authorization and neither a Cookie nor an Origin.
func TestActionsBearerSession(t *testing.T) {
	t.Parallel()
	for _, a := range actions() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newMockClient(t, testBase, WithBearerToken(testToken))
			rec := &recorder{}
			mt.RegisterResponder(a.method, testBase+"/api/auth"+a.path, rec.responder(jsonResponder(200, fixture(t, a.fixture))))
			v, err := a.call(context.Background(), c)
			if err != nil {
				t.Fatalf("%s: %v", a.name, err)
			}
			a.check(t, v)
			r := rec.last(t)
			if got := r.header.Get("Authorization"); got != "Bearer "+testToken {
				t.Errorf("Authorization = %q", got)
			}
			if r.header.Get("Cookie") != "" || r.header.Get("Origin") != "" {
				t.Errorf("bearer-only request sent Cookie %q / Origin %q", r.header.Get("Cookie"), r.header.Get("Origin"))
			}
			if a.wantBody != "" {
				jsonEqual(t, r.body, a.wantBody)
			}
		})
	}
}

// TestActionsErrors: every actionCase maps each failure the contract records to
// the right sentinel and to *Error, and never shows the token.
func TestActionsErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		status int
		body   string
		want   error
		code   string
		msg    string
	}{
		{"401 UNAUTHORIZED", 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`, ErrUnauthorized, "UNAUTHORIZED", "Unauthorized"},
		{"401 Sign in first", 401, `{"message":"Sign in first"}`, ErrNoCustomer, "", "Sign in first"},
		{"403 MISSING_OR_NULL_ORIGIN", 403, `{"message":"Missing or null Origin","code":"MISSING_OR_NULL_ORIGIN"}`, ErrOriginRejected, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin"},
		{"403 INVALID_ORIGIN", 403, `{"message":"Invalid origin","code":"INVALID_ORIGIN"}`, ErrOriginRejected, "INVALID_ORIGIN", "Invalid origin"},
		{"403 other", 403, `{"message":"forbidden key scope"}`, ErrForbidden, "", "forbidden key scope"},
		{"400 VALIDATION_ERROR", 400, `{"message":"[body.key] Required","code":"VALIDATION_ERROR"}`, ErrInvalidRequest, "VALIDATION_ERROR", "[body.key] Required"},
		{"404 empty", 404, ``, ErrNotFound, "", "Not Found"},
		{"429 insufficient balance", 429, `{"message":"Insufficient balance"}`, ErrInsufficientBalance, "", "Insufficient balance"},
		{"500 empty", 500, ``, ErrServer, "", "Internal Server Error"},
		{"502 html", 502, `<html><body>Bad Gateway</body></html>`, ErrServer, "", "Bad Gateway"},
		{"200 invalid JSON", 200, `{"customerId":`, ErrUnexpectedResponse, "", ""},
		{"200 wrong types", 200, `{"customerId":5,"balance":"x","allowed":"yes","plans":7,"subscription":3,"url":[],"limit":"x"}`, ErrUnexpectedResponse, "", ""},
	}
	for _, a := range actions() {
		for _, tc := range cases {
			if a.name == "Customer.ID" && tc.name == "200 wrong types" {
				continue // {customerId:5} fails too, covered by invalid JSON; kept simple
			}
			t.Run(a.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				c, mt, _ := newMockClient(t, testBase, WithSessionToken(testToken), WithRetry(2, 0, 0))
				mt.RegisterResponder(a.method, testBase+"/api/auth"+a.path, jsonResponder(tc.status, tc.body))
				_, err := a.call(context.Background(), c)
				if err == nil {
					t.Fatal("no error")
				}
				if !errors.Is(err, tc.want) {
					t.Errorf("errors.Is(%v, %v) = false", err, tc.want)
				}
				var ae *Error
				if !errors.As(err, &ae) {
					t.Fatalf("errors.As *Error failed for %T", err)
				}
				if ae.StatusCode != tc.status || ae.Code != tc.code || (tc.msg != "" && ae.Message != tc.msg) {
					t.Errorf("Error = %+v", ae)
				}
				if ae.Method != a.method || ae.Path != "/api/auth"+a.path {
					t.Errorf("method/path = %s %s", ae.Method, ae.Path)
				}
				// A write's 5xx, or its 2xx that does not decode, may have been
				// applied (the plugin answers 500 when it lost the platform's
				// answer to an applied write): it also matches ErrOutcomeUnknown.
				unknown := a.write && (tc.status >= 500 || tc.status == 200)
				if got := errors.Is(err, ErrOutcomeUnknown); got != unknown {
					t.Errorf("errors.Is(%v, ErrOutcomeUnknown) = %v, want %v", err, got, unknown)
				}
				for _, other := range []error{ErrUnauthorized, ErrNoCustomer, ErrOriginRejected, ErrForbidden, ErrNotFound,
					ErrInvalidRequest, ErrInsufficientBalance, ErrRateLimited, ErrServer, ErrUnexpectedResponse, ErrInvalidAPIKey} {
					if other != tc.want && errors.Is(err, other) {
						t.Errorf("also matches %v", other)
					}
				}
				if s := err.Error(); strings.Contains(s, "EQAeW4iPLUZUBTan95alTroK5wxGfZ3L") {
					t.Errorf("token in error: %s", s)
				}
				if tc.name == "502 html" && ae.Snippet == "" {
					t.Error("no snippet of the non-JSON body")
				}
			})
		}
	}
}
