package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// newFakeAPIClient is a platform client of srv's platform routes.
func newFakeAPIClient(t *testing.T, srv *guapocadotest.Server, opts ...Option) *APIClient {
	t.Helper()
	all := append([]Option{WithAPIURL(srv.APIURL()), WithRetry(3, 0, 0)}, opts...)
	c, err := NewAPIClient(srv.APIKey(), all...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

// TestPlatformOnFake runs every platform call against guapocadotest: the
// SDK and the fake agree on the wire, and the platform shares the ledger
// with the Better Auth side.
func TestPlatformOnFake(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan("org_rt", "pro"))
	defer srv.Close()
	c := newFakeAPIClient(t, srv, WithCustomerID("org_rt"))
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	cu, err := c.Customer.Create(ctx, &CustomerParams{ID: "org_rt", Name: "Round Trip", Email: "rt@example.test", Metadata: map[string]any{"tier": "gold"}})
	must(err)
	if cu.ID != "org_rt" || cu.Name != "Round Trip" || cu.Metadata["tier"] != "gold" {
		t.Errorf("customer %+v", cu)
	}
	ok, err := c.Has(ctx, "advanced-analytics")
	must(err)
	l, err := c.Limits.Configure(ctx, "seats", LimitSettings{Purchased: Ptr(int64(2))})
	must(err)
	if !ok || l.Limit != 12 || l.CustomerID != "org_rt" {
		t.Errorf("has %v, limit %+v", ok, l)
	}
	if l, err = c.Limit(ctx, "seats"); err != nil || l.Purchased != 2 {
		t.Errorf("limit %+v, %v", l, err)
	}

	u, err := c.Usage.Consume(ctx, "api-calls", 5, WithIdempotencyKey("rt-1"))
	must(err)
	again, err := c.Usage.Consume(ctx, "api-calls", 5, WithIdempotencyKey("rt-1"))
	must(err)
	if u.Balance != 9995 || again.Balance != 9995 || u.CustomerID != "org_rt" {
		t.Errorf("consume %+v, repeated %+v", u, again)
	}
	if _, err := c.Usage.Consume(ctx, "api-calls", 6, WithIdempotencyKey("rt-1")); err == nil {
		t.Error("a key reused for another amount was accepted")
	}
	u, err = c.Usage.Refund(ctx, "api-calls", 2)
	must(err)
	if u.Balance != 9997 {
		t.Errorf("refund %+v", u)
	}
	if u, err = c.Usage.Configure(ctx, "api-calls", UsageSettings{OverageEnabled: true}); err != nil || !u.OverageEnabled || !u.OverageAllowed {
		t.Errorf("configure %+v, %v", u, err)
	}
	if u, err = c.Usage.Balance(ctx, "api-calls"); err != nil || u.Consumed != 3 || u.Resets == nil {
		t.Errorf("balance %+v, %v", u, err)
	}
	if _, err := c.Usage.Consume(ctx, "nope", 1); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown meter: %v", err)
	}
	if _, err := c.Usage.Consume(ctx, "ai-credits", 501); !errors.Is(err, ErrInsufficientBalance) {
		t.Errorf("beyond the balance: %v", err)
	}

	bc, err := c.Snapshot(ctx, &SnapshotParams{Features: []string{"csv-export"}, Usage: []string{"api-calls"}, Limits: []string{"seats"}})
	must(err)
	if bc.CustomerID != "org_rt" || !bc.Features["csv-export"] || bc.Usage["api-calls"].Consumed != 3 || bc.Limits["seats"].Limit != 12 ||
		len(bc.Plans) != 4 || bc.Customer == nil || bc.Customer.Name != "Round Trip" {
		t.Errorf("context %+v", bc)
	}
	plans, err := c.Plans.List(ctx)
	must(err)
	if len(plans) != 4 {
		t.Errorf("%d plans", len(plans))
	}

	sub, err := c.Subscription.Current(ctx)
	must(err)
	if sub != nil {
		t.Errorf("subscription before any: %+v", sub)
	}
	ch, err := c.Subscription.Change(ctx, "pro")
	must(err)
	if !ch.Changed || ch.PlanKey != "pro" || ch.CustomerID != "org_rt" {
		t.Errorf("change %+v", ch)
	}
	if sub, err = c.Subscription.Current(ctx); err != nil || sub == nil || sub.ID != ch.ID || sub.Status != StatusActive {
		t.Errorf("current %+v, %v", sub, err)
	}
	sr, err := c.Subscription.Refund(ctx, ch.ID, &RefundParams{Mode: RefundFull, Reason: "test"}, WithIdempotencyKey("rt-sub-refund"))
	must(err)
	if sr.SubscriptionID != ch.ID || sr.Amount != 2900 || sr.Reason != "test" {
		t.Errorf("subscription refund %+v", sr)
	}
	co, err := c.Checkout.Create(ctx, &CheckoutParams{ProductKey: "credits-pack", SuccessURL: "https://a.test/ok", CancelURL: "https://a.test/no"})
	must(err)
	if !strings.HasPrefix(co.URL, "https://") || co.CustomerID != "org_rt" {
		t.Errorf("checkout %+v", co)
	}

	pid, err := srv.AddPurchase("org_rt", "credits-pack")
	must(err)
	ps, err := c.Purchases.List(ctx)
	must(err)
	if len(ps) != 1 || ps[0].ID != pid || ps[0].Status != "completed" || ps[0].Amount != 1000 {
		t.Errorf("purchases %+v", ps)
	}
	r1, err := c.Purchases.Refund(ctx, pid, nil, WithIdempotencyKey("rt-refund-"+pid))
	must(err)
	r2, err := c.Purchases.Refund(ctx, pid, nil, WithIdempotencyKey("rt-refund-"+pid))
	must(err)
	if r1.ID != r2.ID || r1.Amount != 1000 || r1.PurchaseID != pid {
		t.Errorf("refunds %+v %+v", r1, r2)
	}
	if _, err := c.Purchases.Refund(ctx, pid, nil, WithIdempotencyKey("another")); !errors.Is(err, ErrInvalidRequest) {
		t.Errorf("second refund with another key: %v", err)
	}
	if ps, _ = c.Purchases.List(ctx); ps[0].Status != "refunded" || ps[0].AmountRefunded == nil || *ps[0].AmountRefunded != 1000 {
		t.Errorf("after refund %+v", ps[0])
	}

	w1, err := c.WebhookEndpoints.Register(ctx, &WebhookEndpointParams{URL: "https://a.test/hooks", RegistrationKey: "jobs"})
	must(err)
	w2, err := c.WebhookEndpoints.Register(ctx, &WebhookEndpointParams{URL: "https://a.test/hooks2", Events: []string{"usage.updated"}, RegistrationKey: "jobs"})
	must(err)
	if w1.ID != w2.ID || w1.SigningSecret.IsZero() || !w1.SigningSecret.Equal(w2.SigningSecret) || w2.URL != "https://a.test/hooks2" ||
		len(w2.Events) != 1 || w2.AllEvents || !w1.AllEvents {
		t.Errorf("webhook endpoints %v %v", w1, w2)
	}

	if ct, err := c.Contracts.Get(ctx); ct != nil || err != nil {
		t.Errorf("contract before any: %+v, %v", ct, err)
	}
	ct, err := c.Contracts.Set(ctx, &ContractParams{PriceAmount: Ptr(int64(90000)), PriceInterval: "year", Status: ContractActive,
		Entitlements: map[string]Entitlement{"seats": {Included: 250}}})
	must(err)
	got, err := c.Contracts.Get(ctx)
	must(err)
	if got == nil || got.ID != ct.ID || *got.PriceAmount != 90000 || got.Status != ContractActive || got.Entitlements["seats"].Included != 250 || got.PriceCurrency != "usd" {
		t.Errorf("contract %+v", got)
	}
	if d, err := c.Contracts.Delete(ctx); !d || err != nil {
		t.Errorf("delete: %v, %v", d, err)
	}
	if d, err := c.Contracts.Delete(ctx); d || err != nil {
		t.Errorf("delete again: %v, %v", d, err)
	}

	// The audit log, one entry a page: consumes applied once each.
	var actions []string
	for e, err := range c.Audit.All(ctx, &AuditListParams{ResourceID: "org_rt", Limit: 1}) {
		must(err)
		actions = append(actions, e.Action)
	}
	count := map[string]int{}
	for _, a := range actions {
		count[a]++
	}
	if count["usage.consume"] != 1 || count["usage.refund"] != 1 || count["customer.upsert"] != 1 || count["limit.configure"] != 1 {
		t.Errorf("audit actions %v", actions)
	}
	if actions[0] != "usage.configure" {
		t.Errorf("newest first: %v", actions)
	}
	page, err := c.Audit.List(ctx, &AuditListParams{Action: "contract.delete"})
	must(err)
	if len(page.Logs) != 1 || page.HasMore || page.Logs[0].RequestID == "" || strings.Contains(page.Logs[0].ActorID, srv.APIKey()) {
		t.Errorf("contract.delete page %+v", page)
	}

	// One ledger for both sides: a platform consume for a session's customer
	// shows in the session's balance.
	sess, err := srv.NewSession()
	must(err)
	if _, err := c.Usage.Consume(ctx, "api-calls", 7, ForCustomer(sess.CustomerID)); err != nil {
		t.Fatal(err)
	}
	sc, err := NewClient(srv.URL, WithBearerToken(sess.Token))
	must(err)
	if u, err := sc.Usage.Balance(ctx, "api-calls"); err != nil || u.Consumed != 7 {
		t.Errorf("session balance %+v, %v", u, err)
	}
}

