package guapocadotest_test

import (
	"context"
	"errors"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/billingconfig"
	"github.com/guapocado/guapocado-go/billingconfig/livecheck"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// The fake serves upstream's example app catalogue (billing.config.ts
// written out as billing.json) exactly: its plans and prices, a customer
// starting on the free plan, the meter's monthly reset, the limit's
// expansion, overage terms, and kinds.
func TestWithBillingConfigServesTheCatalogue(t *testing.T) {
	cfg, err := billingconfig.Load("../billingconfig/testdata/better-auth-app.json")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	srv := guapocadotest.New(t, guapocadotest.WithBillingConfig(cfg), guapocadotest.WithClock(func() time.Time { return now }))
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithInsecureHTTP())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	// Plans: every product, with the config's pricing and entitlements, and
	// nothing else; the catalogue's keys agree with the config's.
	plans, err := c.Plans.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(plans) != len(cfg.Products) {
		t.Fatalf("%d plans, want %d", len(plans), len(cfg.Products))
	}
	for i, p := range plans {
		want := cfg.Products[i]
		if p.Key != want.Key {
			t.Fatalf("plan %d is %q, want %q", i, p.Key, want.Key)
		}
		if (p.Config.Pricing == nil) != (want.Pricing == nil) {
			t.Fatalf("plan %s: pricing %+v, want %+v", p.Key, p.Config.Pricing, want.Pricing)
		}
		if pr := p.Config.Pricing; pr != nil {
			if pr.Mode != string(want.Pricing.Mode) || pr.Type != want.Pricing.Type || *pr.Amount != *want.Pricing.Amount ||
				pr.Currency != want.Pricing.Currency || pr.Frequency != want.Pricing.Frequency {
				t.Errorf("plan %s: pricing %+v, want %+v", p.Key, pr, want.Pricing)
			}
		}
		if len(p.Config.Entitlements) != len(want.Entitlements) {
			t.Errorf("plan %s: %d entitlements, want %d", p.Key, len(p.Config.Entitlements), len(want.Entitlements))
		}
		for key, v := range want.Entitlements {
			got := p.Config.Entitlements[key]
			if cfg.Entitlements[key].Type == billingconfig.KindFeature {
				if !got.IsFeature || got.Enabled != v.Enabled {
					t.Errorf("plan %s: %s = %+v, want the feature %v", p.Key, key, got, v.Enabled)
				}
				continue
			}
			if got.IsFeature || got.Included != v.Included || !sameTerms(got.Overage, v.Overage) || !sameTerms(got.Expansion, v.Expansion) {
				t.Errorf("plan %s: %s = %+v, want %+v", p.Key, key, got, v)
			}
		}
	}
	if err := livecheck.Check(ctx, &c.Billing, cfg.Keys()); err != nil {
		t.Fatal(err)
	}

	// A new customer is on free, the product without a price.
	if ok, err := c.Has(ctx, "advanced-analytics"); err != nil || ok {
		t.Fatalf("free has advanced-analytics = %v, %v", ok, err)
	}
	u, err := c.Usage.Balance(ctx, "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if u.Included != 1000 || u.Balance != 1000 || u.OverageAllowed || u.Resets == nil || !u.Resets.Equal(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("free api-calls = %+v, want 1000 resetting on 2027-01-01", u)
	}
	l, err := c.Limit(ctx, "seats")
	if err != nil {
		t.Fatal(err)
	}
	if l.Included != 1 || l.Limit != 1 || l.ExpansionAllowed {
		t.Fatalf("free seats = %+v", l)
	}
	// Kinds: seats is a limit, api-calls a meter.
	if _, err := c.Usage.Consume(ctx, "seats", 1); !errors.Is(err, guapocado.ErrInvalidRequest) {
		t.Fatalf("consume of the limit seats: %v", err)
	}
	if _, err := c.Limit(ctx, "api-calls"); !errors.Is(err, guapocado.ErrInvalidRequest) {
		t.Fatalf("limit of the meter api-calls: %v", err)
	}

	// On pro: the feature, the included amounts and the terms.
	if _, err := c.Subscription.Change(ctx, "pro"); err != nil {
		t.Fatal(err)
	}
	if ok, err := c.Has(ctx, "advanced-analytics"); err != nil || !ok {
		t.Fatalf("pro has advanced-analytics = %v, %v", ok, err)
	}
	if u, err = c.Usage.Balance(ctx, "api-calls"); err != nil || u.Included != 100000 || !u.OverageAllowed {
		t.Fatalf("pro api-calls = %+v, %v", u, err)
	}
	if l, err = c.Limit(ctx, "seats"); err != nil || l.Included != 10 || !l.ExpansionAllowed {
		t.Fatalf("pro seats = %+v, %v", l, err)
	}
	if _, err := c.Checkout.Create(ctx, &guapocado.CheckoutParams{ProductKey: "pro", SuccessURL: "https://app.example/ok", CancelURL: "https://app.example/no"}); err != nil {
		t.Fatalf("checkout of pro: %v", err)
	}
}

