package guapocado_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

const consumePath = guapocadotest.BasePath + "/guapocado/usage/consume"

// handlerSeen is what the handler behind the middleware was given.
type handlerSeen struct {
	mu     sync.Mutex
	calls  int
	usage  *guapocado.Usage
	hasUse bool
	client *guapocado.Billing
}

func (h *handlerSeen) handler(status int) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, ok := guapocado.UsageFromContext(r.Context())
		c, _ := guapocado.ClientFromContext(r.Context())
		h.mu.Lock()
		h.calls++
		h.usage, h.hasUse, h.client = u, ok, c
		h.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
}

func (h *handlerSeen) count() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls
}

func newFake(t *testing.T, opts ...guapocadotest.Option) *guapocadotest.Server {
	t.Helper()
	srv := guapocadotest.NewServer(opts...)
	t.Cleanup(srv.Close)
	return srv
}

func newSession(t *testing.T, srv *guapocadotest.Server) guapocadotest.Session {
	t.Helper()
	s, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func newSDK(t *testing.T, srv *guapocadotest.Server, opts ...guapocado.Option) *guapocado.Client {
	t.Helper()
	c, err := guapocado.NewClient(srv.URL, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// withCookie is an incoming browser request carrying the session cookie.
func withCookie(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Cookie", "theme=dark; better-auth.session_token="+url.QueryEscape(token))
	return r
}

func withBearer(method, target, token string) *http.Request {
	r := httptest.NewRequest(method, target, nil)
	r.Header.Set("Authorization", "Bearer "+token)
	return r
}

// decodeDenial checks the middleware's JSON answer and returns its body.
func decodeDenial(t *testing.T, rec *httptest.ResponseRecorder, status int, code string) guapocado.MiddlewareError {
	t.Helper()
	if rec.Code != status {
		t.Fatalf("status %d, want %d; body %s", rec.Code, status, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control %q", cc)
	}
	var body guapocado.MiddlewareError
	dec := json.NewDecoder(rec.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil {
		t.Fatalf("body does not decode: %v", err)
	}
	if body.Code != code || body.Message == "" {
		t.Errorf("body %+v, want error %q with a message", body, code)
	}
	return body
}

func consumed(t *testing.T, srv *guapocadotest.Server, customerID, key string) float64 {
	t.Helper()
	u, err := srv.Usage(customerID, key)
	if err != nil {
		t.Fatal(err)
	}
	return u.Consumed
}

func TestMiddlewareAllowedPassesUsageAndClient(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	seen := &handlerSeen{}
	h := mustMiddleware(t, c, guapocado.RequireFeature("csv-export"), guapocado.ConsumeUsage("ai-credits", 3))(seen.handler(200))

	for i, r := range []*http.Request{withCookie("POST", "/api/generate", sess.Token), withBearer("POST", "/api/generate", sess.Token)} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		if rec.Code != 200 || seen.count() != i+1 {
			t.Fatalf("request %d: status %d, handler calls %d; body %s", i, rec.Code, seen.count(), rec.Body)
		}
		if !seen.hasUse || seen.usage.CustomerID != sess.CustomerID || seen.usage.Balance != int64(10-3*(i+1)) || seen.usage.Consumed != int64(3*(i+1)) {
			t.Errorf("request %d: handler got usage %+v (ok %v), customer %s", i, seen.usage, seen.hasUse, sess.CustomerID)
		}
		// The per-request client acts for the same session.
		u, err := seen.client.Usage.Balance(r.Context(), "ai-credits")
		if err != nil || u.CustomerID != sess.CustomerID || u.Balance != seen.usage.Balance {
			t.Errorf("request %d: ClientFromContext balance %+v %v", i, u, err)
		}
	}
	if got := consumed(t, srv, sess.CustomerID, "ai-credits"); got != 6 {
		t.Errorf("ledger consumed %v, want 6", got)
	}
}

func TestMiddlewareDenials(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	fresh, err := srv.SignUp("nobody@example.com", "password1234", "Nobody") // signed in, no organization
	if err != nil {
		t.Fatal(err)
	}
	c := newSDK(t, srv)
	for _, tc := range []struct {
		name   string
		opts   []guapocado.MiddlewareOption
		req    *http.Request
		status int
		code   string
		key    string
		amount int64
	}{
		{"not entitled", []guapocado.MiddlewareOption{guapocado.RequireFeature("csv-export"), guapocado.RequireFeature("advanced-analytics"), guapocado.ConsumeUsage("ai-credits", 1)},
			withCookie("GET", "/api/report", sess.Token), 403, guapocado.CodeNotEntitled, "advanced-analytics", 0},
		{"insufficient balance", []guapocado.MiddlewareOption{guapocado.ConsumeUsage("ai-credits", 11)},
			withCookie("POST", "/api/generate", sess.Token), 402, guapocado.CodeInsufficientBalance, "ai-credits", 11},
		{"no session", []guapocado.MiddlewareOption{guapocado.ConsumeUsage("ai-credits", 1)},
			httptest.NewRequest("POST", "/api/generate", nil), 401, guapocado.CodeUnauthenticated, "", 0},
		{"invalid session", []guapocado.MiddlewareOption{guapocado.RequireFeature("csv-export")},
			withBearer("GET", "/api/report", "forged.token="), 401, guapocado.CodeUnauthenticated, "", 0},
		{"no active organization", []guapocado.MiddlewareOption{guapocado.ConsumeUsage("ai-credits", 1)},
			withCookie("POST", "/api/generate", fresh.Token), 401, guapocado.CodeNoActiveOrganization, "", 0},
		// The snapshot reports an unknown feature as not included.
		{"unknown feature", []guapocado.MiddlewareOption{guapocado.RequireFeature("no-such-feature")},
			withCookie("GET", "/api/report", sess.Token), 403, guapocado.CodeNotEntitled, "no-such-feature", 0},
		// A meter the snapshot has no balance of is a misconfiguration.
		{"unknown meter", []guapocado.MiddlewareOption{guapocado.MeterAfter("no-such-meter", 1)},
			withCookie("GET", "/api/report", sess.Token), 502, guapocado.CodeBillingError, "no-such-meter", 0},
		{"meter below minimum", []guapocado.MiddlewareOption{guapocado.RequireFeature("csv-export"), guapocado.MeterAfter("ai-credits", 11)},
			withCookie("POST", "/api/generate", sess.Token), 402, guapocado.CodeInsufficientBalance, "ai-credits", 11},
	} {
		seen := &handlerSeen{}
		rec := httptest.NewRecorder()
		before := len(srv.Requests())
		mustMiddleware(t, c, tc.opts...)(seen.handler(200)).ServeHTTP(rec, tc.req)
		body := decodeDenial(t, rec, tc.status, tc.code)
		if body.Key != tc.key || body.Amount != tc.amount || body.RetryAfter != 0 {
			t.Errorf("%s: body %+v, want key %q amount %d", tc.name, body, tc.key, tc.amount)
		}
		if seen.count() != 0 {
			t.Errorf("%s: the handler was called", tc.name)
		}
		if tc.name == "no session" && len(srv.Requests()) != before {
			t.Errorf("no session: the billing server was called")
		}
	}
	if got := consumed(t, srv, sess.CustomerID, "ai-credits"); got != 0 {
		t.Errorf("denied requests consumed %v", got)
	}
}

func TestMiddlewareUpstreamFailures(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	var mu sync.Mutex
	var reported []error
	onErr := guapocado.OnBillingError(func(r *http.Request, err error) {
		mu.Lock()
		reported = append(reported, err)
		mu.Unlock()
	})
	seen := &handlerSeen{}
	h := mustMiddleware(t, c, guapocado.ConsumeUsage("api-calls", 1), onErr)(seen.handler(200))

	// A 503 on the consume: not retried (a consume may not be repeated blindly), 503 to the browser.
	srv.InjectFaults(1, guapocadotest.Fault{Path: consumePath, Status: 503, Body: `{"message":"down"}`})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, withCookie("POST", "/api/generate", sess.Token))
	decodeDenial(t, rec, 503, guapocado.CodeBillingUnavailable)

	// Better Auth's rate limiter, asking for longer than the client waits: 429 with Retry-After.
	srv.InjectFaults(1, guapocadotest.Fault{Path: consumePath, Status: 429, Body: `{"message":"Too many requests. Please try again later."}`,
		Header: http.Header{"X-Retry-After": {"40"}}})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, withCookie("POST", "/api/generate", sess.Token))
	if body := decodeDenial(t, rec, 429, guapocado.CodeRateLimited); body.RetryAfter != 40 || rec.Header().Get("Retry-After") != "40" {
		t.Errorf("429: body %+v, Retry-After %q", body, rec.Header().Get("Retry-After"))
	}

	// The connection dropped after the consume was applied: outcome unknown, 503.
	srv.InjectFaults(1, guapocadotest.Fault{Path: consumePath, Drop: guapocadotest.DropAfterApply})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, withCookie("POST", "/api/generate", sess.Token))
	decodeDenial(t, rec, 503, guapocado.CodeBillingUnavailable)

	// The platform refused the plugin's API key: a 401 without a code is not the user's fault.
	srv.InjectFaults(1, guapocadotest.Fault{Path: consumePath, Status: 401, Body: `{"message":"Invalid API key"}`})
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, withCookie("POST", "/api/generate", sess.Token))
	decodeDenial(t, rec, 502, guapocado.CodeBillingError)

	if seen.count() != 0 {
		t.Errorf("handler called %d times", seen.count())
	}
	mu.Lock()
	defer mu.Unlock()
	if len(reported) != 4 || !errors.Is(reported[0], guapocado.ErrServer) || !errors.Is(reported[1], guapocado.ErrRateLimited) ||
		!errors.Is(reported[2], guapocado.ErrOutcomeUnknown) || !errors.Is(reported[3], guapocado.ErrInvalidAPIKey) {
		t.Errorf("OnBillingError got %v", reported)
	}
	for _, err := range reported {
		if strings.Contains(err.Error(), sess.Token) {
			t.Error("an error carries the session token")
		}
	}
	// Only the dropped-after-apply consume reached the ledger.
	if got := consumed(t, srv, sess.CustomerID, "api-calls"); got != 1 {
		t.Errorf("ledger consumed %v, want 1", got)
	}
}

