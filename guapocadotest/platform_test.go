package guapocadotest_test

import (
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// platDo makes one raw request to the platform routes with the server's
// API key (key "" sends none).
func platDo(t *testing.T, srv *guapocadotest.Server, key, method, path, body string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.APIURL()+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("x-guapocado-key", key)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

var requestID = regexp.MustCompile(`^req_[0-9a-f]{12}$`)

// TestPlatformAPIKey replays transcripts section 9: no key and a wrong key
// get 401 {"error"} with an x-request-id.
func TestPlatformAPIKey(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	if !strings.HasPrefix(srv.APIKey(), "sk_guap_test_") || srv.APIURL() != srv.URL {
		t.Errorf("defaults: key prefix %q, API URL %s", srv.APIKey()[:8], srv.APIURL())
	}
	for _, tc := range []struct{ key, msg string }{{"", "Missing API key"}, {"nope", "Invalid API key"}} {
		a := platDo(t, srv, tc.key, "GET", "/v1/plans", "")
		expectAnswer(t, tc.msg, a, 401, `{"error":"`+tc.msg+`"}`)
		if !requestID.MatchString(a.Header.Get("X-Request-Id")) || a.Header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Errorf("%s: headers %v", tc.msg, a.Header)
		}
	}
	a := platDo(t, srv, srv.APIKey(), "GET", "/v1/plans", "")
	if a.Status != 200 || len(decodeObject(t, a.Body)["plans"].([]any)) != 4 || !requestID.MatchString(a.Header.Get("X-Request-Id")) {
		t.Errorf("plans: %d %s", a.Status, a.Body)
	}

	own := guapocadotest.NewServer(guapocadotest.WithAPIKey("sk_guap_test_harness"))
	defer own.Close()
	if a := platDo(t, own, "sk_guap_test_harness", "GET", "/v1/usage/api-calls/balance?customerId=anything-at-all", ""); a.Status != 200 ||
		a.Body != `{"balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"`+
			time.Date(own.Now().Year(), own.Now().Month(), 1, 0, 0, 0, 0, time.UTC).AddDate(0, 1, 0).Format("2006-01-02T15:04:05.000Z")+`"}` {
		t.Errorf("balance: %d %s", a.Status, a.Body)
	}
	if a := platDo(t, own, srv.APIKey(), "GET", "/v1/plans", ""); a.Status != 401 {
		t.Errorf("another server's key: %d", a.Status)
	}
	for _, r := range srv.Requests() {
		if v, ok := r.Header["X-Guapocado-Key"]; ok && v[0] != "[REDACTED]" {
			t.Errorf("request log shows the key: %q", v[0])
		}
	}
}

// TestPlatformIdempotency: the same key is applied once and its answer
// replayed; another request under the same key is refused; failures are
// not stored; refunds need a key.
func TestPlatformIdempotency(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	key := srv.APIKey()
	consume := `{"customerId":"org_i","amount":4,"idempotencyKey":"k1"}`
	first := platDo(t, srv, key, "POST", "/v1/usage/ai-credits/consume", consume)
	again := platDo(t, srv, key, "POST", "/v1/usage/ai-credits/consume", consume)
	if first.Status != 200 || again.Body != first.Body || again.Header.Get("Idempotent-Replayed") != "true" || first.Header.Get("Idempotent-Replayed") != "" {
		t.Errorf("first %d %s, again %d %s %v", first.Status, first.Body, again.Status, again.Body, again.Header)
	}
	if u, _ := srv.Usage("org_i", "ai-credits"); u.Consumed != 4 || len(srv.Ops()) != 1 || srv.Ops()[0].IdempotencyKey != "k1" || srv.IdempotentReplays() != 1 {
		t.Errorf("ledger %+v, ops %+v", u, srv.Ops())
	}
	expectAnswer(t, "reuse", platDo(t, srv, key, "POST", "/v1/usage/ai-credits/consume", `{"customerId":"org_i","amount":5,"idempotencyKey":"k1"}`),
		409, `{"error":"Idempotency key reused with a different request"}`)
	expectAnswer(t, "reuse on refund", platDo(t, srv, key, "POST", "/v1/usage/ai-credits/refund", `{"customerId":"org_i","amount":4,"idempotencyKey":"k1"}`),
		409, `{"error":"Idempotency key reused with a different request"}`)

	// Without a key every request applies.
	for range 2 {
		platDo(t, srv, key, "POST", "/v1/usage/ai-credits/consume", `{"customerId":"org_i","amount":1}`)
	}
	if u, _ := srv.Usage("org_i", "ai-credits"); u.Consumed != 6 {
		t.Errorf("consumed %v", u.Consumed)
	}
	// A refused consume is not stored: the same key applies once possible.
	big := `{"customerId":"org_i","amount":8,"idempotencyKey":"k2"}`
	expectAnswer(t, "insufficient", platDo(t, srv, key, "POST", "/v1/usage/ai-credits/consume", big), 429, `{"error":"Insufficient balance"}`)
	platDo(t, srv, key, "POST", "/v1/usage/ai-credits/refund", `{"customerId":"org_i","amount":6}`)
	if a := platDo(t, srv, key, "POST", "/v1/usage/ai-credits/consume", big); a.Status != 200 {
		t.Errorf("retry after refund: %d %s", a.Status, a.Body)
	}

	// Dropped after apply, then repeated: one application.
	srv.InjectFaults(1, guapocadotest.Fault{Path: "/v1/usage/api-calls/consume", Drop: guapocadotest.DropAfterApply})
	req, _ := http.NewRequest("POST", srv.APIURL()+"/v1/usage/api-calls/consume", strings.NewReader(`{"customerId":"org_i","amount":3,"idempotencyKey":"k3"}`))
	req.Header.Set("x-guapocado-key", key)
	if resp, err := srv.Client().Do(req); err == nil {
		resp.Body.Close()
		t.Fatal("the connection was not dropped")
	}
	if a := platDo(t, srv, key, "POST", "/v1/usage/api-calls/consume", `{"customerId":"org_i","amount":3,"idempotencyKey":"k3"}`); a.Status != 200 ||
		a.Header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("repeat: %d %v", a.Status, a.Header)
	}
	if u, _ := srv.Usage("org_i", "api-calls"); u.Consumed != 3 {
		t.Errorf("api-calls consumed %v", u.Consumed)
	}

	pid, err := srv.AddPurchase("org_i", "credits-pack")
	if err != nil {
		t.Fatal(err)
	}
	expectAnswer(t, "refund without key", platDo(t, srv, key, "POST", "/v1/purchases/"+pid+"/refunds", `{}`), 400, `{"error":"idempotencyKey is required"}`)
	expectAnswer(t, "subscription refund without key", platDo(t, srv, key, "POST", "/v1/subscriptions/sub_x/refunds", `{"mode":"full"}`),
		400, `{"error":"idempotencyKey is required"}`)
	if _, err := srv.AddPurchase("org_i", "nope"); err == nil {
		t.Error("AddPurchase of an unknown product")
	}
}