// TestAPIKeyNeverShown: the key is absent from errors, logs (at debug) and
// the fake's request log, on success, on 401, on retries and on lost
// connections.
func TestAPIKeyNeverShown(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithAPIKey(testAPIKey))
	defer srv.Close()
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &mu}, &slog.HandlerOptions{Level: slog.LevelDebug}))
	c := newFakeAPIClient(t, srv, WithCustomerID("org_k"), WithLogger(logger), WithRetry(2, 0, 0))
	wrong, err := NewAPIClient(testAPIKey+"x", WithAPIURL(srv.APIURL()), WithCustomerID("org_k"), WithLogger(logger))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var errs []error
	keep := func(_ any, err error) {
		if err != nil {
			errs = append(errs, err)
		}
	}
	keep(c.Usage.Consume(ctx, "api-calls", 1))
	keep(wrong.Has(ctx, "csv-export")) // 401
	srv.InjectFaults(1, guapocadotest.Fault{Status: 503, Body: `{"error":"maintenance"}`})
	keep(c.Usage.Balance(ctx, "api-calls"))
	srv.InjectFaults(3, guapocadotest.Fault{Drop: guapocadotest.DropAfterApply})
	keep(c.Usage.Consume(ctx, "api-calls", 1)) // every attempt lost
	keep(c.Usage.Consume(ctx, "ai-credits", 1000))
	keep(c.Has(ctx, "unknown-feature"))
	dead, err := NewAPIClient(testAPIKey, WithAPIURL("http://127.0.0.1:1"), WithCustomerID("org_k"), WithLogger(logger), WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	keep(dead.Plans.List(ctx))

	if len(errs) != 5 {
		t.Errorf("%d errors, want 5: %v", len(errs), errs)
	}
	var unauthorized bool
	for _, err := range errs {
		unauthorized = unauthorized || errors.Is(err, ErrInvalidAPIKey)
		var e *Error
		errors.As(err, &e)
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", e)} {
			if strings.Contains(s, testAPIKey) {
				t.Error("an error shows the API key")
			}
		}
	}
	if !unauthorized {
		t.Error("the wrong key was not refused")
	}
	mu.Lock()
	out := logs.String()
	mu.Unlock()
	if !strings.Contains(out, "attempt") || !strings.Contains(out, "retrying") {
		t.Errorf("the debug log is missing attempts: %q", out)
	}
	if strings.Contains(out, testAPIKey) || strings.Contains(out, "sk_guap") {
		t.Error("the log shows the API key")
	}
	for _, r := range srv.Requests() {
		if v := r.Header.Get("X-Guapocado-Key"); v != "[REDACTED]" {
			t.Errorf("request log header %q", v)
		}
	}
	for _, op := range srv.Ops() {
		if op.Header.Get("X-Guapocado-Key") != "" {
			t.Error("the ledger log keeps the API key")
		}
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// TestPlatformFaultInjection is the retries acceptance run in platform
// mode: 2,000 consumes while 20% of requests fail, mixed across connections
// dropped before and after the ledger applied the consume, 500, 503, and
// 429 with and without Retry-After. Every consume carries one idempotency
// key on all its attempts, so each is applied exactly once and none ends in
// ErrOutcomeUnknown.
func TestPlatformFaultInjection(t *testing.T) {
	t.Parallel()
	const (
		calls    = 2000
		workers  = 8
		customer = "org_faults"
	)
	srv := guapocadotest.NewServer(guapocadotest.WithCustomerPlan(customer, "enterprise"))
	defer srv.Close()
	path := "/v1/usage/api-calls/consume"

	kinds := []struct {
		name  string
		fault guapocadotest.Fault
	}{
		{"drop before apply", guapocadotest.Fault{Drop: guapocadotest.DropBeforeApply}},
		{"drop after apply", guapocadotest.Fault{Drop: guapocadotest.DropAfterApply}},
		{"500", guapocadotest.Fault{Status: 500, Body: `{"error":"boom"}`}},
		{"503", guapocadotest.Fault{Status: 503, Body: `{"error":"maintenance"}`}},
		{"429 + Retry-After", guapocadotest.Fault{Status: 429, Body: `{"error":"slow down"}`, Header: http.Header{"Retry-After": {"1"}}}},
		{"429", guapocadotest.Fault{Status: 429, Body: `{"error":"slow down"}`}},
	}
	// 20% of requests fail, the kind drawn at random (seeded), at most 4
	// faults in a row for one consume so that 5 retries always suffice.
	var fmu sync.Mutex
	rng := rand.New(rand.NewPCG(9, 9))
	injected := map[string]int{}
	faultsOf := map[string]int{} // by idempotency key
	attempts := 0
	srv.SetFaultFunc(func(r *http.Request) *guapocadotest.Fault {
		var body struct {
			IdempotencyKey string `json:"idempotencyKey"`
		}
		if r.URL.Path != path || json.NewDecoder(r.Body).Decode(&body) != nil {
			return nil
		}
		fmu.Lock()
		defer fmu.Unlock()
		attempts++
		if rng.Float64() >= 0.2 || faultsOf[body.IdempotencyKey] >= 4 {
			return nil
		}
		faultsOf[body.IdempotencyKey]++
		k := kinds[rng.IntN(len(kinds))]
		injected[k.name]++
		f := k.fault
		return &f
	})

	c := newFakeAPIClient(t, srv, WithCustomerID(customer), WithRetry(5, 0, 2*time.Second))
	sl := &sleeps{}
	c.cfg.sleepFn = sl.sleep // record the waits; do not sleep them
	amountOf := func(i int) int64 { return int64(i%5 + 1) }

	var (
		mu         sync.Mutex
		ok, failed int
		unknown    int
		sum        int64
		failures   []error
	)
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				_, err := c.Usage.Consume(context.Background(), "api-calls", amountOf(i))
				mu.Lock()
				switch {
				case err == nil:
					ok++
					sum += amountOf(i)
				case errors.Is(err, ErrOutcomeUnknown):
					unknown++
				default:
					failed++
					failures = append(failures, err)
				}
				mu.Unlock()
			}
		}()
	}
	for i := range calls {
		jobs <- i
	}
	close(jobs)
	wg.Wait()

	ops := srv.Ops()
	perKey := map[string]int{}
	var applied int64
	for _, op := range ops {
		perKey[op.IdempotencyKey]++
		applied += int64(op.Amount)
	}
	doubles := 0
	for k, n := range perKey {
		if n > 1 || k == "" {
			doubles++
		}
	}
	u, err := srv.Usage(customer, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	var waitedRetryAfter int
	for _, w := range sl.all() {
		if w == time.Second {
			waitedRetryAfter++
		}
	}
	fmu.Lock()
	totalFaults := 0
	for _, n := range injected {
		totalFaults += n
	}
	t.Logf("platform fault run: %d consumes, %d requests, %d faults (%.1f%%): %v", calls, attempts, totalFaults,
		100*float64(totalFaults)/float64(attempts), injected)
	t.Logf("outcomes: %d ok, %d ErrOutcomeUnknown, %d failed; ledger: %d ops, %d keys applied twice, applied %d = sum of successes %d, consumed %v; idempotent replays %d; Retry-After waits honoured %d",
		ok, unknown, failed, len(ops), doubles, applied, sum, u.Consumed, srv.IdempotentReplays(), waitedRetryAfter)
	if ok != calls || unknown != 0 || failed != 0 {
		t.Errorf("%d ok, %d unknown, %d failed (first failures: %v)", ok, unknown, failed, failures[:min(3, len(failures))])
	}
	if doubles != 0 || len(ops) != calls || applied != sum || int64(u.Consumed) != sum {
		t.Errorf("double applications: %d; ops %d; applied %d; consumed %v; want %d", doubles, len(ops), applied, u.Consumed, sum)
	}
	for _, k := range kinds {
		if injected[k.name] == 0 {
			t.Errorf("no %q fault was injected", k.name)
		}
	}
	if totalFaults < attempts/8 || srv.IdempotentReplays() != injected["drop after apply"] || waitedRetryAfter != injected["429 + Retry-After"] {
		t.Errorf("faults %d of %d requests; replays %d for %d drops after apply; %d Retry-After waits for %d",
			totalFaults, attempts, srv.IdempotentReplays(), injected["drop after apply"], waitedRetryAfter, injected["429 + Retry-After"])
	}
	fmu.Unlock()
}

