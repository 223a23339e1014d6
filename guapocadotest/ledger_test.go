package guapocadotest_test

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestSuccessPaths replays transcripts.md §3 on one customer, in order, with
// the recorded clock: the ledger must produce the recorded numbers and ids.
func TestSuccessPaths(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithWebhookSecret("whsec_test"))
	defer srv.Close()
	srv.SetNow(transcriptNow)
	alice, err := srv.SignUp("alice@example.com", "password1234", "Alice")
	if err != nil {
		t.Fatal(err)
	}
	alice, err = srv.CreateOrganization(alice.Token, "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	auth := bearerHdr(alice.Token)
	fill := strings.NewReplacer("{c}", alice.CustomerID, "{base}", srv.URL).Replace
	usage := func(balance, included, consumedOf, overage int, allowed, enabled bool) string {
		return fmt.Sprintf(`{"customerId":"{c}","balance":%d,"included":%d,"consumed":%d,"overage":%d,"overageAllowed":%t,"overageEnabled":%t,"resets":"2026-12-01T00:00:00.000Z"}`,
			balance, included, consumedOf, overage, allowed, enabled)
	}
	sub := `"subscription":{"id":"sub_000001","customerId":"{c}","planKey":"pro","status":"active","stripeSubscriptionId":null,` +
		`"currentPeriodStart":"2026-11-26T22:27:55.800Z","currentPeriodEnd":"2026-12-01T00:00:00.000Z","createdAt":"2026-11-26T22:27:55.800Z","updatedAt":"2026-11-26T22:27:55.800Z"`
	steps := []struct {
		name, method, path, body string
		status                   int
		want                     string
	}{
		{"3.1 sync customer", "POST", "/guapocado/customer", "{}", 200,
			`{"customerId":"{c}","customer":{"id":"{c}","name":"Alice","email":"alice@example.com"}}`},
		{"3.2 GET customer", "GET", "/guapocado/customer", "", 200, `{"customerId":"{c}"}`},
		{"3.4 context with keys and debug", "POST", "/guapocado/context",
			`{"features":["advanced-analytics","csv-export"],"usage":["api-calls","ai-credits"],"limits":["seats"],"includePlans":false,"includeSubscription":true,"debug":true}`, 200,
			`{"customerId":"{c}","customer":{"id":"{c}","name":"Alice","email":"alice@example.com"},"features":{"advanced-analytics":false,"csv-export":true},` +
				`"usage":{"api-calls":{"balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"},` +
				`"ai-credits":{"balance":10,"included":10,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}},` +
				`"limits":{"seats":{"limit":3,"included":3,"purchased":0,"expansionAllowed":false,"autoExpansionEnabled":false}},"plans":[],"subscription":null,` +
				`"_debug":{"totalMs":0,"timings":{"platform.context":0}}}`},
		{"3.5 has (false on free)", "POST", "/guapocado/has", `{"key":"advanced-analytics"}`, 200, `{"customerId":"{c}","allowed":false}`},
		{"3.6 has (true)", "POST", "/guapocado/has", `{"key":"csv-export"}`, 200, `{"customerId":"{c}","allowed":true}`},
		{"3.7 limit", "POST", "/guapocado/limit", `{"key":"seats"}`, 200,
			`{"customerId":"{c}","limit":3,"included":3,"purchased":0,"expansionAllowed":false,"autoExpansionEnabled":false}`},
		{"3.8 limit/settings on free", "POST", "/guapocado/limit/settings", `{"key":"seats","purchased":2}`, 400,
			`{"message":"Limit expansion is not allowed for seats on this plan"}`},
		{"3.9 balance (monthly meter)", "POST", "/guapocado/usage/balance", `{"key":"api-calls"}`, 200, usage(100, 100, 0, 0, false, false)},
		{"3.10 balance (non-resetting meter)", "POST", "/guapocado/usage/balance", `{"key":"ai-credits"}`, 200,
			`{"customerId":"{c}","balance":10,"included":10,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":null}`},
		{"3.11 consume 5", "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":5}`, 200, usage(95, 100, 5, 0, false, false)},
		{"3.12 consume without amount", "POST", "/guapocado/usage/consume", `{"key":"api-calls"}`, 200, usage(94, 100, 6, 0, false, false)},
		{"3.13 refund 2", "POST", "/guapocado/usage/refund", `{"key":"api-calls","amount":2}`, 200, usage(96, 100, 4, 0, false, false)},
		{"3.14 consume with idempotencyKey", "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":1,"idempotencyKey":"job-42"}`, 200, usage(95, 100, 5, 0, false, false)},
		{"3.15 same again (consumed again)", "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":1,"idempotencyKey":"job-42"}`, 200, usage(94, 100, 6, 0, false, false)},
		{"3.16 consume beyond the balance", "POST", "/guapocado/usage/consume", `{"key":"ai-credits","amount":11}`, 429, `{"message":"Insufficient balance"}`},
		{"3.17 usage/settings", "POST", "/guapocado/usage/settings", `{"key":"api-calls","overageEnabled":true}`, 200, usage(94, 100, 6, 0, false, true)},
		{"overage enabled but not allowed on free", "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":95}`, 429, `{"message":"Insufficient balance"}`},
		{"3.19 subscription (none yet)", "POST", "/guapocado/subscription", "{}", 200, `{"customerId":"{c}","subscription":null}`},
		{"3.20 change to pro", "POST", "/guapocado/subscription/change", `{"planKey":"pro"}`, 200, `{"customerId":"{c}",` + sub + `,"changed":true}}`},
		{"3.21 change to pro again", "POST", "/guapocado/subscription/change", `{"planKey":"pro"}`, 200, `{"customerId":"{c}",` + sub + `,"changed":false}}`},
		{"3.22 subscription", "POST", "/guapocado/subscription", "{}", 200, `{"customerId":"{c}",` + sub + `}}`},
		{"3.23 limit/settings on pro", "POST", "/guapocado/limit/settings", `{"key":"seats","purchased":2,"autoExpansionEnabled":true}`, 200,
			`{"customerId":"{c}","limit":12,"included":10,"purchased":2,"expansionAllowed":true,"autoExpansionEnabled":true}`},
		{"3.24 consume into overage", "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":10050}`, 200, usage(0, 10000, 10056, 56, true, true)},
		{"3.25 checkout (productKey)", "POST", "/guapocado/checkout",
			`{"productKey":"credits-pack","successUrl":"https://app.example.test/billing/ok","cancelUrl":"https://app.example.test/billing"}`, 200,
			`{"customerId":"{c}","url":"https://checkout.fake-guapocado.test/c/cs_000002"}`},
		{"3.26 checkout (planKey alias)", "POST", "/guapocado/checkout",
			`{"planKey":"pro","successUrl":"https://app.example.test/billing/ok","cancelUrl":"https://app.example.test/billing"}`, 200,
			`{"customerId":"{c}","url":"https://checkout.fake-guapocado.test/c/cs_000003"}`},
		{"3.27 GET /guap", "GET", "/guap", "", 200,
			`{"enabled":true,"id":"we_000004","status":"pending_approval","url":"{base}/api/auth/guap","events":"*","relay":null}`},
		{"3.32 body customerId override", "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":7,"customerId":"bobs-org"}`, 200,
			`{"customerId":"bobs-org","balance":93,"included":100,"consumed":7,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`},
		{"3.33 arbitrary customer id", "POST", "/guapocado/usage/balance", `{"key":"api-calls","customerId":"anything-at-all"}`, 200,
			`{"customerId":"anything-at-all","balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`},
		{"downgrade keeps consumption", "POST", "/guapocado/subscription/change", `{"planKey":"free"}`, 200, ""},
		{"free again: over the included amount", "POST", "/guapocado/usage/balance", `{"key":"api-calls"}`, 200, usage(0, 100, 10056, 9956, false, true)},
	}
	for _, s := range steps {
		got := rawDo(t, srv, s.method, s.path, s.body, auth...)
		if s.want == "" {
			if got.Status != s.status {
				t.Errorf("%s: %d %s", s.name, got.Status, got.Body)
			}
			continue
		}
		expectAnswer(t, s.name, got, s.status, fill(s.want))
	}
	if u, err := srv.Usage("bobs-org", "api-calls"); err != nil || u.Consumed != 7 {
		t.Errorf("Usage(bobs-org) = %+v, %v", u, err)
	}
	if p := srv.PlanOf(alice.CustomerID); p != "free" {
		t.Errorf("PlanOf = %q", p)
	}
}