func TestPlatformValidation(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	key := srv.APIKey()
	for _, tc := range []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/v1/entitlements/csv-export/has", "", 400, `{"error":"customerId is required"}`},
		{"GET", "/v1/entitlements/nope/has?customerId=c", "", 404, `{"error":"Unknown entitlement: nope"}`},
		{"GET", "/v1/entitlements/%20/limit?customerId=c", "", 400, `{"error":"key is required"}`},
		{"POST", "/v1/usage/api-calls/consume", `{"customerId":"c","amount":1.5}`, 400, `{"error":"amount must be a positive integer"}`},
		{"POST", "/v1/usage/api-calls/consume", `{"customerId":"c"}`, 400, `{"error":"amount must be a positive integer"}`},
		{"POST", "/v1/usage/api-calls/consume", `{"amount":1}`, 400, `{"error":"customerId is required"}`},
		{"POST", "/v1/usage/api-calls/consume", `[1]`, 400, `{"error":"Invalid JSON body"}`},
		{"POST", "/v1/usage/api-calls/settings", `{"customerId":"c"}`, 400, `{"error":"overageEnabled must be a boolean"}`},
		{"POST", "/v1/entitlements/seats/limit/settings", `{"customerId":"c","purchased":2}`, 400, `{"error":"Limit expansion is not allowed for seats on this plan"}`},
		{"POST", "/v1/customers", `{"id":" ","name":"x"}`, 400, `{"error":"id must not be blank"}`},
		{"POST", "/v1/context", `{"features":[]}`, 400, `{"error":"customer.id is required"}`},
		{"POST", "/v1/subscriptions/change", `{"customerId":"c","planKey":"credits-pack"}`, 400, `{"error":"Plan credits-pack is not a recurring plan"}`},
		{"POST", "/v1/subscriptions/change", `{"customerId":"c","planKey":"gold"}`, 404, `{"error":"Unknown plan: gold"}`},
		{"POST", "/v1/checkout", `{"customerId":"c","productKey":"pro","successUrl":"/ok","cancelUrl":"/no"}`, 400, `{"error":"successUrl and cancelUrl must be absolute URLs"}`},
		{"POST", "/v1/webhook-endpoints/register", `{"url":"https://a.test/h","events":"some"}`, 400, `{"error":"events must be \"*\" or a list of event types"}`},
		{"PUT", "/v1/contracts/c", `{"status":"signed"}`, 400, `{"error":"status must be \"draft\", \"active\" or \"expired\""}`},
		{"GET", "/v1/contracts/c", "", 404, `{"error":"Contract not found"}`},
		{"GET", "/v1/audit?cursor=zzz", "", 400, `{"error":"Invalid cursor"}`},
		{"GET", "/v1/audit?limit=0", "", 400, `{"error":"limit must be a positive integer"}`},
		{"GET", "/v1/nothing", "", 404, `{"error":"Not found"}`},
		{"DELETE", "/v1/plans", "", 404, `{"error":"Not found"}`},
	} {
		expectAnswer(t, tc.method+" "+tc.path+" "+tc.body, platDo(t, srv, key, tc.method, tc.path, tc.body), tc.status, tc.want)
	}
	if len(srv.Ops()) != 0 {
		t.Errorf("refused requests changed the ledger: %+v", srv.Ops())
	}
}

