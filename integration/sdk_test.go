//go:build integration

package integration

// The SDK against the real Better Auth server (issue 5, acceptance 1 to 6).
// Each TestSDKAcceptanceN is one acceptance point. Tests that need a default
// server share one (sharedServer), started by the first of them and stopped
// in TestMain; each test signs up its own users, so they do not interfere.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"reflect"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// callTimeout bounds each test's SDK calls.
const callTimeout = 60 * time.Second

// ---- shared servers ----

// sharedSrv is a server shared by several tests, stopped in TestMain.
type sharedSrv struct {
	once            sync.Once
	s               *server
	baseURL, appURL string
}

var (
	sharedMu      sync.Mutex
	sharedServers = map[string]*sharedSrv{}
)

// sharedServer returns a running server with env, starting it on first use.
// The server outlives the calling test; TestMain stops it.
func sharedServer(t *testing.T, env map[string]string) (baseURL, appURL string) {
	t.Helper()
	keys := make([]string, 0, len(env))
	for k, v := range env {
		keys = append(keys, k+"="+v)
	}
	sort.Strings(keys)
	id := strings.Join(keys, " ")

	sharedMu.Lock()
	ss := sharedServers[id]
	if ss == nil {
		ss = &sharedSrv{}
		sharedServers[id] = ss
	}
	sharedMu.Unlock()

	ss.once.Do(func() {
		s := launch(t, env)
		sharedMu.Lock()
		ss.s = s
		sharedMu.Unlock()
		ss.baseURL, ss.appURL = s.waitReady(t) // t.Fatal here leaves appURL empty
	})
	if ss.appURL == "" {
		t.Fatalf("shared server %q did not start (see the first test that used it)", id)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("shared server stderr so far:\n%s", ss.s.stderr)
		}
	})
	return ss.baseURL, ss.appURL
}

func TestMain(m *testing.M) {
	code := m.Run()
	sharedMu.Lock()
	defer sharedMu.Unlock()
	for _, ss := range sharedServers {
		if ss.s != nil {
			stopShared(ss.s)
		}
	}
	os.Exit(code)
}

// stopShared is server.stop without a test to report to.
func stopShared(s *server) {
	if !s.stopped.CompareAndSwap(false, true) {
		return
	}
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	_ = s.stdin.Close()
}

// ---- helpers ----

func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), callTimeout)
	t.Cleanup(cancel)
	return ctx
}

// newClient builds a client for appURL or fails the test.
func newClient(t *testing.T, appURL string, opts ...guapocado.Option) *guapocado.Client {
	t.Helper()
	c, err := guapocado.NewClient(appURL, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// seenRequest is what the recorder keeps of a request: never a credential.
type seenRequest struct {
	method, path string
	origin       string
	cookieNames  []string
	bearer       string // the Authorization token, compared but never printed
}

// recorder is a RoundTripper that notes each request's session headers and,
// with toHTTP, sends https URLs to the plain-HTTP listener.
type recorder struct {
	next   http.RoundTripper
	toHTTP bool
	mu     sync.Mutex
	seen   []seenRequest
	tokens []string // set-auth-token values of responses, in order
}

func newRecorder(toHTTP bool) *recorder {
	return &recorder{next: &http.Transport{}, toHTTP: toHTTP}
}

func (r *recorder) RoundTrip(req *http.Request) (*http.Response, error) {
	sr := seenRequest{method: req.Method, path: req.URL.Path, origin: req.Header.Get("Origin")}
	for _, ck := range req.Cookies() {
		sr.cookieNames = append(sr.cookieNames, ck.Name)
	}
	if a := req.Header.Get("Authorization"); a != "" {
		sr.bearer = strings.TrimPrefix(a, "Bearer ")
	}
	if r.toHTTP && req.URL.Scheme == "https" {
		req = req.Clone(req.Context())
		req.URL.Scheme = "http"
	}
	resp, err := r.next.RoundTrip(req)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.seen = append(r.seen, sr)
	if err == nil {
		if v := resp.Header.Get("Set-Auth-Token"); v != "" {
			r.tokens = append(r.tokens, v)
		}
	}
	return resp, err
}

func (r *recorder) requests() []seenRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]seenRequest(nil), r.seen...)
}

func (r *recorder) close() { r.next.(*http.Transport).CloseIdleConnections() }

// rawPost posts a JSON body with the bearer token and returns the response.
func rawPost(t *testing.T, appURL string, s session, path, body string) rawResponse {
	t.Helper()
	r := send(t, http.MethodPost, appURL+"/api/auth"+path, map[string]string{
		"Content-Type":  "application/json",
		"Authorization": "Bearer " + s.bearer,
	}, body)
	if r.status != http.StatusOK {
		t.Fatalf("POST %s: status %d, body %s", path, r.status, r.body)
	}
	return r
}

// setActiveOrganization sets (or with "" clears) the session's active organization.
func setActiveOrganization(t *testing.T, appURL string, s session, orgID string) {
	t.Helper()
	body := `{"organizationId":null}`
	if orgID != "" {
		body = fmt.Sprintf(`{"organizationId":%q}`, orgID)
	}
	rawPost(t, appURL, s, "/organization/set-active", body)
}

// activeTeam returns the session's activeTeamId (get-session).
func activeTeam(t *testing.T, appURL string, s session) string {
	t.Helper()
	r := send(t, http.MethodGet, appURL+"/api/auth/get-session", map[string]string{"Authorization": "Bearer " + s.bearer}, "")
	var out struct {
		Session struct {
			ActiveTeamID string `json:"activeTeamId"`
		} `json:"session"`
	}
	r.decode(t, &out)
	if out.Session.ActiveTeamID == "" {
		t.Fatalf("get-session: no activeTeamId (status %d)", r.status)
	}
	return out.Session.ActiveTeamID
}

// apiError asserts err is a *guapocado.Error matching want, with status and
// (when not empty) message, and returns it.
func apiError(t *testing.T, what string, err error, want error, status int, message string) *guapocado.Error {
	t.Helper()
	if !errors.Is(err, want) {
		t.Fatalf("%s: error %v, want %v", what, err, want)
	}
	var e *guapocado.Error
	if !errors.As(err, &e) {
		t.Fatalf("%s: error %T is not a *guapocado.Error", what, err)
	}
	if e.StatusCode != status {
		t.Fatalf("%s: status %d, want %d", what, e.StatusCode, status)
	}
	if message != "" && e.Message != message {
		t.Fatalf("%s: message %q, want %q", what, e.Message, message)
	}
	return e
}