// TestConcurrentConsumes: 50 goroutines × 200 consumes of 1 over keep-alive
// connections against a meter with 1000 included and no overage end with
// exactly 1000 consumed; every other call is answered 429 Insufficient
// balance.
func TestConcurrentConsumes(t *testing.T) {
	t.Parallel()
	const workers, each, included = 50, 200, 1000
	srv := guapocadotest.NewServer(guapocadotest.WithPlans(guapocadotest.Plan{
		Key:        "metered",
		Allowances: map[string]guapocadotest.Allowance{"api-calls": {Included: included}},
	}))
	defer srv.Close()
	sess := mustSession(t, srv)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: workers, MaxConnsPerHost: workers}}
	defer client.CloseIdleConnections()

	var mu sync.Mutex
	counts := map[string]int{}
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := map[string]int{}
			for range each {
				req, _ := http.NewRequest("POST", srv.URL+"/api/auth/guapocado/usage/consume", strings.NewReader(`{"key":"api-calls","amount":1}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+sess.Token)
				resp, err := client.Do(req)
				if err != nil {
					local["error: "+err.Error()]++
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				switch {
				case resp.StatusCode == 200:
					local["ok"]++
				case resp.StatusCode == 429 && string(b) == `{"message":"Insufficient balance"}`:
					local["insufficient"]++
				default:
					local[fmt.Sprintf("%d %s", resp.StatusCode, b)]++
				}
			}
			mu.Lock()
			for k, v := range local {
				counts[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	if counts["ok"] != included || counts["insufficient"] != workers*each-included || len(counts) != 2 {
		t.Errorf("answers: %v", counts)
	}
	u, err := srv.Usage(sess.CustomerID, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if u.Consumed != included || u.Balance != 0 || u.Overage != 0 {
		t.Errorf("ledger: %+v", u)
	}
	if n := len(srv.Ops()); n != included {
		t.Errorf("%d ops logged, want %d", n, included)
	}
}

// TestMonthlyResets: a monthly meter starts over at the first instant of
// the next month (UTC) by the server's clock; a non-resetting one does not.
func TestMonthlyResets(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(
		guapocadotest.WithPlans(append(guapocadotest.DefaultPlans(), guapocadotest.Plan{
			Key: "exports", Allowances: map[string]guapocadotest.Allowance{"api-calls": {Included: 100}, "ai-credits": {Included: 10}, "exports": {Included: 5}},
		})...),
		guapocadotest.WithDefaultPlan("exports"),
		guapocadotest.WithMeter("exports", true))
	defer srv.Close()
	srv.SetNow(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC))
	sess := mustSession(t, srv)
	for _, k := range []string{"api-calls", "ai-credits", "exports"} {
		if got := rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"`+k+`","amount":2}`, bearerHdr(sess.Token)...); got.Status != 200 {
			t.Fatalf("consume %s: %d %s", k, got.Status, got.Body)
		}
	}
	read := func(key string) guapocadotest.UsageBalance {
		t.Helper()
		u, err := srv.Usage(sess.CustomerID, key)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	dec := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	jan := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	srv.SetNow(dec.Add(-time.Nanosecond))
	if u := read("api-calls"); u.Consumed != 2 || u.Resets == nil || !u.Resets.Equal(dec) {
		t.Errorf("before the reset: %+v", u)
	}
	srv.Advance(time.Nanosecond)
	if u := read("api-calls"); u.Consumed != 0 || u.Balance != 100 || !u.Resets.Equal(jan) {
		t.Errorf("at the reset: %+v (resets %v)", u, u.Resets)
	}
	if u := read("exports"); u.Consumed != 0 || !u.Resets.Equal(jan) {
		t.Errorf("WithMeter(exports, true): %+v", u)
	}
	if u := read("ai-credits"); u.Consumed != 2 || u.Resets != nil {
		t.Errorf("non-resetting meter: %+v", u)
	}
	expectAnswer(t, "over HTTP", rawDo(t, srv, "POST", "/guapocado/usage/balance", `{"key":"api-calls"}`, bearerHdr(sess.Token)...), 200,
		`{"customerId":"`+sess.CustomerID+`","balance":100,"included":100,"consumed":0,"overage":0,"overageAllowed":false,"overageEnabled":false,"resets":"2027-01-01T00:00:00.000Z"}`)
	// months later, untouched in between: still one clean period
	srv.Advance(75 * 24 * time.Hour)
	if u := read("api-calls"); u.Consumed != 0 || !u.Resets.Equal(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("months later: %+v (resets %v)", u, u.Resets)
	}

	// the subscription period follows the same clock
	if got := rawDo(t, srv, "POST", "/guapocado/subscription/change", `{"planKey":"pro"}`, bearerHdr(sess.Token)...); got.Status != 200 {
		t.Fatalf("change: %d %s", got.Status, got.Body)
	}
	srv.Advance(40 * 24 * time.Hour)
	m := decodeObject(t, rawDo(t, srv, "POST", "/guapocado/subscription", "{}", bearerHdr(sess.Token)...).Body)
	s := m["subscription"].(map[string]any)
	if s["currentPeriodStart"] != "2027-03-01T00:00:00.000Z" || s["currentPeriodEnd"] != "2027-04-01T00:00:00.000Z" {
		t.Errorf("subscription period: %v", s)
	}
}

// TestWithClock drives the server from an injected clock.
func TestWithClock(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Date(2026, 1, 31, 23, 59, 59, 0, time.UTC)
	srv := guapocadotest.NewServer(guapocadotest.WithClock(func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		return now
	}))
	defer srv.Close()
	sess := mustSession(t, srv)
	if got := rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":10}`, bearerHdr(sess.Token)...); got.Status != 200 ||
		!strings.HasSuffix(got.Body, `"resets":"2026-02-01T00:00:00.000Z"}`) {
		t.Fatalf("consume: %d %s", got.Status, got.Body)
	}
	mu.Lock()
	now = now.Add(time.Second)
	mu.Unlock()
	if u, _ := srv.Usage(sess.CustomerID, "api-calls"); u.Consumed != 0 || !u.Resets.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("after the injected clock moved: %+v", u)
	}
	srv.Advance(time.Hour)
	if got := srv.Now(); !got.Equal(time.Date(2026, 2, 1, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("Advance on an injected clock: %v", got)
	}
}