func TestMiddlewareRefundOnServerError(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	mw := mustMiddleware(t, c, guapocado.ConsumeUsage("ai-credits", 2), guapocado.RefundOnServerError())

	for _, tc := range []struct {
		status       int
		wantConsumed float64
	}{{500, 0}, {503, 0}, {200, 2}, {404, 4}} {
		rec := httptest.NewRecorder()
		mw((&handlerSeen{}).handler(tc.status)).ServeHTTP(rec, withCookie("POST", "/api/generate", sess.Token))
		if rec.Code != tc.status {
			t.Fatalf("status %d, want %d", rec.Code, tc.status)
		}
		if got := consumed(t, srv, sess.CustomerID, "ai-credits"); got != tc.wantConsumed {
			t.Errorf("after a %d: consumed %v, want %v", tc.status, got, tc.wantConsumed)
		}
	}

	// A panicking handler: refunded, and the panic goes on to net/http.
	panicky := mw(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) }))
	func() {
		defer func() {
			if p := recover(); p != http.ErrAbortHandler {
				t.Errorf("recovered %v", p)
			}
		}()
		panicky.ServeHTTP(httptest.NewRecorder(), withCookie("POST", "/api/generate", sess.Token))
	}()
	if got := consumed(t, srv, sess.CustomerID, "ai-credits"); got != 4 {
		t.Errorf("after a panic: consumed %v, want 4", got)
	}
	var ops []string
	for _, op := range srv.Ops() {
		if op.CustomerID != sess.CustomerID || op.Key != "ai-credits" || op.Amount != 2 {
			t.Errorf("unexpected op %+v", op)
		}
		ops = append(ops, op.Op)
	}
	if got := strings.Join(ops, " "); got != "consume refund consume refund consume consume consume refund" {
		t.Errorf("ops %s", got)
	}

	// A failed refund goes to OnBillingError.
	var reported error
	mw = mustMiddleware(t, c, guapocado.ConsumeUsage("ai-credits", 1), guapocado.RefundOnServerError(),
		guapocado.OnBillingError(func(_ *http.Request, err error) { reported = err }))
	srv.InjectFaults(1, guapocadotest.Fault{Path: guapocadotest.BasePath + "/guapocado/usage/refund", Status: 500, Body: `{"message":"boom"}`})
	mw((&handlerSeen{}).handler(500)).ServeHTTP(httptest.NewRecorder(), withCookie("POST", "/api/generate", sess.Token))
	if !errors.Is(reported, guapocado.ErrServer) || !strings.Contains(reported.Error(), "refunding 1 ai-credits") {
		t.Errorf("refund failure reported as %v", reported)
	}
}