func must[T any](t *testing.T, what string) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return v
	}
}

// startOfNextMonthUTC is when api-calls resets.
func startOfNextMonthUTC(now time.Time) time.Time {
	now = now.UTC()
	return time.Date(now.Year(), now.Month()+1, 1, 0, 0, 0, 0, time.UTC)
}

func checkMonthlyReset(t *testing.T, what string, resets *time.Time) {
	t.Helper()
	if resets == nil {
		t.Fatalf("%s: resets is nil, want the start of next month", what)
	}
	now := time.Now()
	if want := startOfNextMonthUTC(now); !resets.Equal(want) && !resets.Equal(startOfNextMonthUTC(now.AddDate(0, 0, -1))) {
		t.Fatalf("%s: resets %s, want %s", what, resets.UTC().Format(time.RFC3339), want.Format(time.RFC3339))
	}
}

func checkUsage(t *testing.T, what string, u *guapocado.Usage, customerID string, balance, included, consumed int64) {
	t.Helper()
	if u.CustomerID != customerID || u.Balance != balance || u.Included != included || u.Consumed != consumed {
		t.Fatalf("%s: got customer %q balance %d included %d consumed %d, want %q %d %d %d",
			what, u.CustomerID, u.Balance, u.Included, u.Consumed, customerID, balance, included, consumed)
	}
}

// ---- acceptance 1 ----

// TestSDKAcceptance1EveryAction signs up, creates (and so activates) an
// organization over raw HTTP, then runs every SDK action with a cookie
// session (the SDK supplying Origin) and with a bearer session.
func TestSDKAcceptance1EveryAction(t *testing.T) {
	t.Parallel()
	baseURL, appURL := sharedServer(t, nil)

	t.Run("cookie", func(t *testing.T) {
		t.Parallel()
		s := signUp(t, appURL, "Cora")
		orgID := createOrganization(t, appURL, s, "cora-"+s.userID[:8])
		rec := newRecorder(false)
		t.Cleanup(rec.close)
		c := newClient(t, appURL, guapocado.WithSessionToken(s.cookie.Value), guapocado.WithHTTPClient(&http.Client{Transport: rec}))
		everyAction(t, c, orgID, "Cora")

		reqs := rec.requests()
		if len(reqs) < 15 {
			t.Fatalf("recorded %d requests, want every action", len(reqs))
		}
		for _, r := range reqs {
			if len(r.cookieNames) != 1 || r.cookieNames[0] != "better-auth.session_token" {
				t.Fatalf("%s %s: cookies %v, want exactly better-auth.session_token", r.method, r.path, r.cookieNames)
			}
			if r.bearer != "" {
				t.Fatalf("%s %s: a cookie session sent an Authorization header", r.method, r.path)
			}
			wantOrigin := baseURL
			if r.method == http.MethodGet {
				wantOrigin = "" // GETs are not checked; the SDK sends none
			}
			if r.origin != wantOrigin {
				t.Fatalf("%s %s: Origin %q, want %q", r.method, r.path, r.origin, wantOrigin)
			}
		}
	})

	t.Run("bearer", func(t *testing.T) {
		t.Parallel()
		s := signUp(t, appURL, "Bea")
		orgID := createOrganization(t, appURL, s, "bea-"+s.userID[:8])
		rec := newRecorder(false)
		t.Cleanup(rec.close)
		c := newClient(t, appURL, guapocado.WithBearerToken(s.bearer), guapocado.WithHTTPClient(&http.Client{Transport: rec}))
		everyAction(t, c, orgID, "Bea")

		for _, r := range rec.requests() {
			if len(r.cookieNames) != 0 || r.origin != "" {
				t.Fatalf("%s %s: a bearer session sent cookies %v / Origin %q", r.method, r.path, r.cookieNames, r.origin)
			}
			if r.bearer != s.bearer {
				t.Fatalf("%s %s: Authorization is not the session's bearer token", r.method, r.path)
			}
		}
	})
}