// TestOverage: consuming past the included amount needs the plan to allow
// overage and the customer to enable it; refunds restore the balance.
func TestOverage(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan("acct-1", "pro"))
	defer srv.Close()
	srv.SetNow(transcriptNow)
	sess := mustSession(t, srv)
	req := func(path, b string) answer {
		return rawDo(t, srv, "POST", path, strings.Replace(b, "}", `,"customerId":"acct-1"}`, 1), bearerHdr(sess.Token)...)
	}
	expectAnswer(t, "fill up", req("/guapocado/usage/consume", `{"key":"api-calls","amount":10000}`), 200,
		`{"customerId":"acct-1","balance":0,"included":10000,"consumed":10000,"overage":0,"overageAllowed":true,"overageEnabled":false,"resets":"2026-12-01T00:00:00.000Z"}`)
	expectAnswer(t, "overage allowed but not enabled", req("/guapocado/usage/consume", `{"key":"api-calls","amount":1}`), 429, `{"message":"Insufficient balance"}`)
	req("/guapocado/usage/settings", `{"key":"api-calls","overageEnabled":true}`)
	if got := req("/guapocado/usage/consume", `{"key":"api-calls","amount":5}`); got.Status != 200 || !strings.Contains(got.Body, `"consumed":10005,"overage":5,`) {
		t.Errorf("into overage: %d %s", got.Status, got.Body)
	}
	req("/guapocado/usage/settings", `{"key":"api-calls","overageEnabled":false}`)
	expectAnswer(t, "overage disabled again", req("/guapocado/usage/consume", `{"key":"api-calls","amount":1}`), 429, `{"message":"Insufficient balance"}`)
	if got := req("/guapocado/usage/refund", `{"key":"api-calls","amount":6}`); got.Status != 200 || !strings.Contains(got.Body, `"balance":1,"included":10000,"consumed":9999,"overage":0,`) {
		t.Errorf("refund: %d %s", got.Status, got.Body)
	}
	if got := req("/guapocado/usage/consume", `{"key":"api-calls","amount":1}`); got.Status != 200 {
		t.Errorf("after the refund: %d %s", got.Status, got.Body)
	}
	if got := srv.Ops(); len(got) != 4 || got[0].Op != "consume" || got[0].Amount != 10000 || got[2].Op != "refund" || got[2].CustomerID != "acct-1" {
		t.Errorf("ops: %+v", got)
	}
}