func TestMiddlewareWithoutChecksOnlyAttachesTheClient(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	c := newSDK(t, srv)
	seen := &handlerSeen{}
	h := mustMiddleware(t, c)(seen.handler(204))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if rec.Code != 204 || seen.client == nil || seen.hasUse || len(srv.Requests()) != 0 {
		t.Fatalf("anonymous: status %d client %v usage %v requests %d", rec.Code, seen.client, seen.hasUse, len(srv.Requests()))
	}
	h.ServeHTTP(httptest.NewRecorder(), withBearer("GET", "/", sess.Token))
	cu, err := seen.client.Customer.Sync(t.Context())
	if err != nil || cu == nil || cu.ID != sess.CustomerID {
		t.Errorf("ClientFromContext acts for %+v, %v", cu, err)
	}
	if _, ok := guapocado.ClientFromContext(t.Context()); ok {
		t.Error("ClientFromContext on a bare context")
	}
	if _, ok := guapocado.UsageFromContext(t.Context()); ok {
		t.Error("UsageFromContext on a bare context")
	}
}

func TestMiddlewareRefusesBadOptions(t *testing.T) {
	t.Parallel()
	c, err := guapocado.NewClient("http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]guapocado.MiddlewareOption{
		"empty feature":    {guapocado.RequireFeature("")},
		"blank meter":      {guapocado.ConsumeUsage(" ", 1)},
		"zero amount":      {guapocado.ConsumeUsage("ai-credits", 0)},
		"two consumes":     {guapocado.ConsumeUsage("ai-credits", 1), guapocado.ConsumeUsage("api-calls", 1)},
		"refund alone":     {guapocado.RefundOnServerError()},
		"nil option":       {nil},
		"nil error func":   {guapocado.OnBillingError(nil)},
		"huge amount":      {guapocado.ConsumeUsage("ai-credits", 1<<60)},
		"negative amount":  {guapocado.ConsumeUsage("ai-credits", -1)},
		"nil check option": {guapocado.RequireFeature("csv-export", nil)},
		"negative reserve": {guapocado.MeterAfter("ai-credits", -1)},
		"zero reserve":     {guapocado.MeterAfter("ai-credits", 0)},
		"meter twice":      {guapocado.MeterAfter("ai-credits", 1), guapocado.MeterAfter("ai-credits", 1)},
		"nil refund rule":  {guapocado.ConsumeUsage("ai-credits", 1), guapocado.RefundWhen(nil)},
		"two refund rules": {guapocado.ConsumeUsage("ai-credits", 1), guapocado.RefundOnServerError(), guapocado.RefundWhen(guapocado.DefaultRefundRule)},
		"rule alone":       {guapocado.RefundWhen(guapocado.DefaultRefundRule)},
		"nil writer":       {guapocado.WriteErrorsWith(nil)},
		"session resolver": {guapocado.CustomerFrom(func(*http.Request) (string, error) { return "x", nil })},
		"session customer": {guapocado.CustomerID("cus_1")},
		"nil resolver":     {guapocado.CustomerFrom(nil)},
		"blank customer":   {guapocado.CustomerID(" ")},
	} {
		mw, err := c.Middleware(opts...)
		var ve *guapocado.ValidationError
		if mw != nil || !errors.As(err, &ve) || !errors.Is(err, guapocado.ErrInvalidRequest) {
			t.Errorf("%s: got %v, %v; want a *ValidationError", name, mw != nil, err)
		}
	}
	// A platform client: a resolver is required, and may be given once.
	api, err := guapocado.NewAPIClient("sk_test_key", guapocado.WithAPIURL("http://127.0.0.1:1"))
	if err != nil {
		t.Fatal(err)
	}
	for name, opts := range map[string][]guapocado.MiddlewareOption{
		"no resolver":   {guapocado.RequireFeature("csv-export")},
		"two resolvers": {guapocado.CustomerID("a"), guapocado.CustomerID("b")},
	} {
		mw, err := api.Middleware(opts...)
		var ve *guapocado.ValidationError
		if mw != nil || !errors.As(err, &ve) || strings.Contains(err.Error(), "sk_test_key") {
			t.Errorf("platform, %s: got %v, %v; want a *ValidationError", name, mw != nil, err)
		}
	}
	if _, err := api.Middleware(guapocado.CustomerID("cus_1"), guapocado.MeterAfter("ai-credits", 1), guapocado.RefundOnServerError()); err != nil {
		t.Errorf("a refund rule with MeterAfter only: %v", err)
	}
}

func mustMiddleware(t *testing.T, c *guapocado.Client, opts ...guapocado.MiddlewareOption) func(http.Handler) http.Handler {
	t.Helper()
	mw, err := c.Middleware(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return mw
}