// everyAction runs every action of the SDK for a fresh organization orgID on
// the free plan, asserting on the typed results.
func everyAction(t *testing.T, c *guapocado.Client, orgID, userName string) {
	t.Helper()
	ctx := testContext(t)

	// Customer.
	cu := must[*guapocado.Customer](t, "Customer.Sync")(c.Customer.Sync(ctx))
	if cu.ID != orgID || cu.Name != userName || !strings.HasSuffix(cu.Email, "@example.com") {
		t.Fatalf("Customer.Sync: got %q %q %q, want id %q, name %q", cu.ID, cu.Name, cu.Email, orgID, userName)
	}
	ref := must[*guapocado.CustomerRef](t, "Customer.ID")(c.Customer.ID(ctx))
	if ref == nil || ref.CustomerID != orgID {
		t.Fatalf("Customer.ID: got %+v, want %q", ref, orgID)
	}

	// Context on the free plan.
	bc := must[*guapocado.Snapshot](t, "Context")(c.Snapshot(ctx, &guapocado.SnapshotParams{
		Features: []string{"csv-export", "advanced-analytics"},
		Usage:    []string{"api-calls", "ai-credits"},
		Limits:   []string{"seats"},
		Debug:    true,
	}))
	if bc.CustomerID != orgID || bc.Customer == nil || bc.Customer.ID != orgID || bc.Customer.Name != userName {
		t.Fatalf("Context: customer %q / %+v, want %q", bc.CustomerID, bc.Customer, orgID)
	}
	if want := map[string]bool{"csv-export": true, "advanced-analytics": false}; !reflect.DeepEqual(bc.Features, want) {
		t.Fatalf("Context: features %v, want %v", bc.Features, want)
	}
	apiCalls, aiCredits := bc.Usage["api-calls"], bc.Usage["ai-credits"]
	checkUsage(t, "Context usage api-calls", &apiCalls, orgID, 100, 100, 0)
	checkMonthlyReset(t, "Context usage api-calls", apiCalls.Resets)
	checkUsage(t, "Context usage ai-credits", &aiCredits, orgID, 10, 10, 0)
	if aiCredits.Resets != nil {
		t.Fatalf("Context usage ai-credits: resets %v, want nil (never resets)", aiCredits.Resets)
	}
	if l := bc.Limits["seats"]; l.CustomerID != orgID || l.Limit != 3 || l.ExpansionAllowed {
		t.Fatalf("Context limits seats: %+v, want limit 3 without expansion", l)
	}
	if len(bc.Plans) != 4 || bc.Subscription != nil || bc.Debug == nil {
		t.Fatalf("Context: %d plans, subscription %+v, debug %v; want 4, nil, timings", len(bc.Plans), bc.Subscription, bc.Debug)
	}

	// Features and limits on free.
	if ok := must[bool](t, "Has csv-export")(c.Has(ctx, "csv-export")); !ok {
		t.Fatal("Has(csv-export) = false on free, want true")
	}
	if ok := must[bool](t, "Has advanced-analytics")(c.Has(ctx, "advanced-analytics")); ok {
		t.Fatal("Has(advanced-analytics) = true on free, want false")
	}
	l := must[*guapocado.Limit](t, "Limit seats")(c.Limit(ctx, "seats"))
	if *l != (guapocado.Limit{CustomerID: orgID, Key: "seats", Limit: 3, Included: 3}) {
		t.Fatalf("Limit(seats) on free: %+v", *l)
	}
	_, err := c.Limits.Configure(ctx, "seats", guapocado.LimitSettings{Purchased: guapocado.Ptr[int64](2)})
	apiError(t, "Limits.Configure on free", err, guapocado.ErrInvalidRequest, 400, "Limit expansion is not allowed for seats on this plan")

	// Subscription: none, then pro.
	if sub := must[*guapocado.Subscription](t, "Subscription.Current")(c.Subscription.Current(ctx)); sub != nil {
		t.Fatalf("Subscription.Current before any change: %+v, want nil", sub)
	}
	ch := must[*guapocado.SubscriptionChange](t, "Subscription.Change pro")(c.Subscription.Change(ctx, "pro"))
	if !ch.Changed || ch.PlanKey != "pro" || ch.CustomerID != orgID || ch.Status != guapocado.StatusActive ||
		!strings.HasPrefix(ch.ID, "sub_") || ch.CurrentPeriodEnd == nil {
		t.Fatalf("Subscription.Change(pro): %+v", *ch)
	}
	again := must[*guapocado.SubscriptionChange](t, "Subscription.Change pro again")(c.Subscription.Change(ctx, "pro"))
	if again.Changed || again.ID != ch.ID {
		t.Fatalf("Subscription.Change(pro) again: changed %t id %q, want false %q", again.Changed, again.ID, ch.ID)
	}
	sub := must[*guapocado.Subscription](t, "Subscription.Current")(c.Subscription.Current(ctx))
	if sub == nil || sub.ID != ch.ID || sub.PlanKey != "pro" || sub.Status != guapocado.StatusActive {
		t.Fatalf("Subscription.Current after change: %+v", sub)
	}

	// Pro: analytics, expansion.
	if ok := must[bool](t, "Has advanced-analytics on pro")(c.Has(ctx, "advanced-analytics")); !ok {
		t.Fatal("Has(advanced-analytics) = false on pro, want true")
	}
	l = must[*guapocado.Limit](t, "Limits.Configure on pro")(c.Limits.Configure(ctx, "seats", guapocado.LimitSettings{
		Purchased: guapocado.Ptr[int64](2), AutoExpansionEnabled: guapocado.Ptr(true),
	}))
	if *l != (guapocado.Limit{CustomerID: orgID, Key: "seats", Limit: 12, Included: 10, Purchased: 2, ExpansionAllowed: true, AutoExpansionEnabled: true}) {
		t.Fatalf("Limits.Configure(seats) on pro: %+v", *l)
	}
	l = must[*guapocado.Limit](t, "Limit seats on pro")(c.Limit(ctx, "seats"))
	if l.Limit != 12 || l.Purchased != 2 {
		t.Fatalf("Limit(seats) after configure: %+v", *l)
	}

	// Usage on pro.
	u := must[*guapocado.Usage](t, "Usage.Balance api-calls")(c.Usage.Balance(ctx, "api-calls"))
	checkUsage(t, "Usage.Balance api-calls", u, orgID, 10000, 10000, 0)
	checkMonthlyReset(t, "Usage.Balance api-calls", u.Resets)
	if !u.OverageAllowed || u.OverageEnabled {
		t.Fatalf("Usage.Balance api-calls on pro: overage allowed %t enabled %t, want true false", u.OverageAllowed, u.OverageEnabled)
	}
	u = must[*guapocado.Usage](t, "Usage.Consume api-calls")(c.Usage.Consume(ctx, "api-calls", 5))
	checkUsage(t, "Usage.Consume api-calls 5", u, orgID, 9995, 10000, 5)
	u = must[*guapocado.Usage](t, "Usage.Refund api-calls")(c.Usage.Refund(ctx, "api-calls", 2))
	checkUsage(t, "Usage.Refund api-calls 2", u, orgID, 9997, 10000, 3)
	u = must[*guapocado.Usage](t, "Usage.Configure api-calls")(c.Usage.Configure(ctx, "api-calls", guapocado.UsageSettings{OverageEnabled: true}))
	checkUsage(t, "Usage.Configure api-calls", u, orgID, 9997, 10000, 3)
	if !u.OverageAllowed || !u.OverageEnabled {
		t.Fatalf("Usage.Configure api-calls: overage allowed %t enabled %t, want true true", u.OverageAllowed, u.OverageEnabled)
	}
	u = must[*guapocado.Usage](t, "Usage.Consume ai-credits")(c.Usage.Consume(ctx, "ai-credits", 3))
	checkUsage(t, "Usage.Consume ai-credits 3", u, orgID, 497, 500, 3)
	if u.Resets != nil {
		t.Fatalf("Usage.Consume ai-credits: resets %v, want nil", u.Resets)
	}
	_, err = c.Usage.Consume(ctx, "ai-credits", 498)
	e := apiError(t, "Usage.Consume beyond the balance", err, guapocado.ErrInsufficientBalance, 429, "Insufficient balance")
	if errors.Is(err, guapocado.ErrRateLimited) || e.Attempts != 1 {
		t.Fatalf("insufficient balance: also rate limited %t, attempts %d; want false, 1", errors.Is(err, guapocado.ErrRateLimited), e.Attempts)
	}
	u = must[*guapocado.Usage](t, "Usage.Balance ai-credits")(c.Usage.Balance(ctx, "ai-credits"))
	checkUsage(t, "Usage.Balance ai-credits after refused consume", u, orgID, 497, 500, 3)

	// Plans: the catalogue, unknown fields kept.
	plans := must[[]guapocado.Plan](t, "Plans.List")(c.Plans.List(ctx))
	checkCatalogue(t, plans)

	// Checkout.
	co := must[*guapocado.Checkout](t, "Checkout.Create")(c.Checkout.Create(ctx, &guapocado.CheckoutParams{
		ProductKey: "credits-pack",
		SuccessURL: "https://app.example.test/billing?ok=1",
		CancelURL:  "https://app.example.test/billing",
	}))
	if co.CustomerID != orgID || !strings.HasPrefix(co.URL, "https://checkout.fake-guapocado.test/c/cs_") {
		t.Fatalf("Checkout.Create: %+v", *co)
	}
}

