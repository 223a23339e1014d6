package readmodel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

func platformModelOn(t *testing.T, srv *guapocadotest.Server, opts ...readmodel.Option) (*readmodel.ReadModel, *guapocado.APIClient) {
	t.Helper()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := readmodel.New(&api.Billing, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return rm, api
}

// TestWebhookWinsWhenPlatformClockIsBehind: the platform's clock is behind
// the app's. A read-through stores the free plan's answer; then the
// customer upgrades and the entitlements.updated webhook (stamped by the
// platform's clock) arrives. The upgrade must be served, not the old
// answer until MaxAge: write-backs are ordered by the server's time.
func TestWebhookWinsWhenPlatformClockIsBehind(t *testing.T) {
	for _, behind := range []time.Duration{250 * time.Millisecond, 2 * time.Second, 30 * time.Second} {
		t.Run(fmt.Sprint(behind), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv := guapocadotest.NewServer(guapocadotest.WithClockSkew(-behind))
			defer srv.Close()
			rm, api := platformModelOn(t, srv)
			const cust = "cus_skew"
			if ok, _, err := rm.Has(ctx, cust, "advanced-analytics"); err != nil || ok {
				t.Fatalf("Has on the free plan = %v, %v", ok, err)
			}
			if _, err := api.Subscription.Change(ctx, "pro", guapocado.ForCustomer(cust)); err != nil {
				t.Fatal(err)
			}
			if err := rm.Project(ctx, entitlementsEvent("evt_skew", cust, srv.Now())); err != nil {
				t.Fatal(err)
			}
			ok, m, err := rm.Has(ctx, cust, "advanced-analytics")
			if err != nil || !ok {
				t.Fatalf("Has after the upgrade's webhook = %v (local %v, as of %s), %v; want true",
					ok, m.Local, m.AsOf.Format(time.RFC3339Nano), err)
			}
		})
	}
}