func sameTerms(got *guapocado.EntitlementTerms, want *billingconfig.Terms) bool {
	if got == nil || want == nil {
		return got == nil && want == nil
	}
	return got.Allowed == want.Allowed && got.Unit == want.Unit && got.Amount == want.Amount && got.Currency == want.Currency
}

// Meters reset as the config says: daily at 00:00 UTC, weekly on Monday,
// never without a reset; a custom tier refuses checkout.
func TestWithBillingConfigResets(t *testing.T) {
	cfg, err := billingconfig.Parse([]byte(`{"version":1,
		"entitlements":{"d":{"type":"meter","reset":"daily"},"w":{"type":"meter","reset":"weekly"},"n":{"type":"meter"}},
		"products":[{"key":"base","entitlements":{"d":{"included":5},"w":{"included":5},"n":{"included":5}}},
			{"key":"big","pricing":{"mode":"custom","contact":"mailto:sales@example.test"},"entitlements":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 9, 15, 0, 0, 0, time.UTC) // a Wednesday
	srv := guapocadotest.New(t, guapocadotest.WithBillingConfig(cfg), guapocadotest.WithClock(func() time.Time { return now }))
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithInsecureHTTP())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for key, resets := range map[string]*time.Time{
		"d": guapocado.Ptr(time.Date(2026, 12, 10, 0, 0, 0, 0, time.UTC)),
		"w": guapocado.Ptr(time.Date(2026, 12, 14, 0, 0, 0, 0, time.UTC)),
		"n": nil,
	} {
		u, err := c.Usage.Consume(ctx, key, 2)
		if err != nil {
			t.Fatal(err)
		}
		if (u.Resets == nil) != (resets == nil) || (resets != nil && !u.Resets.Equal(*resets)) {
			t.Errorf("%s resets %v, want %v", key, u.Resets, resets)
		}
	}
	srv.SetNow(time.Date(2026, 12, 10, 0, 0, 1, 0, time.UTC)) // the next day
	for key, consumed := range map[string]int64{"d": 0, "w": 2, "n": 2} {
		u, err := c.Usage.Balance(ctx, key)
		if err != nil || u.Consumed != consumed {
			t.Errorf("%s the next day: %+v, %v; want consumed %d", key, u, err, consumed)
		}
	}
	srv.SetNow(time.Date(2026, 12, 14, 0, 0, 1, 0, time.UTC)) // the next Monday
	if u, err := c.Usage.Balance(ctx, "w"); err != nil || u.Consumed != 0 {
		t.Errorf("w on Monday: %+v, %v", u, err)
	}
	_, err = c.Checkout.Create(ctx, &guapocado.CheckoutParams{ProductKey: "big", SuccessURL: "https://app.example/ok", CancelURL: "https://app.example/no"})
	var apiErr *guapocado.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != 400 {
		t.Fatalf("checkout of the custom tier: %v", err)
	}
}