// checkCatalogue compares the decoded plans with testdata/plans.json: the
// same JSON when marshalled back, and the typed fields.
func checkCatalogue(t *testing.T, plans []guapocado.Plan) {
	t.Helper()
	want, err := os.ReadFile("testdata/plans.json")
	if err != nil {
		t.Fatal(err)
	}
	got, err := json.Marshal(map[string]any{"plans": plans})
	if err != nil {
		t.Fatalf("marshal plans: %v", err)
	}
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("Plans.List marshalled back differs from testdata/plans.json:\n%s", got)
	}
	keys := make([]string, len(plans))
	for i, p := range plans {
		keys[i] = p.Key
	}
	if strings.Join(keys, ",") != "free,pro,credits-pack,enterprise" {
		t.Fatalf("plan keys %v", keys)
	}
	pro := plans[1]
	if pro.Config.Pricing == nil || pro.Config.Pricing.Amount == nil || *pro.Config.Pricing.Amount != 2900 ||
		pro.Config.Pricing.Frequency != "month" || pro.Config.Pricing.Mode != "recurring" {
		t.Fatalf("pro pricing: %+v", pro.Config.Pricing)
	}
	seats := pro.Config.Entitlements["seats"]
	if seats.IsFeature || seats.Included != 10 || seats.Expansion == nil || !seats.Expansion.Allowed || seats.Expansion.Amount != 900 {
		t.Fatalf("pro seats: %+v", seats)
	}
	if csv := pro.Config.Entitlements["csv-export"]; !csv.IsFeature || !csv.Enabled {
		t.Fatalf("pro csv-export: %+v", csv)
	}
	if ent := plans[3]; ent.Config.Pricing == nil || ent.Config.Pricing.Mode != "custom" ||
		!strings.Contains(string(ent.Config.Pricing.Raw), `"contact":"mailto:sales@example.test"`) || ent.StripePriceID != "" {
		t.Fatalf("enterprise: %+v", ent)
	}
}

// ---- acceptance 2 ----

// TestSDKAcceptance2NoActiveCustomer: with no active organization every
// action is ErrNoCustomer (Customer.ID nil, nil); after set-active it
// works. The team and user customer sources resolve the team and user ids.
func TestSDKAcceptance2NoActiveCustomer(t *testing.T) {
	t.Parallel()

	t.Run("organization", func(t *testing.T) {
		t.Parallel()
		_, appURL := sharedServer(t, nil)
		ctx := testContext(t)
		s := signUp(t, appURL, "Nina")
		cookie := newClient(t, appURL, guapocado.WithSessionToken(s.cookie.Value))
		bearer := newClient(t, appURL, guapocado.WithBearerToken(s.bearer))

		// A fresh sign-up has no active organization.
		for name, c := range map[string]*guapocado.Client{"cookie": cookie, "bearer": bearer} {
			noCustomer(t, ctx, name+", fresh session", c)
		}

		orgID := createOrganization(t, appURL, s, "nina-"+s.userID[:8])
		setActiveOrganization(t, appURL, s, "")
		noCustomer(t, ctx, "cookie, organization cleared", cookie)

		setActiveOrganization(t, appURL, s, orgID)
		for name, c := range map[string]*guapocado.Client{"cookie": cookie, "bearer": bearer} {
			ref, err := c.Customer.ID(ctx)
			if err != nil || ref == nil || ref.CustomerID != orgID {
				t.Fatalf("%s after set-active: Customer.ID = %+v, %v; want %q", name, ref, err, orgID)
			}
			if ok, err := c.Has(ctx, "csv-export"); err != nil || !ok {
				t.Fatalf("%s after set-active: Has = %t, %v", name, ok, err)
			}
			cu, err := c.Customer.Sync(ctx)
			if err != nil || cu.ID != orgID {
				t.Fatalf("%s after set-active: Customer.Sync = %+v, %v", name, cu, err)
			}
		}
		u, err := cookie.Usage.Consume(ctx, "api-calls", 4)
		if err != nil {
			t.Fatalf("Consume after set-active: %v", err)
		}
		checkUsage(t, "Consume after set-active", u, orgID, 96, 100, 4)
		u, err = bearer.Usage.Balance(ctx, "api-calls")
		if err != nil {
			t.Fatalf("Balance after set-active: %v", err)
		}
		checkUsage(t, "Balance after set-active (bearer)", u, orgID, 96, 100, 4)
	})

	t.Run("team", func(t *testing.T) {
		t.Parallel()
		_, appURL := startServer(t, map[string]string{"GUAP_CUSTOMER_SOURCE": "team"})
		ctx := testContext(t)
		s := signUp(t, appURL, "Tess")
		c := newClient(t, appURL, guapocado.WithSessionToken(s.cookie.Value))
		if _, err := c.Has(ctx, "csv-export"); !errors.Is(err, guapocado.ErrNoCustomer) {
			t.Fatalf("team source, no team: Has error %v, want ErrNoCustomer", err)
		}

		orgID := createOrganization(t, appURL, s, "tess-"+s.userID[:8])
		defaultTeam := activeTeam(t, appURL, s)
		if defaultTeam == orgID {
			t.Fatal("the default team id equals the organization id")
		}
		wantCustomer(t, ctx, "default team", c, defaultTeam)

		// A second team, joined and made active: the customer follows.
		r := rawPost(t, appURL, s, "/organization/create-team", `{"name":"Platform"}`)
		var team struct {
			ID string `json:"id"`
		}
		r.decode(t, &team)
		rawPost(t, appURL, s, "/organization/add-team-member", fmt.Sprintf(`{"teamId":%q,"userId":%q}`, team.ID, s.userID))
		rawPost(t, appURL, s, "/organization/set-active-team", fmt.Sprintf(`{"teamId":%q}`, team.ID))
		wantCustomer(t, ctx, "second team", c, team.ID)
	})

	t.Run("user", func(t *testing.T) {
		t.Parallel()
		_, appURL := startServer(t, map[string]string{"GUAP_CUSTOMER_SOURCE": "user"})
		ctx := testContext(t)
		s := signUp(t, appURL, "Uma")
		c := newClient(t, appURL, guapocado.WithBearerToken(s.bearer))
		wantCustomer(t, ctx, "user source, no organization", c, s.userID)
		createOrganization(t, appURL, s, "uma-"+s.userID[:8])
		wantCustomer(t, ctx, "user source, with an organization", c, s.userID)
	})
}

