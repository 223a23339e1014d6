package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jarcoal/httpmock"
)

const (
	apiBase = "https://api.test"
	// testAPIKey is distinctive so that a leak into any output is found.
	testAPIKey = "sk_guap_test_NEVERPRINT_7f3a9c1e"
	defCust    = "org_1"
)

// wireRequest is one request as the platform saw it.
type wireRequest struct {
	method, path, query string // path escaped, query raw
	header              http.Header
	body                []byte
}

// wireLog records every request of a mock transport and answers from a script.
type wireLog struct {
	mu   sync.Mutex
	reqs []wireRequest
}

func (w *wireLog) all() []wireRequest {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]wireRequest(nil), w.reqs...)
}

// install makes mt answer every request with the responders in turn (the
// last one repeats), recording each request.
func (w *wireLog) install(mt *httpmock.MockTransport, answers ...httpmock.Responder) {
	n := 0
	mt.RegisterNoResponder(func(r *http.Request) (*http.Response, error) {
		var b []byte
		if r.Body != nil {
			b, _ = io.ReadAll(r.Body)
		}
		w.mu.Lock()
		w.reqs = append(w.reqs, wireRequest{r.Method, r.URL.EscapedPath(), r.URL.RawQuery, r.Header.Clone(), b})
		i := min(n, len(answers)-1)
		n++
		w.mu.Unlock()
		return answers[i](r)
	})
}

// newMockAPIClient is a platform client (default customer org_1) on a fresh
// httpmock transport, whose retry waits are recorded, not slept.
func newMockAPIClient(t *testing.T, opts ...Option) (*APIClient, *httpmock.MockTransport, *sleeps) {
	t.Helper()
	mt := httpmock.NewMockTransport()
	all := append([]Option{WithHTTPClient(&http.Client{Transport: mt}), WithAPIURL(apiBase), WithCustomerID(defCust)}, opts...)
	c, err := NewAPIClient(testAPIKey, all...)
	if err != nil {
		t.Fatal(err)
	}
	sl := &sleeps{}
	c.cfg.sleepFn = sl.sleep
	return c, mt, sl
}

// platformAction is one platform call with what it must send and decode.
type platformAction struct {
	name         string
	method, path string // path escaped
	query        string // raw query
	body         string // "" for none
	status       int    // answer status (default 200)
	answer       string
	call         func(ctx context.Context, c *APIClient) (any, error)
	check        func(t *testing.T, v any)
}