// TestPlatformOutcomeUnknownCarriesKey: when every attempt of a consume is
// sent and its answer lost, the error says the outcome is unknown and gives
// the key; repeating with it applies nothing twice. A consume that never
// reached the server is not "unknown".
func TestPlatformOutcomeUnknownCarriesKey(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	c := newFakeAPIClient(t, srv, WithCustomerID("org_u"), WithRetry(2, 0, 0))
	ctx := context.Background()
	srv.InjectFaults(3, guapocadotest.Fault{Path: "/v1/usage/api-calls/consume", Drop: guapocadotest.DropAfterApply})
	_, err := c.Usage.Consume(ctx, "api-calls", 4)
	var e *Error
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &e) || e.Attempts != 3 || !strings.HasPrefix(e.IdempotencyKey, "gsdk_") ||
		!strings.Contains(err.Error(), e.IdempotencyKey) {
		t.Fatalf("got %v", err)
	}
	ops := srv.Ops()
	if len(ops) != 1 || ops[0].IdempotencyKey != e.IdempotencyKey {
		t.Fatalf("ops %+v", ops)
	}
	if u, err := c.Usage.Consume(ctx, "api-calls", 4, WithIdempotencyKey(e.IdempotencyKey)); err != nil || u.Consumed != 4 {
		t.Errorf("repeat: %+v, %v", u, err)
	}
	if n := len(srv.Ops()); n != 1 {
		t.Errorf("%d ops after the repeat", n)
	}

	// A refund key given by the caller is reported the same way.
	srv.InjectFaults(3, guapocadotest.Fault{Path: "/v1/usage/api-calls/refund", Drop: guapocadotest.DropBeforeApply})
	_, err = c.Usage.Refund(ctx, "api-calls", 1, WithIdempotencyKey("undo-1"))
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &e) || e.IdempotencyKey != "undo-1" {
		t.Errorf("refund: %v", err)
	}

	dead, err := NewAPIClient(testAPIKey, WithAPIURL("http://127.0.0.1:1"), WithCustomerID("org_u"), WithRetry(1, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := dead.Usage.Consume(ctx, "api-calls", 1); err == nil || errors.Is(err, ErrOutcomeUnknown) {
		t.Errorf("nothing sent: %v", err)
	}
}