// wantCustomer checks that Customer.ID, Customer.Sync, Usage.Balance and a
// consume of 2 all act for customer id.
func wantCustomer(t *testing.T, ctx context.Context, what string, c *guapocado.Client, id string) {
	t.Helper()
	ref, err := c.Customer.ID(ctx)
	if err != nil || ref == nil || ref.CustomerID != id {
		t.Fatalf("%s: Customer.ID = %+v, %v; want %q", what, ref, err, id)
	}
	cu, err := c.Customer.Sync(ctx)
	if err != nil || cu.ID != id {
		t.Fatalf("%s: Customer.Sync = %+v, %v; want %q", what, cu, err, id)
	}
	before, err := c.Usage.Balance(ctx, "api-calls")
	if err != nil {
		t.Fatalf("%s: Balance: %v", what, err)
	}
	u, err := c.Usage.Consume(ctx, "api-calls", 2)
	if err != nil {
		t.Fatalf("%s: Consume: %v", what, err)
	}
	checkUsage(t, what+": Consume", u, id, before.Balance-2, 100, before.Consumed+2)
}

// noCustomer checks that every action fails with ErrNoCustomer (and not
// ErrUnauthorized), Customer.ID answers nil, nil, and Plans.List, which needs
// no customer, still works.
func noCustomer(t *testing.T, ctx context.Context, what string, c *guapocado.Client) {
	t.Helper()
	ref, err := c.Customer.ID(ctx)
	if err != nil || ref != nil {
		t.Fatalf("%s: Customer.ID = %+v, %v; want nil, nil", what, ref, err)
	}
	checkout := &guapocado.CheckoutParams{ProductKey: "pro", SuccessURL: "https://app.example.test/ok", CancelURL: "https://app.example.test/no"}
	calls := []struct {
		name string
		call func() error
	}{
		{"Customer.Sync", func() error { _, err := c.Customer.Sync(ctx); return err }},
		{"Context", func() error { _, err := c.Snapshot(ctx, nil); return err }},
		{"Has", func() error { _, err := c.Has(ctx, "csv-export"); return err }},
		{"Limit", func() error { _, err := c.Limit(ctx, "seats"); return err }},
		{"Limits.Configure", func() error {
			_, err := c.Limits.Configure(ctx, "seats", guapocado.LimitSettings{AutoExpansionEnabled: guapocado.Ptr(false)})
			return err
		}},
		{"Usage.Balance", func() error { _, err := c.Usage.Balance(ctx, "api-calls"); return err }},
		{"Usage.Consume", func() error { _, err := c.Usage.Consume(ctx, "api-calls", 1); return err }},
		{"Usage.Refund", func() error { _, err := c.Usage.Refund(ctx, "api-calls", 1); return err }},
		{"Usage.Configure", func() error {
			_, err := c.Usage.Configure(ctx, "api-calls", guapocado.UsageSettings{OverageEnabled: true})
			return err
		}},
		{"Subscription.Current", func() error { _, err := c.Subscription.Current(ctx); return err }},
		{"Subscription.Change", func() error { _, err := c.Subscription.Change(ctx, "pro"); return err }},
		{"Checkout.Create", func() error { _, err := c.Checkout.Create(ctx, checkout); return err }},
	}
	for _, cl := range calls {
		err := cl.call()
		apiError(t, what+": "+cl.name, err, guapocado.ErrNoCustomer, 401, "Sign in first")
		if errors.Is(err, guapocado.ErrUnauthorized) {
			t.Fatalf("%s: %s: error matches ErrUnauthorized too", what, cl.name)
		}
	}
	if plans, err := c.Plans.List(ctx); err != nil || len(plans) != 4 {
		t.Fatalf("%s: Plans.List = %d plans, %v; want 4, nil", what, len(plans), err)
	}
}

// ---- acceptance 3 ----