func platformActions() []platformAction {
	usage := `{"balance":95,"included":100,"consumed":5,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`
	checkUsage := func(balance int64) func(t *testing.T, v any) {
		return func(t *testing.T, v any) {
			u := v.(*Usage)
			if u.CustomerID != defCust || u.Balance != balance || u.Resets == nil || !u.Resets.Equal(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)) {
				t.Errorf("got %+v", u)
			}
		}
	}
	refund := `{"refund":{"id":"re_1","purchaseId":"pur_1","customerId":"org_1","amount":1000,"currency":"usd","status":"succeeded","mode":"full","reason":null,"createdAt":"2026-11-26T12:00:00.000Z"}}`
	contract := `{"contract":{"id":"ct_1","customerId":"org_1","priceAmount":50000,"priceCurrency":"usd","priceInterval":"year","entitlements":{"seats":{"included":500},"sso":true},"basePlanKey":"enterprise","committedVolume":null,"billingContactEmail":"ap@acme.test","invoiceTerms":"net30","status":"active","startsAt":null,"endsAt":null,"notes":null,"createdAt":"2026-11-26T12:00:00.000Z","updatedAt":"2026-11-26T12:00:00.000Z"}}`
	return []platformAction{
		{
			name: "Has", method: "GET", path: "/v1/entitlements/csv-export/has", query: "customerId=org_1", answer: `true`,
			call: func(ctx context.Context, c *APIClient) (any, error) { return c.Has(ctx, "csv-export") },
			check: func(t *testing.T, v any) {
				if v != true {
					t.Errorf("got %v", v)
				}
			},
		},
		{
			name: "Has/escaped", method: "GET", path: "/v1/entitlements/a%2Fb%20c/has", query: "customerId=team%2F7+%26+co%3D1", answer: `false`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Has(ctx, "a/b c", ForCustomer("team/7 & co=1"))
			},
			check: func(t *testing.T, v any) {
				if v != false {
					t.Errorf("got %v", v)
				}
			},
		},
		{
			name: "Limit", method: "GET", path: "/v1/entitlements/seats/limit", query: "customerId=org_1",
			answer: `{"limit":12,"included":10,"purchased":2,"expansionAllowed":true,"autoExpansionEnabled":false}`,
			call:   func(ctx context.Context, c *APIClient) (any, error) { return c.Limit(ctx, "seats") },
			check: func(t *testing.T, v any) {
				want := &Limit{CustomerID: defCust, Key: "seats", Limit: 12, Included: 10, Purchased: 2, ExpansionAllowed: true}
				if !reflect.DeepEqual(v, want) {
					t.Errorf("got %+v", v)
				}
			},
		},
		{
			name: "Limits.Configure", method: "POST", path: "/v1/entitlements/seats/limit/settings",
			body:   `{"customerId":"org_1","purchased":2,"autoExpansionEnabled":true}`,
			answer: `{"limit":12,"included":10,"purchased":2,"expansionAllowed":true,"autoExpansionEnabled":true}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Limits.Configure(ctx, "seats", LimitSettings{Purchased: Ptr(int64(2)), AutoExpansionEnabled: Ptr(true)})
			},
			check: func(t *testing.T, v any) {
				if l := v.(*Limit); l.CustomerID != defCust || l.Limit != 12 || !l.AutoExpansionEnabled {
					t.Errorf("got %+v", l)
				}
			},
		},
		{
			name: "Usage.Balance", method: "GET", path: "/v1/usage/api-calls/balance", query: "customerId=org_1", answer: usage,
			call:  func(ctx context.Context, c *APIClient) (any, error) { return c.Usage.Balance(ctx, "api-calls") },
			check: checkUsage(95),
		},
		{
			name: "Usage.Consume", method: "POST", path: "/v1/usage/api-calls/consume",
			body: `{"customerId":"org_1","amount":5,"idempotencyKey":"job-1-item-1"}`, answer: usage,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Usage.Consume(ctx, "api-calls", 5, WithIdempotencyKey("job-1-item-1"))
			},
			check: checkUsage(95),
		},
		{
			name: "Usage.Refund", method: "POST", path: "/v1/usage/api-calls/refund",
			body: `{"customerId":"org_2","amount":2,"idempotencyKey":"job-1-undo-1"}`, answer: `{"customerId":"org_2","balance":97,"resets":null}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Usage.Refund(ctx, "api-calls", 2, WithIdempotencyKey("job-1-undo-1"), ForCustomer("org_2"))
			},
			check: func(t *testing.T, v any) {
				if u := v.(*Usage); u.CustomerID != "org_2" || u.Balance != 97 || u.Resets != nil {
					t.Errorf("got %+v", u)
				}
			},
		},
		{
			name: "Usage.Configure", method: "POST", path: "/v1/usage/api-calls/settings",
			body: `{"customerId":"org_1","overageEnabled":true}`, answer: usage,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Usage.Configure(ctx, "api-calls", UsageSettings{OverageEnabled: true})
			},
			check: checkUsage(95),
		},
		{
			name: "Customer.Sync", method: "POST", path: "/v1/customers", body: `{"id":"org_1"}`, status: 201,
			answer: `{"id":"org_1","name":null,"email":null,"metadata":{}}`,
			call:   func(ctx context.Context, c *APIClient) (any, error) { return c.Customer.Sync(ctx) },
			check: func(t *testing.T, v any) {
				if cu := v.(*Customer); cu.ID != defCust || cu.Name != "" {
					t.Errorf("got %+v", cu)
				}
			},
		},
		{
			name: "Customer.Create", method: "POST", path: "/v1/customers", status: 201,
			body:   `{"id":"org_2","name":"Acme","email":"ap@acme.test","stripeCustomerId":"cus_1","metadata":{"tier":"gold"}}`,
			answer: `{"id":"org_2","name":"Acme","email":"ap@acme.test","metadata":{"tier":"gold"}}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Customer.Create(ctx, &CustomerParams{ID: "org_2", Name: "Acme", Email: "ap@acme.test", StripeCustomerID: "cus_1",
					Metadata: map[string]any{"tier": "gold"}})
			},
			check: func(t *testing.T, v any) {
				want := &Customer{ID: "org_2", Name: "Acme", Email: "ap@acme.test", Metadata: map[string]any{"tier": "gold"}}
				if !reflect.DeepEqual(v, want) {
					t.Errorf("got %+v", v)
				}
			},
		},
		{
			name: "Context", method: "POST", path: "/v1/context",
			body:   `{"customer":{"id":"org_1"},"features":["csv-export"],"usage":["api-calls"],"limits":[],"includePlans":false,"includeSubscription":true}`,
			answer: `{"customerId":"org_1","features":{"csv-export":true},"usage":{"api-calls":` + usage + `},"limits":{},"plans":[],"subscription":null}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Snapshot(ctx, &SnapshotParams{Features: []string{"csv-export"}, Usage: []string{"api-calls"}, IncludePlans: Ptr(false), Debug: true})
			},
			check: func(t *testing.T, v any) {
				bc := v.(*Snapshot)
				if bc.CustomerID != defCust || !bc.Features["csv-export"] || bc.Usage["api-calls"].Balance != 95 || bc.Usage["api-calls"].CustomerID != defCust {
					t.Errorf("got %+v", bc)
				}
			},
		},
		{
			name: "Plans.List", method: "GET", path: "/v1/plans", answer: `{"plans":[{"id":"prod_1","key":"free","config":{"pricing":{"mode":"recurring"}}}]}`,
			call: func(ctx context.Context, c *APIClient) (any, error) { return c.Plans.List(ctx) },
			check: func(t *testing.T, v any) {
				if ps := v.([]Plan); len(ps) != 1 || ps[0].Key != "free" || ps[0].Config.Pricing.Mode != "recurring" {
					t.Errorf("got %+v", ps)
				}
			},
		},
		{
			name: "Subscription.Current", method: "GET", path: "/v1/subscriptions", query: "customerId=org_1&limit=100",
			answer: `{"subscriptions":[{"id":"sub_0","customerId":"org_1","planKey":"free","status":"canceled"},{"id":"sub_1","customerId":"org_1","planKey":"pro","status":"past_due"}]}`,
			call:   func(ctx context.Context, c *APIClient) (any, error) { return c.Subscription.Current(ctx) },
			check: func(t *testing.T, v any) {
				if s := v.(*Subscription); s == nil || s.ID != "sub_1" || s.Status != StatusPastDue {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "Subscription.Change", method: "POST", path: "/v1/subscriptions/change", body: `{"customerId":"org_1","planKey":"pro"}`,
			answer: `{"id":"sub_1","customerId":"org_1","planKey":"pro","status":"active","changed":true}`,
			call:   func(ctx context.Context, c *APIClient) (any, error) { return c.Subscription.Change(ctx, "pro") },
			check: func(t *testing.T, v any) {
				if s := v.(*SubscriptionChange); s.ID != "sub_1" || s.PlanKey != "pro" || !s.Changed {
					t.Errorf("got %+v", s)
				}
			},
		},
		{
			name: "Subscription.Refund", method: "POST", path: "/v1/subscriptions/sub_1/refunds",
			body:   `{"mode":"prorated","idempotencyKey":"refund-sub_1-nov","reason":"downgrade"}`,
			answer: `{"refund":{"id":"re_2","subscriptionId":"sub_1","amount":1450,"currency":"usd","status":"succeeded","mode":"prorated"}}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Subscription.Refund(ctx, "sub_1", &RefundParams{Mode: RefundProrated, Reason: "downgrade"}, WithIdempotencyKey("refund-sub_1-nov"))
			},
			check: func(t *testing.T, v any) {
				if r := v.(*Refund); r.ID != "re_2" || r.SubscriptionID != "sub_1" || r.Amount != 1450 || r.Mode != RefundProrated || len(r.Raw) == 0 {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "Checkout.Create", method: "POST", path: "/v1/checkout",
			body:   `{"productKey":"credits-pack","successUrl":"https://app.test/ok","cancelUrl":"https://app.test/billing","customerId":"org_1"}`,
			answer: `{"url":"https://checkout.test/c/1"}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Checkout.Create(ctx, &CheckoutParams{ProductKey: "credits-pack", SuccessURL: "https://app.test/ok", CancelURL: "https://app.test/billing"})
			},
			check: func(t *testing.T, v any) {
				if co := v.(*Checkout); co.URL != "https://checkout.test/c/1" || co.CustomerID != defCust {
					t.Errorf("got %+v", co)
				}
			},
		},
		{
			name: "Purchases.List", method: "GET", path: "/v1/purchases", query: "customerId=org_1&limit=100",
			answer: `{"purchases":[{"id":"pur_1","customerId":"org_1","productKey":"credits-pack","status":"partially_refunded","amount":1000,"amountRefunded":400,"currency":"usd","quantity":1,"stripePaymentIntentId":null,"completedAt":"2026-11-26T12:00:00.000Z"}]}`,
			call:   func(ctx context.Context, c *APIClient) (any, error) { return c.Purchases.List(ctx) },
			check: func(t *testing.T, v any) {
				ps := v.([]Purchase)
				if len(ps) != 1 || ps[0].ID != "pur_1" || ps[0].Status != "partially_refunded" || *ps[0].AmountRefunded != 400 || ps[0].CompletedAt == nil {
					t.Errorf("got %+v", ps)
				}
			},
		},
		{
			name: "Purchases.Refund", method: "POST", path: "/v1/purchases/pur_1/refunds", body: `{"idempotencyKey":"refund-pur_1"}`,
			answer: refund,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Purchases.Refund(ctx, "pur_1", nil, WithIdempotencyKey("refund-pur_1"))
			},
			check: func(t *testing.T, v any) {
				if r := v.(*Refund); r.ID != "re_1" || r.PurchaseID != "pur_1" || r.Amount != 1000 || r.Status != "succeeded" {
					t.Errorf("got %+v", r)
				}
			},
		},
		{
			name: "WebhookEndpoints.Register", method: "POST", path: "/v1/webhook-endpoints/register",
			body:   `{"url":"https://app.test/hooks","events":"*","description":"jobs","integration":"go","registrationKey":"jobs"}`,
			answer: `{"id":"we_1","status":"pending_approval","url":"https://app.test/hooks","events":"*","signingSecret":"whsec_SECRETSECRET"}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.WebhookEndpoints.Register(ctx, &WebhookEndpointParams{URL: "https://app.test/hooks", AllEvents: true,
					Description: "jobs", Integration: "go", RegistrationKey: "jobs"})
			},
			check: func(t *testing.T, v any) {
				w := v.(*WebhookEndpoint)
				if w.ID != "we_1" || w.Status != WebhookStatusPendingApproval || !w.AllEvents || w.Events != nil || w.SigningSecret.Reveal() != "whsec_SECRETSECRET" {
					t.Errorf("got %+v", *w)
				}
				if s := w.String(); strings.Contains(s, "SECRETSECRET") {
					t.Error("String shows the signing secret")
				}
			},
		},
		{
			name: "WebhookEndpoints.Register/list", method: "POST", path: "/v1/webhook-endpoints/register",
			body:   `{"url":"https://app.test/hooks","events":["usage.updated","invoice.updated"]}`,
			answer: `{"id":"we_1","status":"active","url":"https://app.test/hooks","events":["usage.updated","invoice.updated"],"signingSecret":"whsec_x"}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.WebhookEndpoints.Register(ctx, &WebhookEndpointParams{URL: "https://app.test/hooks", Events: []string{"usage.updated", "invoice.updated"}})
			},
			check: func(t *testing.T, v any) {
				if w := v.(*WebhookEndpoint); w.AllEvents || !reflect.DeepEqual(w.Events, []string{"usage.updated", "invoice.updated"}) {
					t.Errorf("got %+v", *w)
				}
			},
		},
		{
			name: "Contracts.Get", method: "GET", path: "/v1/contracts/org_1", answer: contract,
			call: func(ctx context.Context, c *APIClient) (any, error) { return c.Contracts.Get(ctx) },
			check: func(t *testing.T, v any) {
				ct := v.(*Contract)
				if ct.ID != "ct_1" || *ct.PriceAmount != 50000 || ct.PriceInterval != "year" || ct.Status != ContractActive ||
					ct.Entitlements["seats"].Included != 500 || !ct.Entitlements["sso"].Enabled || ct.CommittedVolume != nil || len(ct.Raw) == 0 {
					t.Errorf("got %+v", ct)
				}
			},
		},
		{
			name: "Contracts.Set", method: "PUT", path: "/v1/contracts/org%2F1",
			body:   `{"priceAmount":50000,"priceInterval":"year","entitlements":{"seats":{"included":500}},"status":"active"}`,
			answer: contract,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Contracts.Set(ctx, &ContractParams{PriceAmount: Ptr(int64(50000)), PriceInterval: "year",
					Entitlements: map[string]Entitlement{"seats": {Included: 500}}, Status: ContractActive}, ForCustomer("org/1"))
			},
			check: func(t *testing.T, v any) {
				if ct := v.(*Contract); ct.ID != "ct_1" {
					t.Errorf("got %+v", ct)
				}
			},
		},
		{
			name: "Contracts.Delete", method: "DELETE", path: "/v1/contracts/org_1", answer: `{"deleted":true}`,
			call: func(ctx context.Context, c *APIClient) (any, error) { return c.Contracts.Delete(ctx) },
			check: func(t *testing.T, v any) {
				if v != true {
					t.Errorf("got %v", v)
				}
			},
		},
		{
			name: "Audit.List", method: "GET", path: "/v1/audit", query: "action=usage.consume&actorId=key_1&cursor=aud_9&limit=2&resourceId=org_1&resourceType=customer",
			answer: `{"logs":[{"id":"aud_8","action":"usage.consume","actorType":"api_key","actorId":"key_1","resourceType":"customer","resourceId":"org_1","requestId":"req_1","metadata":{"amount":1},"createdAt":"2026-11-26T12:00:00.000Z"}],"hasMore":true,"nextCursor":"aud_8"}`,
			call: func(ctx context.Context, c *APIClient) (any, error) {
				return c.Audit.List(ctx, &AuditListParams{Action: "usage.consume", ResourceType: "customer", ResourceID: "org_1", ActorID: "key_1", Cursor: "aud_9", Limit: 2})
			},
			check: func(t *testing.T, v any) {
				p := v.(*AuditPage)
				if len(p.Logs) != 1 || p.Logs[0].ID != "aud_8" || p.Logs[0].ResourceID != "org_1" || string(p.Logs[0].Metadata) != `{"amount":1}` ||
					!p.HasMore || p.NextCursor != "aud_8" || p.Logs[0].CreatedAt.IsZero() {
					t.Errorf("got %+v", p)
				}
			},
		},
	}
}

