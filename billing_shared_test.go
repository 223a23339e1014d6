package guapocado_test

import (
	"context"
	"testing"

	"github.com/guapocado/guapocado-go"
)

// tourResult is what billingTour saw.
type tourResult struct {
	has                     bool
	before, after, refunded *guapocado.Usage
	snapshot                *guapocado.Snapshot
	plans                   []guapocado.Plan
	subscription            *guapocado.Subscription
	checkout                *guapocado.Checkout
}

// billingTour is a user's helper written once against the shared surface:
// it needs only what both clients serve.
func billingTour(ctx context.Context, b *guapocado.Billing) (*tourResult, error) {
	var r tourResult
	var err error
	if _, err = b.Subscription.Change(ctx, "pro"); err != nil {
		return nil, err
	}
	if r.has, err = b.Has(ctx, "advanced-analytics"); err != nil {
		return nil, err
	}
	if r.before, err = b.Usage.Balance(ctx, "api-calls"); err != nil {
		return nil, err
	}
	if r.after, err = b.Usage.Consume(ctx, "api-calls", 3); err != nil {
		return nil, err
	}
	if r.refunded, err = b.Usage.Refund(ctx, "api-calls", 1); err != nil {
		return nil, err
	}
	if r.snapshot, err = b.Snapshot(ctx, &guapocado.SnapshotParams{Features: []string{"csv-export"}, Usage: []string{"api-calls"}}); err != nil {
		return nil, err
	}
	if r.plans, err = b.Plans.List(ctx); err != nil {
		return nil, err
	}
	if r.subscription, err = b.Subscription.Current(ctx); err != nil {
		return nil, err
	}
	r.checkout, err = b.Checkout.Create(ctx, &guapocado.CheckoutParams{ProductKey: "credits-pack",
		SuccessURL: "https://app.example.test/ok", CancelURL: "https://app.example.test/billing"})
	return &r, err
}

// TestBillingRunsOnBothClients: one function written against *Billing runs
// unchanged on a session client (guapocadotest's Better Auth side) and on a
// platform client (its platform side), and both see the same ledger.
func TestBillingRunsOnBothClients(t *testing.T) {
	t.Parallel()
	srv := newFake(t)
	sess := newSession(t, srv)
	sc := newSDK(t, srv, guapocado.WithBearerToken(sess.Token))
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_platform"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.CloseIdleConnections)

	for _, tc := range []struct {
		name     string
		b        *guapocado.Billing
		customer string
	}{
		{"session", &sc.Billing, sess.CustomerID},
		{"platform", &api.Billing, "org_platform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := billingTour(t.Context(), tc.b)
			if err != nil {
				t.Fatal(err)
			}
			if !r.has {
				t.Error("has advanced-analytics: false on pro")
			}
			for _, u := range []*guapocado.Usage{r.before, r.after, r.refunded} {
				if u.CustomerID != tc.customer || u.Key != "api-calls" {
					t.Errorf("usage names %q/%q, want %q/api-calls", u.CustomerID, u.Key, tc.customer)
				}
			}
			if r.after.Consumed != r.before.Consumed+3 || r.refunded.Consumed != r.before.Consumed+2 {
				t.Errorf("consumed %d → %d → %d", r.before.Consumed, r.after.Consumed, r.refunded.Consumed)
			}
			if got, err := srv.Usage(tc.customer, "api-calls"); err != nil || int64(got.Consumed) != r.refunded.Consumed {
				t.Errorf("the fake's ledger: %+v, %v; the SDK saw %d", got, err, r.refunded.Consumed)
			}
			s := r.snapshot
			if s.CustomerID != tc.customer || !s.Features["csv-export"] || s.Usage["api-calls"].Consumed != r.refunded.Consumed ||
				s.Usage["api-calls"].Key != "api-calls" || s.Usage["api-calls"].CustomerID != tc.customer {
				t.Errorf("snapshot %+v", s)
			}
			if len(r.plans) != 4 || r.plans[1].Key != "pro" {
				t.Errorf("plans %d", len(r.plans))
			}
			if r.subscription == nil || r.subscription.PlanKey != "pro" || r.subscription.CustomerID != tc.customer {
				t.Errorf("subscription %+v", r.subscription)
			}
			if r.checkout.CustomerID != tc.customer || r.checkout.URL == "" {
				t.Errorf("checkout %+v", r.checkout)
			}
		})
	}
}