// TestSDKAcceptance3Errors: a wrong Origin is ErrOriginRejected, an invalid
// token ErrUnauthorized (cookie and bearer), and the server's validation
// errors keep their status class and message.
func TestSDKAcceptance3Errors(t *testing.T) {
	t.Parallel()
	baseURL, appURL := sharedServer(t, nil)
	ctx := testContext(t)
	s := signUp(t, appURL, "Eve")
	orgID := createOrganization(t, appURL, s, "eve-"+s.userID[:8])
	good := newClient(t, appURL, guapocado.WithBearerToken(s.bearer))

	t.Run("wrong origin", func(t *testing.T) {
		port := baseURL[strings.LastIndex(baseURL, ":")+1:]
		c := newClient(t, appURL, guapocado.WithSessionToken(s.cookie.Value), guapocado.WithOrigin("http://localhost:"+port))
		_, err := c.Has(ctx, "csv-export")
		e := apiError(t, "Has with a wrong Origin", err, guapocado.ErrOriginRejected, 403, "")
		if e.Code != "INVALID_ORIGIN" || e.Attempts != 1 || errors.Is(err, guapocado.ErrForbidden) {
			t.Fatalf("wrong origin: code %q attempts %d forbidden %t; want INVALID_ORIGIN, 1, false", e.Code, e.Attempts, errors.Is(err, guapocado.ErrForbidden))
		}
		_, err = c.Usage.Consume(ctx, "api-calls", 7)
		apiError(t, "Consume with a wrong Origin", err, guapocado.ErrOriginRejected, 403, "")
		if errors.Is(err, guapocado.ErrOutcomeUnknown) {
			t.Fatal("a refused consume is reported as outcome unknown")
		}
		// The check refused it before any handler ran: nothing was consumed.
		u, err := good.Usage.Balance(ctx, "api-calls")
		if err != nil {
			t.Fatal(err)
		}
		checkUsage(t, "balance after the refused consume", u, orgID, 100, 100, 0)
		// GETs are not checked: the same client reads its customer.
		if ref, err := c.Customer.ID(ctx); err != nil || ref == nil || ref.CustomerID != orgID {
			t.Fatalf("GET with a wrong Origin client: %+v, %v", ref, err)
		}
	})

	t.Run("invalid token", func(t *testing.T) {
		bogus := "not-a-session." + strings.Repeat("A", 43) + "="
		for name, opt := range map[string]guapocado.Option{
			"cookie": guapocado.WithSessionToken(bogus),
			"bearer": guapocado.WithBearerToken(bogus),
		} {
			c := newClient(t, appURL, opt)
			_, err := c.Has(ctx, "csv-export")
			e := apiError(t, name+": Has with an invalid token", err, guapocado.ErrUnauthorized, 401, "Unauthorized")
			if e.Code != "UNAUTHORIZED" || errors.Is(err, guapocado.ErrNoCustomer) {
				t.Fatalf("%s: code %q, no-customer %t; want UNAUTHORIZED, false", name, e.Code, errors.Is(err, guapocado.ErrNoCustomer))
			}
			_, err = c.Customer.ID(ctx)
			apiError(t, name+": Customer.ID with an invalid token", err, guapocado.ErrUnauthorized, 401, "Unauthorized")
			if strings.Contains(err.Error(), bogus) {
				t.Fatalf("%s: the error string holds the token", name)
			}
		}
	})

	t.Run("server validation", func(t *testing.T) {
		cases := []struct {
			name    string
			call    func() error
			want    error
			status  int
			message string
		}{
			{"Checkout.Create unknown product", func() error {
				_, err := good.Checkout.Create(ctx, &guapocado.CheckoutParams{ProductKey: "gold", SuccessURL: "https://a.test/ok", CancelURL: "https://a.test/no"})
				return err
			}, guapocado.ErrNotFound, 404, "Unknown product: gold"},
			{"Checkout.Create of a product without a price", func() error {
				_, err := good.Checkout.Create(ctx, &guapocado.CheckoutParams{ProductKey: "enterprise", SuccessURL: "https://a.test/ok", CancelURL: "https://a.test/no"})
				return err
			}, guapocado.ErrInvalidRequest, 400, "Product enterprise is not available for checkout"},
			// An ftp successUrl (the server's 400 "successUrl must be an
			// absolute URL") is refused client-side since issue 15 item 15:
			// see TestCheckoutURLSchemes.
			{"Limits.Configure on free", func() error {
				_, err := good.Limits.Configure(ctx, "seats", guapocado.LimitSettings{Purchased: guapocado.Ptr[int64](1)})
				return err
			}, guapocado.ErrInvalidRequest, 400, "Limit expansion is not allowed for seats on this plan"},
			{"Subscription.Change to a one-time product", func() error {
				_, err := good.Subscription.Change(ctx, "credits-pack")
				return err
			}, guapocado.ErrInvalidRequest, 400, "Plan credits-pack is not a recurring plan"},
			{"Subscription.Change to an unknown plan", func() error {
				_, err := good.Subscription.Change(ctx, "platinum")
				return err
			}, guapocado.ErrNotFound, 404, "Unknown plan: platinum"},
			{"Usage.Balance of a limit", func() error {
				_, err := good.Usage.Balance(ctx, "seats")
				return err
			}, guapocado.ErrInvalidRequest, 400, "Entitlement seats is not a usage meter"},
			{"Limit of a meter", func() error {
				_, err := good.Limit(ctx, "api-calls")
				return err
			}, guapocado.ErrInvalidRequest, 400, "Entitlement api-calls is not a limit"},
			{"Has of an unknown key", func() error {
				_, err := good.Has(ctx, "teleport")
				return err
			}, guapocado.ErrNotFound, 404, "Unknown entitlement: teleport"},
		}
		for _, tc := range cases {
			err := tc.call()
			e := apiError(t, tc.name, err, tc.want, tc.status, tc.message)
			if e.Attempts != 1 {
				t.Fatalf("%s: %d attempts, want 1 (not retried)", tc.name, e.Attempts)
			}
			var ve *guapocado.ValidationError
			if errors.As(err, &ve) {
				t.Fatalf("%s: refused client-side (%v), want the server's answer", tc.name, err)
			}
		}
	})
}

// ---- acceptance 4 ----

// TestSDKAcceptance4HTTPSBaseURL: Better Auth's baseURL is https (listener
// plain HTTP). The SDK is given the https URL, and a RoundTripper sends its
// requests to the plain listener: WithSessionToken must use the __Secure-
// cookie and the https Origin.
func TestSDKAcceptance4HTTPSBaseURL(t *testing.T) {
	t.Parallel()
	baseURL, appURL := startServer(t, map[string]string{"BA_BASE_URL_SCHEME": "https"})
	if !strings.HasPrefix(baseURL, "https://") {
		t.Fatalf("baseURL %s is not https", baseURL)
	}
	ctx := testContext(t)
	s := signUp(t, appURL, "Sam")
	orgID := createOrganization(t, appURL, s, "sam-"+s.userID[:8])

	rec := newRecorder(true)
	t.Cleanup(rec.close)
	c := newClient(t, baseURL, guapocado.WithSessionToken(s.cookie.Value), guapocado.WithHTTPClient(&http.Client{Transport: rec}))

	if ok, err := c.Has(ctx, "csv-export"); err != nil || !ok {
		t.Fatalf("Has over the https base URL: %t, %v", ok, err)
	}
	wantCustomer(t, ctx, "https base URL", c, orgID)
	if plans, err := c.Plans.List(ctx); err != nil || len(plans) != 4 {
		t.Fatalf("Plans.List: %d, %v", len(plans), err)
	}
	ch, err := c.Subscription.Change(ctx, "pro")
	if err != nil || !ch.Changed {
		t.Fatalf("Subscription.Change: %+v, %v", ch, err)
	}

	reqs := rec.requests()
	if len(reqs) != 7 {
		t.Fatalf("recorded %d requests, want 7", len(reqs))
	}
	for _, r := range reqs {
		if len(r.cookieNames) != 1 || r.cookieNames[0] != "__Secure-better-auth.session_token" {
			t.Fatalf("%s %s: cookies %v, want exactly __Secure-better-auth.session_token", r.method, r.path, r.cookieNames)
		}
		if r.method == http.MethodPost && r.origin != baseURL {
			t.Fatalf("%s %s: Origin %q, want %q", r.method, r.path, r.origin, baseURL)
		}
	}

	// The control: the unprefixed cookie name is ignored over https, so the
	// prefix is what made the calls above work.
	r := send(t, http.MethodGet, appURL+"/api/auth/guapocado/customer", map[string]string{
		"Cookie": "better-auth.session_token=" + s.cookie.Value,
	}, "")
	if r.status != http.StatusUnauthorized {
		t.Fatalf("unprefixed cookie over an https baseURL: status %d, want 401", r.status)
	}
}