// checkPlatformHeaders checks the headers every platform request carries.
func checkPlatformHeaders(t *testing.T, h http.Header, hasBody bool) {
	t.Helper()
	for k, want := range map[string]string{
		"X-Guapocado-Key": testAPIKey, "Guapocado-Version": "0.0.11", "Guapocado-Sdk-Version": Version,
		"Guapocado-Sdk-Language": "go", "Accept": "application/json",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: got %q", k, got) // never the expected key in output
		}
	}
	if ct := h.Get("Content-Type"); (ct == "application/json") != hasBody {
		t.Errorf("Content-Type %q with body %v", ct, hasBody)
	}
	for _, k := range []string{"Cookie", "Authorization", "Origin"} {
		if _, ok := h[k]; ok {
			t.Errorf("%s sent to the platform", k)
		}
	}
}

// TestPlatformRoutes sends every platform call and checks the method, path,
// query, headers and body of the request, and the decoded answer.
func TestPlatformRoutes(t *testing.T) {
	t.Parallel()
	for _, a := range platformActions() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newMockAPIClient(t)
			status := a.status
			if status == 0 {
				status = 200
			}
			var w wireLog
			w.install(mt, jsonResponder(status, a.answer))
			v, err := a.call(context.Background(), c)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := w.all()
			if len(reqs) != 1 {
				t.Fatalf("%d requests", len(reqs))
			}
			r := reqs[0]
			if r.method != a.method || r.path != a.path || r.query != a.query {
				t.Errorf("sent %s %s?%s, want %s %s?%s", r.method, r.path, r.query, a.method, a.path, a.query)
			}
			checkPlatformHeaders(t, r.header, a.body != "")
			if a.body == "" {
				if len(r.body) != 0 {
					t.Errorf("unexpected body %s", r.body)
				}
			} else {
				jsonEqual(t, r.body, a.body)
			}
			a.check(t, v)
		})
	}
}

