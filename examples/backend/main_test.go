package main

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// lockedBuffer collects the service's log.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

type env struct {
	t       *testing.T
	srv     *guapocadotest.Server
	backend *httptest.Server
	logs    *lockedBuffer
}

func start(t *testing.T) *env {
	t.Helper()
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close)
	c, err := guapocado.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	h, err := newHandler(c, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	backend := httptest.NewServer(h)
	t.Cleanup(backend.Close)
	return &env{t: t, srv: srv, backend: backend, logs: logs}
}

// call sends a request as the browser would, with the session cookie
// (token "" sends none), and decodes the JSON answer.
func (e *env) call(method, path, token, body string, hdr ...string) (int, map[string]any) {
	e.t.Helper()
	req, err := http.NewRequest(method, e.backend.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Cookie", "better-auth.session_token="+url.QueryEscape(token))
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := e.backend.Client().Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if err := json.Unmarshal(raw, &out); err != nil {
		e.t.Fatalf("%s %s: %d, not JSON: %q", method, path, resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

func (e *env) consumed(customerID string) float64 {
	e.t.Helper()
	u, err := e.srv.Usage(customerID, "ai-credits")
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Consumed
}

func TestGenerateIsMetered(t *testing.T) {
	t.Parallel()
	e := start(t)
	alice, err := e.srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 10; i++ {
		status, out := e.call("POST", "/api/generate", alice.Token, `{"prompt":"avocados"}`)
		credits, _ := out["credits"].(map[string]any)
		if status != 200 || out["text"] != "Here is a poem about avocados." || credits["balance"] != float64(10-i) {
			t.Fatalf("call %d: %d %v", i, status, out)
		}
	}
	status, out := e.call("POST", "/api/generate", alice.Token, `{"prompt":"avocados"}`)
	if status != 402 || out["error"] != guapocado.CodeInsufficientBalance || out["key"] != "ai-credits" || out["amount"] != 1.0 {
		t.Errorf("11th call: %d %v", status, out)
	}
	if got := e.consumed(alice.CustomerID); got != 10 {
		t.Errorf("consumed %v, want 10", got)
	}
}

func TestGenerateBadRequestCostsNothing(t *testing.T) {
	t.Parallel()
	e := start(t)
	alice, err := e.srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	status, out := e.call("POST", "/api/generate", alice.Token, `{"prompt":""}`)
	if status != 400 || out["error"] != "bad_request" {
		t.Errorf("%d %v", status, out)
	}
	if got := e.consumed(alice.CustomerID); got != 0 {
		t.Errorf("consumed %v after a refused request", got)
	}
	var ops []string
	for _, op := range e.srv.Ops() {
		ops = append(ops, op.Op)
	}
	if strings.Join(ops, ",") != "consume,refund" {
		t.Errorf("ledger ops %v", ops)
	}
}

func TestReportNeedsAdvancedAnalytics(t *testing.T) {
	t.Parallel()
	e := start(t)
	alice, err := e.srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	status, out := e.call("GET", "/api/report", alice.Token, "")
	if status != 403 || out["error"] != guapocado.CodeNotEntitled || out["key"] != "advanced-analytics" {
		t.Errorf("free plan: %d %v", status, out)
	}
	if err := e.srv.SetPlan(alice.CustomerID, "pro"); err != nil {
		t.Fatal(err)
	}
	if status, out = e.call("GET", "/api/report", alice.Token, ""); status != 200 || out["report"] != "advanced analytics" {
		t.Errorf("pro plan: %d %v", status, out)
	}
}

func TestSessionsAndOrigins(t *testing.T) {
	t.Parallel()
	e := start(t)
	alice, err := e.srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	bob, err := e.srv.SignUp("bob@example.com", "password1234", "Bob") // no organization yet
	if err != nil {
		t.Fatal(err)
	}

	if status, out := e.call("POST", "/api/generate", "", `{"prompt":"x"}`); status != 401 || out["error"] != guapocado.CodeUnauthenticated {
		t.Errorf("no session: %d %v", status, out)
	}
	if status, out := e.call("POST", "/api/generate", bob.Token, `{"prompt":"x"}`); status != 401 || out["error"] != guapocado.CodeNoActiveOrganization {
		t.Errorf("no organization: %d %v", status, out)
	}
	// Bearer tokens work as well as cookies.
	if status, out := e.call("POST", "/api/generate", "", `{"prompt":"x"}`, "Authorization", "Bearer "+alice.Token); status != 200 {
		t.Errorf("bearer: %d %v", status, out)
	}
	// Another site's page cannot spend the user's credits.
	for _, h := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
		if status, out := e.call("POST", "/api/generate", alice.Token, `{"prompt":"x"}`, h...); status != 403 || out["error"] != "cross_origin" {
			t.Errorf("%v: %d %v", h, status, out)
		}
	}
	if status, _ := e.call("POST", "/api/generate", alice.Token, `{"prompt":"x"}`, "Sec-Fetch-Site", "same-origin", "Origin", e.backend.URL); status != 200 {
		t.Errorf("same origin: %d", status)
	}
	if got := e.consumed(alice.CustomerID); got != 2 {
		t.Errorf("consumed %v, want 2", got)
	}

	// The billing summary, through ForRequest.
	status, out := e.call("GET", "/api/billing", alice.Token, "")
	feats, _ := out["features"].(map[string]any)
	credits, _ := out["aiCredits"].(map[string]any)
	if status != 200 || out["customerId"] != alice.CustomerID || feats["csv-export"] != true || feats["advanced-analytics"] != false || credits["balance"] != 8.0 {
		t.Errorf("billing: %d %v", status, out)
	}
	if status, out := e.call("GET", "/api/billing", bob.Token, ""); status != 401 || out["error"] != guapocado.CodeNoActiveOrganization {
		t.Errorf("billing without organization: %d %v", status, out)
	}
}

func TestUpstreamFailureIsLogged(t *testing.T) {
	t.Parallel()
	e := start(t)
	alice, err := e.srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	e.srv.InjectFaults(1, guapocadotest.Fault{Path: guapocadotest.BasePath + "/guapocado/usage/consume", Status: 503, Body: `{"message":"down"}`})
	if status, out := e.call("POST", "/api/generate", alice.Token, `{"prompt":"x"}`); status != 503 || out["error"] != guapocado.CodeBillingUnavailable {
		t.Errorf("%d %v", status, out)
	}
	if logs := e.logs.String(); !strings.Contains(logs, "billing call failed") || !strings.Contains(logs, "503") || strings.Contains(logs, alice.Token) {
		t.Errorf("log: %s", logs)
	}
}

func TestServeNeedsBaseURL(t *testing.T) {
	t.Parallel()
	err := serve(func(string) string { return "" }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err == nil || !strings.Contains(err.Error(), "GUAPOCADO_BASE_URL") {
		t.Errorf("serve without a base URL: %v", err)
	}
}