// ---- acceptance 5 ----

// TestSDKAcceptance5RateLimit: under NODE_ENV=production, the 101st has in
// 10 s is ErrRateLimited with RetryAfter from X-Retry-After; a client with
// retries on recovers after the wait.
func TestSDKAcceptance5RateLimit(t *testing.T) {
	t.Parallel()
	_, appURL := startServer(t, map[string]string{"NODE_ENV": "production"})
	ctx := testContext(t)
	s := signUp(t, appURL, "Pat") // sign-up allows 3 per 10 s: once only
	createOrganization(t, appURL, s, "pat-"+s.userID[:8])

	burst := newClient(t, appURL, guapocado.WithBearerToken(s.bearer), guapocado.WithRetry(0, 0, 0))
	for i := 1; i <= 100; i++ {
		if _, err := burst.Has(ctx, "csv-export"); err != nil {
			t.Fatalf("has #%d of 100: %v", i, err)
		}
	}
	_, err := burst.Has(ctx, "csv-export")
	e := apiError(t, "has #101", err, guapocado.ErrRateLimited, 429, "Too many requests. Please try again later.")
	if e.RetryAfter < 9*time.Second || e.RetryAfter > 10*time.Second || e.Attempts != 1 || errors.Is(err, guapocado.ErrInsufficientBalance) {
		t.Fatalf("has #101: RetryAfter %s attempts %d; want 9-10s (Better Auth rounds the time left up), 1", e.RetryAfter, e.Attempts)
	}

	// Retries on, but a cap below the server's wait: reported, not waited.
	short := newClient(t, appURL, guapocado.WithBearerToken(s.bearer), guapocado.WithRetry(3, 100*time.Millisecond, time.Second))
	start := time.Now()
	_, err = short.Has(ctx, "csv-export")
	e = apiError(t, "has with a 1 s wait cap", err, guapocado.ErrRateLimited, 429, "")
	if e.RetryAfter <= time.Second || e.Attempts != 1 || time.Since(start) > 2*time.Second {
		t.Fatalf("has with a 1 s wait cap: RetryAfter %s, attempts %d, took %s; want > 1s, 1, no wait", e.RetryAfter, e.Attempts, time.Since(start))
	}

	// Retries on with room to wait: the read succeeds once the window passes.
	patient := newClient(t, appURL, guapocado.WithBearerToken(s.bearer), guapocado.WithRetry(3, 100*time.Millisecond, 15*time.Second))
	start = time.Now()
	ok, err := patient.Has(ctx, "csv-export")
	elapsed := time.Since(start)
	if err != nil || !ok {
		t.Fatalf("has with retries after the limit: %t, %v (after %s)", ok, err, elapsed)
	}
	if elapsed < 5*time.Second {
		t.Fatalf("has with retries succeeded after %s; the limiter's window had not passed, so it did not wait", elapsed)
	}
	t.Logf("recovered after %s", elapsed.Round(100*time.Millisecond))
}

// ---- acceptance 6 ----