// TestPlatformErrors answers every platform call with the platform's
// {error} and an x-request-id, and checks the *Error.
func TestPlatformErrors(t *testing.T) {
	t.Parallel()
	for _, a := range platformActions() {
		t.Run(a.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newMockAPIClient(t, WithRetry(2, 0, 0))
			var w wireLog
			w.install(mt, status(400, `{"error":"bad input"}`, "X-Request-Id", "req_4f2a", "Content-Type", "application/json; charset=utf-8"))
			_, err := a.call(context.Background(), c)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v", err)
			}
			if e.StatusCode != 400 || e.Message != "bad input" || e.Code != "" || e.RequestID != "req_4f2a" ||
				e.Method != a.method || e.Path != a.path || e.Attempts != 1 || !errors.Is(err, ErrInvalidRequest) {
				t.Errorf("got %#v", e)
			}
			if s := err.Error(); !strings.Contains(s, "(request id req_4f2a)") || strings.Contains(s, "?") {
				t.Errorf("Error() = %q", s)
			}
			if n := len(w.all()); n != 1 {
				t.Errorf("400 sent %d times", n)
			}
		})
	}
}

func TestPlatformErrorClasses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		status   int
		body     string
		sentinel error
		attempts int
	}{
		{401, `{"error":"Invalid API key"}`, ErrInvalidAPIKey, 1},
		{401, `{"error":"Missing API key"}`, ErrInvalidAPIKey, 1},
		{403, `{"error":"forbidden key scope"}`, ErrForbidden, 1},
		{404, `{"error":"Unknown entitlement: x"}`, ErrNotFound, 1},
		{409, `{"error":"conflict"}`, nil, 1},
		{429, `{"error":"slow down"}`, ErrRateLimited, 3},
		{500, `{"error":"boom"}`, ErrServer, 3},
		{503, `{"error":"maintenance"}`, ErrServer, 3},
	} {
		c, mt, _ := newMockAPIClient(t, WithRetry(2, 0, 0))
		var w wireLog
		w.install(mt, status(tc.status, tc.body, "X-Request-Id", "req_1"))
		_, err := c.Usage.Consume(context.Background(), "api-calls", 1)
		var e *Error
		if !errors.As(err, &e) || e.StatusCode != tc.status || e.RequestID != "req_1" || e.Attempts != tc.attempts {
			t.Errorf("%d: got %v (%+v)", tc.status, err, e)
			continue
		}
		if tc.sentinel != nil && !errors.Is(err, tc.sentinel) {
			t.Errorf("%d: %v does not match %v", tc.status, err, tc.sentinel)
		}
		if errors.Is(err, ErrNoCustomer) || errors.Is(err, ErrInsufficientBalance) {
			t.Errorf("%d: wrong class %v", tc.status, err)
		}
		// A keyed write answered 5xx on its last attempt may have been
		// applied by an earlier one: ErrOutcomeUnknown, with its key.
		if unknown := tc.status >= 500; errors.Is(err, ErrOutcomeUnknown) != unknown || unknown && e.IdempotencyKey == "" {
			t.Errorf("%d: ErrOutcomeUnknown %v, want %v (key %q)", tc.status, errors.Is(err, ErrOutcomeUnknown), unknown, e.IdempotencyKey)
		}
		if n := len(w.all()); n != tc.attempts {
			t.Errorf("%d: %d attempts", tc.status, n)
		}
	}
}