// TestCustomPlans: plans given by fields get generated JSON; plans given as
// JSON are served verbatim with unknown members.
func TestCustomPlans(t *testing.T) {
	t.Parallel()
	raw := `{"id":"prod_x","key":"team","name":"Team","config":{"pricing":{"mode":"recurring"},"entitlements":{"sso":true,"seats":{"included":5,"expansion":{"allowed":true}}},"extra":[1,2]},"stripeProductId":null,"future":{"a":1}}`
	team, err := guapocadotest.PlanFromJSON([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if team.Key != "team" || !team.Features["sso"] || team.Allowances["seats"] != (guapocadotest.Allowance{Included: 5, Expansion: true}) {
		t.Fatalf("PlanFromJSON: %+v", team)
	}
	srv := guapocadotest.NewServer(
		guapocadotest.WithPlans(guapocadotest.Plan{
			Key: "starter", Name: "Starter",
			Features:   map[string]bool{"sso": false},
			Allowances: map[string]guapocadotest.Allowance{"api-calls": {Included: 50, Overage: true}},
		}, team),
		guapocadotest.WithMeter("exports", false),
	)
	defer srv.Close()
	sess := mustSession(t, srv)
	auth := bearerHdr(sess.Token)
	expectAnswer(t, "plans", rawDo(t, srv, "GET", "/guapocado/plans", "", auth...), 200, `{"plans":[`+
		`{"id":"prod_starter","key":"starter","name":"Starter","config":{"pricing":{"mode":"recurring"},"entitlements":{"api-calls":{"included":50,"overage":{"allowed":true}},"sso":false}},"stripeProductId":null,"stripePriceId":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"},`+
		raw+`]}`)
	expectAnswer(t, "default plan is the first", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"sso"}`, auth...), 200, `{"customerId":"`+sess.CustomerID+`","allowed":false}`)
	expectAnswer(t, "a WithMeter key is known", rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"exports"}`, auth...), 429, `{"message":"Insufficient balance"}`)
	expectAnswer(t, "free is not in this catalogue", rawDo(t, srv, "POST", "/guapocado/subscription/change", `{"planKey":"free"}`, auth...), 404, `{"message":"Unknown plan: free"}`)
	if got := rawDo(t, srv, "POST", "/guapocado/subscription/change", `{"planKey":"team"}`, auth...); got.Status != 200 {
		t.Fatalf("change: %d %s", got.Status, got.Body)
	}
	expectAnswer(t, "has on the new plan", rawDo(t, srv, "POST", "/guapocado/has", `{"key":"sso"}`, auth...), 200, `{"customerId":"`+sess.CustomerID+`","allowed":true}`)
	expectAnswer(t, "limit on the new plan", rawDo(t, srv, "POST", "/guapocado/limit/settings", `{"key":"seats","purchased":3}`, auth...), 200,
		`{"customerId":"`+sess.CustomerID+`","limit":8,"included":5,"purchased":3,"expansionAllowed":true,"autoExpansionEnabled":false}`)
	expectAnswer(t, "api-calls not in team", rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"api-calls"}`, auth...), 429, `{"message":"Insufficient balance"}`)

	if _, err := srv.Usage(sess.CustomerID, "nope"); !errors.Is(err, guapocadotest.ErrUnknownEntitlement) {
		t.Errorf("Usage(nope) error = %v", err)
	}
	if err := srv.SetPlan(sess.CustomerID, "gold"); !errors.Is(err, guapocadotest.ErrUnknownPlan) {
		t.Errorf("SetPlan(gold) error = %v", err)
	}
	if _, err := srv.CreateOrganization("not-a-token", "X", "x"); !errors.Is(err, guapocadotest.ErrNoSession) {
		t.Errorf("CreateOrganization(bad token) error = %v", err)
	}
	if _, err := srv.SignUp(sess.Email, "password1234", "Dup"); err == nil || !strings.Contains(err.Error(), "422") {
		t.Errorf("SignUp(duplicate) error = %v", err)
	}
}

// TestDefaultPlans: the exported catalogue is the recorded one.
func TestDefaultPlans(t *testing.T) {
	t.Parallel()
	plans := guapocadotest.DefaultPlans()
	var parts []string
	for _, p := range plans {
		parts = append(parts, string(p.JSON))
	}
	if got := "[" + strings.Join(parts, ",") + "]"; got != catalogueJSON(t) {
		t.Errorf("DefaultPlans JSON differs from transcripts §3.18:\n%s", got)
	}
	if p := plans[1]; p.Key != "pro" || p.Mode != "recurring" || !p.Allowances["api-calls"].Overage || p.Allowances["seats"] != (guapocadotest.Allowance{Included: 10, Expansion: true}) {
		t.Errorf("pro: %+v", p)
	}
	if p := plans[2]; p.Mode != "one_time" || p.Allowances["ai-credits"].Included != 1000 {
		t.Errorf("credits-pack: %+v", p)
	}
}

// TestInvalidOptions: NewServer refuses bad configuration.
func TestInvalidOptions(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]guapocadotest.Option{
		"customer source":  {guapocadotest.WithCustomerSource("tenant")},
		"plan without key": {guapocadotest.WithPlans(guapocadotest.Plan{Name: "x"})},
		"duplicate plan":   {guapocadotest.WithPlans(guapocadotest.Plan{Key: "a"}, guapocadotest.Plan{Key: "a"})},
		"customer plan":    {guapocadotest.WithCustomerPlan("c", "gold")},
		"default plan":     {guapocadotest.WithDefaultPlan("gold")},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: NewServer did not panic", name)
				}
			}()
			guapocadotest.NewServer(opts...).Close()
		}()
	}
}