// TestSDKAcceptance6SetAuthToken: the set-auth-token that set-active answers
// with is kept by the client and sent on later calls, which keep working.
func TestSDKAcceptance6SetAuthToken(t *testing.T) {
	t.Parallel()
	baseURL, appURL := sharedServer(t, nil)

	// Better Auth's bearer plugin accepts the unsigned session token and
	// answers set-active with the signed one: the client must switch to it.
	t.Run("bearer token replaced by set-active", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		s := signUp(t, appURL, "Rita")
		orgID := createOrganization(t, appURL, s, "rita-"+s.userID[:8])
		setActiveOrganization(t, appURL, s, "")
		unsigned, _, _ := strings.Cut(s.bearer, ".")

		rec := newRecorder(false)
		t.Cleanup(rec.close)
		c := newClient(t, appURL, guapocado.WithBearerToken(unsigned), guapocado.WithHTTPClient(&http.Client{Transport: rec}))
		if _, err := c.Has(ctx, "csv-export"); !errors.Is(err, guapocado.ErrNoCustomer) {
			t.Fatalf("Has before set-active: %v, want ErrNoCustomer", err)
		}
		org, err := c.Auth.SetActiveOrganization(ctx, orgID)
		if err != nil || org == nil || org.ID != orgID {
			t.Fatalf("Auth.SetActiveOrganization: %+v, %v", org, err)
		}
		if len(rec.tokens) != 1 || rec.tokens[0] == unsigned || rec.tokens[0] != s.bearer {
			t.Fatalf("set-active answered %d set-auth-token values; want 1, the signed token", len(rec.tokens))
		}
		n := len(rec.requests())
		workingSession(t, ctx, c, orgID)
		later := rec.requests()[n:]
		for _, r := range later {
			if r.bearer != rec.tokens[0] {
				t.Fatalf("%s %s after set-active: Authorization is not the token set-active answered with", r.method, r.path)
			}
		}
		if c.Auth.SessionToken() != rec.tokens[0] {
			t.Fatal("Auth.SessionToken is not the newest set-auth-token")
		}
	})

	// The whole flow through the SDK: sign up, create an organization, sign
	// in again (a new session has no active organization), set-active.
	t.Run("sign in and set-active through the SDK", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		email := uniqueEmail("sid")
		first := newClient(t, appURL)
		user, err := first.Auth.SignUpEmail(ctx, email, "password1234", "Sid")
		if err != nil || user == nil || user.Email != email {
			t.Fatalf("Auth.SignUpEmail: %+v, %v", user, err)
		}
		org, err := first.Auth.CreateOrganization(ctx, "Sid Co", "sid-"+user.ID[:8])
		if err != nil {
			t.Fatalf("Auth.CreateOrganization: %v", err)
		}
		workingSession(t, ctx, first, org.ID)

		rec := newRecorder(false)
		t.Cleanup(rec.close)
		c := newClient(t, appURL, guapocado.WithHTTPClient(&http.Client{Transport: rec}))
		if _, err := c.Auth.SignInEmail(ctx, email, "password1234"); err != nil {
			t.Fatalf("Auth.SignInEmail: %v", err)
		}
		if _, err := c.Has(ctx, "csv-export"); !errors.Is(err, guapocado.ErrNoCustomer) {
			t.Fatalf("Has on a new session: %v, want ErrNoCustomer", err)
		}
		if _, err := c.Auth.SetActiveOrganization(ctx, org.ID); err != nil {
			t.Fatalf("Auth.SetActiveOrganization: %v", err)
		}
		if len(rec.tokens) != 2 {
			t.Fatalf("%d set-auth-token answers, want 2 (sign-in, set-active)", len(rec.tokens))
		}
		newest := rec.tokens[1]
		n := len(rec.requests())
		workingSession(t, ctx, c, org.ID)
		info, err := c.Auth.Session(ctx)
		if err != nil || info == nil || info.Session.ActiveOrganizationID != org.ID || info.User.ID != user.ID {
			t.Fatalf("Auth.Session after set-active: %+v, %v", info, err)
		}
		for _, r := range rec.requests()[n:] {
			if r.bearer != newest {
				t.Fatalf("%s %s after set-active: Authorization is not the newest set-auth-token", r.method, r.path)
			}
			if r.method == http.MethodPost && r.origin != baseURL {
				t.Fatalf("%s %s: Origin %q with a cookie jar, want %q", r.method, r.path, r.origin, baseURL)
			}
		}

		// The token the client holds restores the session elsewhere.
		restored := newClient(t, appURL, guapocado.WithBearerToken(c.Auth.SessionToken()))
		if ref, err := restored.Customer.ID(ctx); err != nil || ref == nil || ref.CustomerID != org.ID {
			t.Fatalf("client restored from Auth.SessionToken: %+v, %v", ref, err)
		}
	})

	// A cookie session: set-active answers with set-cookie too; the client
	// keeps one session cookie and keeps working.
	t.Run("cookie session", func(t *testing.T) {
		t.Parallel()
		ctx := testContext(t)
		s := signUp(t, appURL, "Cleo")
		orgID := createOrganization(t, appURL, s, "cleo-"+s.userID[:8])
		rec := newRecorder(false)
		t.Cleanup(rec.close)
		c := newClient(t, appURL, guapocado.WithSessionToken(s.cookie.Value), guapocado.WithHTTPClient(&http.Client{Transport: rec}))
		if err := c.Auth.ClearActiveOrganization(ctx); err != nil {
			t.Fatalf("Auth.ClearActiveOrganization: %v", err)
		}
		if _, err := c.Has(ctx, "csv-export"); !errors.Is(err, guapocado.ErrNoCustomer) {
			t.Fatalf("Has after clearing: %v, want ErrNoCustomer", err)
		}
		if _, err := c.Auth.SetActiveOrganization(ctx, orgID); err != nil {
			t.Fatalf("Auth.SetActiveOrganization: %v", err)
		}
		workingSession(t, ctx, c, orgID)
		for _, r := range rec.requests() {
			if len(r.cookieNames) != 1 || r.cookieNames[0] != "better-auth.session_token" || r.bearer != "" {
				t.Fatalf("%s %s: cookies %v, bearer %t; want the session cookie only", r.method, r.path, r.cookieNames, r.bearer != "")
			}
		}
	})
}

// workingSession checks a few calls for customer id: a read, a GET, a write.
func workingSession(t *testing.T, ctx context.Context, c *guapocado.Client, id string) {
	t.Helper()
	if ok, err := c.Has(ctx, "csv-export"); err != nil || !ok {
		t.Fatalf("Has: %t, %v", ok, err)
	}
	if ref, err := c.Customer.ID(ctx); err != nil || ref == nil || ref.CustomerID != id {
		t.Fatalf("Customer.ID: %+v, %v; want %q", ref, err, id)
	}
	before, err := c.Usage.Balance(ctx, "ai-credits")
	if err != nil {
		t.Fatalf("Usage.Balance: %v", err)
	}
	u, err := c.Usage.Consume(ctx, "ai-credits", 1)
	if err != nil {
		t.Fatalf("Usage.Consume: %v", err)
	}
	checkUsage(t, "Usage.Consume", u, id, before.Balance-1, before.Included, before.Consumed+1)
}

// TestSDKClearActiveOrganizationTeamMode (issue 15, item 21): with the team
// customer source, set-active {"organizationId":null} alone leaves the team
// active and billed (Better Auth 1.7.25); Auth.ClearActiveOrganization also
// clears the team, so every call is then ErrNoCustomer, for a cookie and a
// bearer session alike.
func TestSDKClearActiveOrganizationTeamMode(t *testing.T) {
	t.Parallel()
	_, appURL := sharedServer(t, map[string]string{"GUAP_CUSTOMER_SOURCE": "team"})
	ctx := testContext(t)
	s := signUp(t, appURL, "Tara")
	orgID := createOrganization(t, appURL, s, "tara-"+s.userID[:8])
	team := activeTeam(t, appURL, s)

	// The premise: clearing the organization alone keeps billing the team.
	setActiveOrganization(t, appURL, s, "")
	bearer := newClient(t, appURL, guapocado.WithBearerToken(s.bearer))
	wantCustomer(t, ctx, "after set-active null only", bearer, team)

	for name, c := range map[string]*guapocado.Client{
		"cookie": newClient(t, appURL, guapocado.WithSessionToken(s.cookie.Value)),
		"bearer": bearer,
	} {
		if _, err := c.Auth.SetActiveOrganization(ctx, orgID); err != nil {
			t.Fatalf("%s: SetActiveOrganization: %v", name, err)
		}
		if _, err := c.Auth.SetActiveTeam(ctx, team); err != nil {
			t.Fatalf("%s: SetActiveTeam: %v", name, err)
		}
		if err := c.Auth.ClearActiveOrganization(ctx); err != nil {
			t.Fatalf("%s: ClearActiveOrganization: %v", name, err)
		}
		noCustomer(t, ctx, name+", after ClearActiveOrganization", c)
		info, err := c.Auth.Session(ctx)
		if err != nil || info == nil || info.Session.ActiveOrganizationID != "" || info.Session.ActiveTeamID != "" {
			t.Fatalf("%s: session after ClearActiveOrganization: %+v, %v", name, info, err)
		}
	}
}