func idemKeyOf(t *testing.T, body []byte) string {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("body %s: %v", body, err)
	}
	k, _ := m["idempotencyKey"].(string)
	return k
}

// TestConsumeIdempotencyKeyAcrossRetries: one consume keeps one key on every
// attempt (503, a lost connection, 429, then success); a second consume
// gets another key.
func TestConsumeIdempotencyKeyAcrossRetries(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockAPIClient(t, WithRetry(5, 0, time.Second))
	var w wireLog
	usage := `{"balance":9,"included":10,"consumed":1,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`
	w.install(mt,
		status(503, `{"error":"maintenance"}`),
		httpmock.NewErrorResponder(io.ErrUnexpectedEOF), // sent, answer lost
		status(429, `{"error":"slow down"}`, "Retry-After", "1"),
		jsonResponder(200, usage))
	if _, err := c.Usage.Consume(context.Background(), "ai-credits", 1); err != nil {
		t.Fatal(err)
	}
	reqs := w.all()
	if len(reqs) != 4 {
		t.Fatalf("%d attempts, want 4", len(reqs))
	}
	first := idemKeyOf(t, reqs[0].body)
	if len(first) != len("gsdk_")+32 || !strings.HasPrefix(first, "gsdk_") {
		t.Errorf("generated key %q", first)
	}
	for i, r := range reqs {
		if k := idemKeyOf(t, r.body); k != first {
			t.Errorf("attempt %d: key %q, want %q", i+1, k, first)
		}
		if string(r.body) != string(reqs[0].body) {
			t.Errorf("attempt %d: body %s differs from %s", i+1, r.body, reqs[0].body)
		}
	}
	if _, err := c.Usage.Consume(context.Background(), "ai-credits", 1); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Usage.Refund(context.Background(), "ai-credits", 1); err != nil {
		t.Fatal(err)
	}
	reqs = w.all()
	second, third := idemKeyOf(t, reqs[4].body), idemKeyOf(t, reqs[5].body)
	if second == first || third == first || third == second || second == "" || third == "" {
		t.Errorf("keys of separate calls: %q %q %q", first, second, third)
	}
}

func TestConsumeCallerKeyOnEveryAttempt(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockAPIClient(t, WithRetry(3, 0, 0))
	var w wireLog
	w.install(mt, status(500, `{"error":"boom"}`), status(502, ""), jsonResponder(200, `{"balance":1}`))
	if _, err := c.Usage.Consume(context.Background(), "api-calls", 3, WithIdempotencyKey("job-9-item-4")); err != nil {
		t.Fatal(err)
	}
	for i, r := range w.all() {
		if k := idemKeyOf(t, r.body); k != "job-9-item-4" {
			t.Errorf("attempt %d: key %q", i+1, k)
		}
	}
	if n := len(w.all()); n != 3 {
		t.Errorf("%d attempts", n)
	}
}