// TestEqualTimeConsumesNewestFirst: two consumes in one millisecond, their
// usage.updated events delivered newest first. The older balance must not
// be served.
func TestEqualTimeConsumesNewestFirst(t *testing.T) {
	ctx := context.Background()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	rm, api := platformModelOn(t, srv)
	const cust = "cus_tie"
	as := guapocado.ForCustomer(cust)
	older, err := api.Usage.Consume(ctx, "api-calls", 1, as)
	if err != nil {
		t.Fatal(err)
	}
	newer, err := api.Usage.Consume(ctx, "api-calls", 1, as)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Now().Truncate(time.Millisecond)
	usage := func(u *guapocado.Usage) map[string]any {
		return map[string]any{"customerId": cust, "key": "api-calls", "balance": u.Balance, "included": u.Included, "consumed": u.Consumed}
	}
	for i, u := range []*guapocado.Usage{newer, older} {
		if err := rm.Project(ctx, event(t, fmt.Sprint("evt_tie_", i), webhook.EventUsageUpdated, at, usage(u))); err != nil {
			t.Fatal(err)
		}
	}
	got, m, err := rm.Balance(ctx, cust, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if got.Consumed != newer.Consumed {
		t.Fatalf("Balance = %d consumed (local %v), want %d: the older of two equal-time events was kept", got.Consumed, m.Local, newer.Consumed)
	}
}

// TestEqualTimePlanChangeNewFirst: a plan change sent as "old subscription
// canceled" and "new subscription active" in one millisecond, the new one
// delivered first. The active subscription must stay, and OnCancel must
// not fire for a paying customer.
func TestEqualTimePlanChangeNewFirst(t *testing.T) {
	ctx := context.Background()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	var canceled, planChanged atomic.Int64
	rm, _ := platformModelOn(t, srv, readmodel.WithHooks(readmodel.Hooks{
		OnCancel: func(context.Context, *readmodel.Event, *guapocado.Subscription, *guapocado.Subscription) error {
			canceled.Add(1)
			return nil
		},
		OnPlanChange: func(context.Context, *readmodel.Event, *guapocado.Subscription, *guapocado.Subscription) error {
			planChanged.Add(1)
			return nil
		},
	}))
	const cust = "cus_change"
	now := time.Now().Truncate(time.Millisecond)
	oldStart, newStart := now.AddDate(0, 0, -20), now
	sub := func(id, plan, status string, start time.Time) map[string]any {
		return map[string]any{"subscription": map[string]any{"id": id, "customerId": cust, "planKey": plan, "status": status,
			"currentPeriodStart": start, "currentPeriodEnd": start.AddDate(0, 1, 0), "cancelAtPeriodEnd": false}}
	}
	// The customer was on free, active.
	if err := rm.Project(ctx, event(t, "evt_0", webhook.EventSubscriptionUpdated, now.Add(-time.Hour), sub("sub_old", "free", "active", oldStart))); err != nil {
		t.Fatal(err)
	}
	at := now
	if err := rm.Project(ctx, event(t, "evt_new", webhook.EventSubscriptionUpdated, at, sub("sub_new", "pro", "active", newStart))); err != nil {
		t.Fatal(err)
	}
	if err := rm.Project(ctx, event(t, "evt_old", webhook.EventSubscriptionUpdated, at, sub("sub_old", "free", "canceled", oldStart))); err != nil {
		t.Fatal(err)
	}
	s, m, err := rm.Subscription(ctx, cust)
	if err != nil {
		t.Fatal(err)
	}
	if s == nil || s.ID != "sub_new" || s.Status != guapocado.StatusActive || !m.Local {
		t.Fatalf("Subscription = %+v (local %v), want sub_new active from the store", s, m.Local)
	}
	if canceled.Load() != 0 {
		t.Fatalf("OnCancel fired %d times for a customer who changed plan", canceled.Load())
	}
	if planChanged.Load() != 1 {
		t.Fatalf("OnPlanChange fired %d times, want 1", planChanged.Load())
	}
}

// TestConcurrentConsumesReadYourWrites: a job without webhooks consumes
// from 16 goroutines at once, 20 rounds. After each round the read model's
// balance must be the server's: an answer applied earlier must never
// overwrite a later one.
func TestConcurrentConsumesReadYourWrites(t *testing.T) {
	ctx := context.Background()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	rm, api := platformModelOn(t, srv)
	const cust, goroutines, rounds = "cus_rywc", 16, 20
	if _, err := api.Subscription.Change(ctx, "pro", guapocado.ForCustomer(cust)); err != nil { // 10,000 included
		t.Fatal(err)
	}
	bad := 0
	for round := range rounds {
		var wg sync.WaitGroup
		for range goroutines {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := rm.Consume(ctx, cust, "api-calls", 1); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		got, m, err := rm.Balance(ctx, cust, "api-calls")
		if err != nil {
			t.Fatal(err)
		}
		want, err := api.Usage.Balance(ctx, "api-calls", guapocado.ForCustomer(cust))
		if err != nil {
			t.Fatal(err)
		}
		if got.Consumed != want.Consumed {
			bad++
			t.Errorf("round %d: read model serves %d consumed (local %v), the server has %d", round, got.Consumed, m.Local, want.Consumed)
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d rounds served an older balance than the server's", bad, rounds)
	}
}

// TestMiddlewareWriteBackWhenPlatformClockIsBehind is the clock test above
// through the middleware (guapocado.WithReadModel): its write-backs are
// ordered by the answer's Date too.
func TestMiddlewareWriteBackWhenPlatformClockIsBehind(t *testing.T) {
	ctx := context.Background()
	srv := guapocadotest.NewServer(guapocadotest.WithClockSkew(-30 * time.Second))
	defer srv.Close()
	rm, api := platformModelOn(t, srv)
	const cust = "cus_mw_skew"
	mw, err := api.Middleware(guapocado.RequireFeature("advanced-analytics"), guapocado.CustomerID(cust), guapocado.WithReadModel(rm))
	if err != nil {
		t.Fatal(err)
	}
	h := mw(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	serve := func() int {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/report", nil))
		return rec.Code
	}
	if code := serve(); code == http.StatusNoContent {
		t.Fatal("the free plan was let through")
	}
	if _, err := api.Subscription.Change(ctx, "pro", guapocado.ForCustomer(cust)); err != nil {
		t.Fatal(err)
	}
	if err := rm.Project(ctx, entitlementsEvent("evt_mw_skew", cust, srv.Now())); err != nil {
		t.Fatal(err)
	}
	if code := serve(); code != http.StatusNoContent {
		t.Fatalf("after the upgrade's webhook the middleware answered %d: the answer it stored before the upgrade was served", code)
	}
}