// TestPlatformSharesLedger: the platform routes and the plugin endpoints
// read and write the same ledger; Better Auth's limiter is not in front of
// the platform.
func TestPlatformSharesLedger(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithRateLimit(1, time.Minute))
	defer srv.Close()
	sess := mustSession(t, srv)
	rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":9}`, bearerHdr(sess.Token)...)
	for i := range 3 {
		a := platDo(t, srv, srv.APIKey(), "GET", "/v1/usage/api-calls/balance?customerId="+sess.CustomerID, "")
		if a.Status != 200 || decodeObject(t, a.Body)["consumed"] != float64(9) {
			t.Errorf("platform read %d: %d %s", i, a.Status, a.Body)
		}
	}
	a := platDo(t, srv, srv.APIKey(), "POST", "/v1/subscriptions/change", `{"customerId":"`+sess.CustomerID+`","planKey":"pro"}`)
	if m := decodeObject(t, a.Body); a.Status != 200 || m["changed"] != true || m["planKey"] != "pro" {
		t.Errorf("change: %d %s", a.Status, a.Body)
	}
	if srv.PlanOf(sess.CustomerID) != "pro" {
		t.Errorf("plan %s", srv.PlanOf(sess.CustomerID))
	}
}

// TestPlatformAuditPages: newest first, filters, cursors.
func TestPlatformAuditPages(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	key := srv.APIKey()
	for i := range 5 {
		platDo(t, srv, key, "POST", "/v1/usage/api-calls/consume", `{"customerId":"org_a","amount":1,"idempotencyKey":"a`+string(rune('0'+i))+`"}`)
	}
	platDo(t, srv, key, "PUT", "/v1/contracts/org_a", `{"status":"active"}`)
	p1 := decodeObject(t, platDo(t, srv, key, "GET", "/v1/audit?action=usage.consume&limit=2", "").Body)
	logs := p1["logs"].([]any)
	if len(logs) != 2 || p1["hasMore"] != true || p1["nextCursor"] != "aud_000004" || logs[0].(map[string]any)["id"] != "aud_000005" {
		t.Fatalf("page 1 %v", p1)
	}
	e := logs[0].(map[string]any)
	if e["actorType"] != "api_key" || !strings.HasPrefix(e["actorId"].(string), "key_") || strings.Contains(e["actorId"].(string), key) ||
		e["resourceId"] != "org_a" || !requestID.MatchString(e["requestId"].(string)) {
		t.Errorf("entry %v", e)
	}
	p3 := decodeObject(t, platDo(t, srv, key, "GET", "/v1/audit?action=usage.consume&limit=2&cursor=aud_000002", "").Body)
	if l := p3["logs"].([]any); len(l) != 1 || p3["hasMore"] != false || p3["nextCursor"] != nil {
		t.Errorf("last page %v", p3)
	}
	all := decodeObject(t, platDo(t, srv, key, "GET", "/v1/audit", "").Body)
	if l := all["logs"].([]any); len(l) != 6 || l[0].(map[string]any)["action"] != "contract.set" {
		t.Errorf("all %v", all)
	}
}