// TestPlatformRetryAfter: a platform 429 waits its Retry-After (within the
// maximum wait); a longer one ends the retries and is reported.
func TestPlatformRetryAfter(t *testing.T) {
	t.Parallel()
	c, mt, sl := newMockAPIClient(t, WithRetry(3, 0, 10*time.Second))
	var w wireLog
	w.install(mt, status(429, `{"error":"slow down"}`, "Retry-After", "7"), jsonResponder(200, `true`))
	if ok, err := c.Has(context.Background(), "csv-export"); err != nil || !ok {
		t.Fatalf("got %v, %v", ok, err)
	}
	if waits := sl.all(); len(waits) != 1 || waits[0] != 7*time.Second {
		t.Errorf("waits %v", waits)
	}

	c, mt, _ = newMockAPIClient(t, WithRetry(3, 0, 5*time.Second))
	var w2 wireLog
	w2.install(mt, status(429, `{"error":"slow down"}`, "Retry-After", "30", "X-Request-Id", "req_9"))
	_, err := c.Usage.Consume(context.Background(), "api-calls", 1)
	var e *Error
	if !errors.As(err, &e) || !errors.Is(err, ErrRateLimited) || e.RetryAfter != 30*time.Second || e.Attempts != 1 || e.RequestID != "req_9" {
		t.Errorf("got %v", err)
	}
}

func TestPlatformInsufficientBalanceNotRetried(t *testing.T) {
	t.Parallel()
	for _, hdr := range [][]string{nil, {"Retry-After", "1"}} {
		c, mt, _ := newMockAPIClient(t, WithRetry(3, 0, time.Minute))
		var w wireLog
		w.install(mt, status(429, `{"error":"Insufficient balance"}`, hdr...))
		_, err := c.Usage.Consume(context.Background(), "ai-credits", 11)
		if !errors.Is(err, ErrInsufficientBalance) || errors.Is(err, ErrRateLimited) {
			t.Errorf("got %v", err)
		}
		var e *Error
		if errors.As(err, &e) && e.Message != "Insufficient balance" {
			t.Errorf("message %q (the peeked body must be put back)", e.Message)
		}
		if n := len(w.all()); n != 1 {
			t.Errorf("sent %d times", n)
		}
	}
}

// TestPlatformNeedsCustomer: calls that need a customer fail before the
// network when the client has no default and the call no ForCustomer.
func TestPlatformNeedsCustomer(t *testing.T) {
	t.Parallel()
	mt := httpmock.NewMockTransport()
	c, err := NewAPIClient(testAPIKey, WithHTTPClient(&http.Client{Transport: mt}), WithAPIURL(apiBase))
	if err != nil {
		t.Fatal(err)
	}
	var w wireLog
	w.install(mt, jsonResponder(200, `{}`))
	ctx := context.Background()
	for name, call := range map[string]func() error{
		"Has":                  func() error { _, err := c.Has(ctx, "k"); return err },
		"Limit":                func() error { _, err := c.Limit(ctx, "k"); return err },
		"Limits.Configure":     func() error { _, err := c.Limits.Configure(ctx, "k", LimitSettings{}); return err },
		"Usage.Balance":        func() error { _, err := c.Usage.Balance(ctx, "k"); return err },
		"Usage.Consume":        func() error { _, err := c.Usage.Consume(ctx, "k", 1); return err },
		"Usage.Refund":         func() error { _, err := c.Usage.Refund(ctx, "k", 1); return err },
		"Usage.Configure":      func() error { _, err := c.Usage.Configure(ctx, "k", UsageSettings{}); return err },
		"Customer.Sync":        func() error { _, err := c.Customer.Sync(ctx); return err },
		"Context":              func() error { _, err := c.Snapshot(ctx, nil); return err },
		"Subscription.Current": func() error { _, err := c.Subscription.Current(ctx); return err },
		"Subscription.Change":  func() error { _, err := c.Subscription.Change(ctx, "pro"); return err },
		"Checkout.Create": func() error {
			_, err := c.Checkout.Create(ctx, &CheckoutParams{ProductKey: "p", SuccessURL: "https://a.test/", CancelURL: "https://a.test/"})
			return err
		},
		"Purchases.List":   func() error { _, err := c.Purchases.List(ctx); return err },
		"Contracts.Get":    func() error { _, err := c.Contracts.Get(ctx); return err },
		"Contracts.Set":    func() error { _, err := c.Contracts.Set(ctx, &ContractParams{}); return err },
		"Contracts.Delete": func() error { _, err := c.Contracts.Delete(ctx); return err },
	} {
		var ve *ValidationError
		if err := call(); !errors.As(err, &ve) || ve.Field != "customerId" || !errors.Is(err, ErrInvalidRequest) {
			t.Errorf("%s: got %v", name, err)
		}
	}
	if n := len(w.all()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
	// Calls that need none go out.
	if _, err := c.Plans.List(ctx); err != nil {
		t.Errorf("Plans.List: %v", err)
	}
	if _, err := c.Purchases.Refund(ctx, "pur_1", nil, WithIdempotencyKey("k")); err != nil && !errors.Is(err, ErrUnexpectedResponse) {
		t.Errorf("Purchases.Refund: %v", err)
	}
}

func TestPlatformCallOptionChecks(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockAPIClient(t)
	var w wireLog
	w.install(mt, jsonResponder(200, `{}`))
	ctx := context.Background()
	for name, tc := range map[string]struct {
		call  func() error
		field string
	}{
		"refund without key":     {func() error { _, err := c.Purchases.Refund(ctx, "pur_1", nil); return err }, "idempotencyKey"},
		"sub refund without key": {func() error { _, err := c.Subscription.Refund(ctx, "sub_1", nil); return err }, "idempotencyKey"},
		"key on a read":          {func() error { _, err := c.Has(ctx, "k", WithIdempotencyKey("a")); return err }, "idempotencyKey"},
		"empty key":              {func() error { _, err := c.Usage.Consume(ctx, "k", 1, WithIdempotencyKey(" ")); return err }, "idempotencyKey"},
		"long key": {func() error {
			_, err := c.Usage.Consume(ctx, "k", 1, WithIdempotencyKey(strings.Repeat("k", 256)))
			return err
		}, "idempotencyKey"},
		"non-ASCII key":     {func() error { _, err := c.Usage.Consume(ctx, "k", 1, WithIdempotencyKey("café")); return err }, "idempotencyKey"},
		"empty ForCustomer": {func() error { _, err := c.Usage.Balance(ctx, "k", ForCustomer("")); return err }, "customerId"},
		"bad refund mode": {func() error {
			_, err := c.Purchases.Refund(ctx, "p", &RefundParams{Mode: "half"}, WithIdempotencyKey("k"))
			return err
		}, "mode"},
		"blank purchase id":     {func() error { _, err := c.Purchases.Refund(ctx, " ", nil, WithIdempotencyKey("k")); return err }, "purchaseId"},
		"blank subscription id": {func() error { _, err := c.Subscription.Refund(ctx, "", nil, WithIdempotencyKey("k")); return err }, "subscriptionId"},
		"relative webhook URL": {func() error {
			_, err := c.WebhookEndpoints.Register(ctx, &WebhookEndpointParams{URL: "/hooks"})
			return err
		}, "url"},
		"nil webhook params":       {func() error { _, err := c.WebhookEndpoints.Register(ctx, nil); return err }, "params"},
		"bad price interval":       {func() error { _, err := c.Contracts.Set(ctx, &ContractParams{PriceInterval: "week"}); return err }, "priceInterval"},
		"negative audit limit":     {func() error { _, err := c.Audit.List(ctx, &AuditListParams{Limit: -1}); return err }, "limit"},
		"blank key":                {func() error { _, err := c.Usage.Consume(ctx, " ", 1); return err }, "key"},
		"zero amount":              {func() error { _, err := c.Usage.Consume(ctx, "k", 0); return err }, "amount"},
		"blank customer to create": {func() error { _, err := c.Customer.Create(ctx, &CustomerParams{ID: " "}); return err }, "id"},
	} {
		var ve *ValidationError
		if err := tc.call(); !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: got %v, want a ValidationError on %s", name, err, tc.field)
		}
	}
	if n := len(w.all()); n != 0 {
		t.Errorf("%d requests sent", n)
	}
}

// TestModes: a session client refuses idempotency keys (the plugin would
// drop them) before any request; a platform client is never a session copy.
// That each client lacks the other's services is a compile error
// (TestModesDoNotCompile).
func TestModes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	sc, smt, _ := newMockClient(t, testBase, WithBearerToken(testToken))
	var sw wireLog
	sw.install(smt, jsonResponder(200, `{}`))
	var ve *ValidationError
	if _, err := sc.Usage.Consume(ctx, "api-calls", 1, WithIdempotencyKey("k")); !errors.As(err, &ve) || ve.Field != "idempotencyKey" {
		t.Errorf("session consume with a key: %v", err)
	}
	if _, err := sc.Snapshot(ctx, &SnapshotParams{Customer: &CustomerProfile{Name: "Acme"}}); !errors.As(err, &ve) || ve.Field != "customer" {
		t.Errorf("session snapshot with a customer profile: %v", err)
	}
	if n := len(sw.all()); n != 0 {
		t.Errorf("session client sent %d requests", n)
	}

	pc, pmt, _ := newMockAPIClient(t)
	var pw wireLog
	pw.install(pmt, jsonResponder(200, `{}`))
	r, _ := http.NewRequest("GET", "http://app.test/", nil)
	r.Header.Set("Cookie", "better-auth.session_token=abc.def")
	r.Header.Set("Authorization", "Bearer tok")
	if got := pc.forRequest(r); got != &pc.Billing {
		t.Error("forRequest on a platform client made a session copy")
	}
	if n := len(pw.all()); n != 0 {
		t.Errorf("platform client sent %d requests", n)
	}
}

func TestNewAPIClientOptions(t *testing.T) {
	t.Parallel()
	c, err := NewAPIClient(testAPIKey)
	if err != nil || c.BaseURL() != DefaultAPIURL {
		t.Fatalf("default: %v, %v", c, err)
	}
	c, err = NewAPIClient(testAPIKey, WithAPIURL("https://proxy.example.com/guapocado/"))
	if err != nil || c.BaseURL() != "https://proxy.example.com/guapocado" {
		t.Fatalf("prefix: %v", err)
	}
	for _, u := range []string{"http://127.0.0.1:4100", "http://localhost:8080", "http://[::1]:9"} {
		if _, err := NewAPIClient(testAPIKey, WithAPIURL(u)); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for name, opt := range map[string]Option{
		"WithSessionToken":     WithSessionToken("tok.sig"),
		"WithBearerToken":      WithBearerToken("tok"),
		"WithCookieJar":        WithCookieJar(&jarStub{}),
		"WithOrigin":           WithOrigin("https://app.test"),
		"WithBasePath":         WithBasePath("/auth"),
		"WithCookiePrefix":     WithCookiePrefix("app"),
		"WithWebhookPath":      WithWebhookPath("/hooks"),
		"WithFetchCredentials": WithFetchCredentials("include"),
	} {
		if _, err := NewAPIClient(testAPIKey, opt); err == nil || !strings.Contains(err.Error(), name) || !strings.Contains(err.Error(), "session option") {
			t.Errorf("NewAPIClient with %s: %v", name, err)
		}
	}
	for _, bad := range []Option{
		WithAPIURL("http://api.example.com"), WithAPIURL("ftp://api.test"), WithAPIURL("https://"), WithAPIURL("https://api.test/?q=1"),
		WithAPIURL("https://user:pw@api.test"), WithCustomerID(" "), nil,
	} {
		if _, err := NewAPIClient(testAPIKey, bad); err == nil {
			t.Error("a bad option was accepted")
		}
	}
	for _, opt := range []Option{WithAPIURL(apiBase), WithCustomerID("org_1")} {
		if _, err := NewClient(testBase, opt); err == nil || !strings.Contains(err.Error(), "NewAPIClient") {
			t.Errorf("NewClient accepted a platform option: %v", err)
		}
	}
	for _, key := range []string{"", "   ", "sk_guap_test_has space", "sk_guap\n_test"} {
		_, err := NewAPIClient(key)
		if err == nil {
			t.Errorf("key %q accepted", key)
		} else if strings.TrimSpace(key) != "" && strings.Contains(err.Error(), strings.TrimSpace(key)) {
			t.Error("the error shows the key")
		}
	}
}

type jarStub struct{}

func (*jarStub) SetCookies(*url.URL, []*http.Cookie) {}
func (*jarStub) Cookies(*url.URL) []*http.Cookie     { return nil }

// TestPlatformRedirectKeepsKey: a redirect to another origin is not
// followed, so the key never leaves for it.
func TestPlatformRedirectKeepsKey(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockAPIClient(t, WithRetry(0, 0, 0))
	var w wireLog
	w.install(mt, status(302, "", "Location", "https://elsewhere.test/v1/plans"))
	if _, err := c.Plans.List(context.Background()); err == nil {
		t.Error("no error for a redirect")
	}
	for _, r := range w.all() {
		if r.path != "/v1/plans" {
			t.Errorf("followed to %s", r.path)
		}
	}
	if n := len(w.all()); n != 1 {
		t.Errorf("%d requests", n)
	}
}

// TestAuditAll walks the audit log's pages with the iterator.
func TestAuditAll(t *testing.T) {
	t.Parallel()
	entry := func(id string) string {
		return `{"id":"` + id + `","action":"usage.consume","actorType":"api_key","createdAt":"2026-11-26T12:00:00.000Z"}`
	}
	page1 := `{"logs":[` + entry("aud_5") + `,` + entry("aud_4") + `],"hasMore":true,"nextCursor":"aud_4"}`
	page2 := `{"logs":[` + entry("aud_3") + `],"hasMore":true,"nextCursor":"aud_3"}`
	page3 := `{"logs":[` + entry("aud_2") + `],"hasMore":false}`
	ctx := context.Background()

	c, mt, _ := newMockAPIClient(t)
	var w wireLog
	w.install(mt, jsonResponder(200, page1), jsonResponder(200, page2), jsonResponder(200, page3))
	var ids []string
	for l, err := range c.Audit.All(ctx, &AuditListParams{Action: "usage.consume", Limit: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, l.ID)
	}
	if !reflect.DeepEqual(ids, []string{"aud_5", "aud_4", "aud_3", "aud_2"}) {
		t.Errorf("ids %v", ids)
	}
	var queries []string
	for _, r := range w.all() {
		queries = append(queries, r.query)
	}
	want := []string{"action=usage.consume&limit=2", "action=usage.consume&cursor=aud_4&limit=2", "action=usage.consume&cursor=aud_3&limit=2"}
	if !reflect.DeepEqual(queries, want) {
		t.Errorf("queries %q", queries)
	}

	// Breaking out fetches no further page.
	c, mt, _ = newMockAPIClient(t)
	var w2 wireLog
	w2.install(mt, jsonResponder(200, page1), jsonResponder(200, page2))
	for range c.Audit.All(ctx, nil) {
		break
	}
	if n := len(w2.all()); n != 1 {
		t.Errorf("%d pages fetched after break", n)
	}

	// A failed page is yielded once and ends the loop.
	c, mt, _ = newMockAPIClient(t, WithRetry(0, 0, 0))
	var w3 wireLog
	w3.install(mt, jsonResponder(200, page1), status(500, `{"error":"boom"}`, "X-Request-Id", "req_7"))
	var n, errs int
	for _, err := range c.Audit.All(ctx, nil) {
		if err != nil {
			errs++
			var e *Error
			if !errors.As(err, &e) || e.RequestID != "req_7" || !errors.Is(err, ErrServer) {
				t.Errorf("got %v", err)
			}
			continue
		}
		n++
	}
	if n != 2 || errs != 1 {
		t.Errorf("%d entries, %d errors", n, errs)
	}

	// hasMore without a new cursor ends with an error instead of looping.
	c, mt, _ = newMockAPIClient(t)
	var w4 wireLog
	w4.install(mt, jsonResponder(200, page1))
	errs = 0
	for _, err := range c.Audit.All(ctx, nil) {
		if err != nil {
			errs++
			if !errors.Is(err, ErrUnexpectedResponse) {
				t.Errorf("got %v", err)
			}
		}
	}
	if errs != 1 || len(w4.all()) != 2 {
		t.Errorf("%d errors after %d pages", errs, len(w4.all()))
	}
}

func TestContractsGetNone(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockAPIClient(t)
	var w wireLog
	w.install(mt, status(404, `{"error":"Contract not found"}`))
	ct, err := c.Contracts.Get(context.Background())
	if ct != nil || err != nil {
		t.Errorf("got %v, %v", ct, err)
	}
}
