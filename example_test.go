package guapocado_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// newExampleClient starts the embedded fake at a fixed date and returns a
// client for a fresh user whose organization is the active customer. Real
// code would call NewClient with the app's URL and a session.
func newExampleClient() (*guapocado.Client, func()) {
	srv := guapocadotest.NewServer(guapocadotest.WithClock(func() time.Time {
		return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	}))
	sess, err := srv.NewSession()
	if err != nil {
		panic(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token))
	if err != nil {
		panic(err)
	}
	return c, srv.Close
}

func ExampleNewClient() {
	c, err := guapocado.NewClient("https://app.example.com",
		guapocado.WithSessionToken("<signed-session-token>"),
		guapocado.WithRetry(5, 100*time.Millisecond, 10*time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Println(c.BaseURL())

	_, err = guapocado.NewClient("app.example.com")
	fmt.Println(err)
	// Output:
	// https://app.example.com/api/auth
	// guapocado: NewClient: base URL must be http(s)://host[:port], got scheme "" host ""
}

func ExampleUsageService_Consume() {
	c, done := newExampleClient()
	defer done()
	ctx := context.Background()

	u, err := c.Usage.Consume(ctx, "api-calls", 5)
	if err != nil {
		panic(err)
	}
	fmt.Printf("balance %d of %d, resets %s\n", u.Balance, u.Included, u.Resets.Format(time.DateOnly))

	_, err = c.Usage.Consume(ctx, "ai-credits", 11) // the free plan has 10
	fmt.Println(errors.Is(err, guapocado.ErrInsufficientBalance))

	_, err = c.Usage.Consume(ctx, "api-calls", 0)
	fmt.Println(err)
	// Output:
	// balance 95 of 100, resets 2026-12-01
	// true
	// guapocado: invalid amount: must be greater than 0
}

func ExampleUsageService_Balance() {
	c, done := newExampleClient()
	defer done()
	for _, key := range []string{"api-calls", "ai-credits"} {
		u, err := c.Usage.Balance(context.Background(), key)
		if err != nil {
			panic(err)
		}
		resets := "never"
		if u.Resets != nil {
			resets = u.Resets.Format(time.RFC3339)
		}
		fmt.Printf("%s: %d left, resets %s\n", key, u.Balance, resets)
	}
	// Output:
	// api-calls: 100 left, resets 2026-12-01T00:00:00Z
	// ai-credits: 10 left, resets never
}

func ExampleUsageService_Refund() {
	c, done := newExampleClient()
	defer done()
	ctx := context.Background()
	if _, err := c.Usage.Consume(ctx, "api-calls", 3); err != nil {
		panic(err)
	}
	u, err := c.Usage.Refund(ctx, "api-calls", 2)
	if err != nil {
		panic(err)
	}
	fmt.Println("consumed", u.Consumed)
	// Output: consumed 1
}

func ExampleClient_Has() {
	c, done := newExampleClient()
	defer done()
	for _, key := range []string{"csv-export", "advanced-analytics"} {
		ok, err := c.Has(context.Background(), key)
		if err != nil {
			panic(err)
		}
		fmt.Println(key, ok)
	}
	_, err := c.Has(context.Background(), "no-such-feature")
	fmt.Println(errors.Is(err, guapocado.ErrNotFound))
	// Output:
	// csv-export true
	// advanced-analytics false
	// true
}

func ExampleClient_Limit() {
	c, done := newExampleClient()
	defer done()
	ctx := context.Background()
	l, err := c.Limit(ctx, "seats")
	if err != nil {
		panic(err)
	}
	fmt.Println("seats", l.Limit)
	_, err = c.Limits.Configure(ctx, "seats", guapocado.LimitSettings{Purchased: guapocado.Ptr(int64(2))})
	var apiErr *guapocado.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	// Output:
	// seats 3
	// 400 Limit expansion is not allowed for seats on this plan
}

func ExampleBilling_Snapshot() {
	c, done := newExampleClient()
	defer done()
	bc, err := c.Snapshot(context.Background(), &guapocado.SnapshotParams{
		Features: []string{"csv-export"}, Usage: []string{"api-calls"}, Limits: []string{"seats"},
		IncludePlans: guapocado.Ptr(false),
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(bc.Features["csv-export"], bc.Usage["api-calls"].Balance, bc.Limits["seats"].Limit, len(bc.Plans), bc.Subscription)
	// Output: true 100 3 0 <nil>
}

func ExampleCustomerService_Sync() {
	c, done := newExampleClient()
	defer done()
	cu, err := c.Customer.Sync(context.Background())
	if err != nil {
		panic(err)
	}
	ref, _ := c.Customer.ID(context.Background())
	fmt.Println(cu.Name, ref.CustomerID == cu.ID)
	// Output: User 1 true
}

func ExamplePlansService_List() {
	c, done := newExampleClient()
	defer done()
	plans, err := c.Plans.List(context.Background())
	if err != nil {
		panic(err)
	}
	for _, p := range plans {
		fmt.Println(p.Key, p.Config.Pricing.Mode, p.Config.Entitlements["api-calls"].Included)
	}
	// Output:
	// free recurring 100
	// pro recurring 10000
	// credits-pack one_time 0
	// enterprise custom 1000000
}

func ExampleSubscriptionService_Change() {
	c, done := newExampleClient()
	defer done()
	ctx := context.Background()
	s, err := c.Subscription.Current(ctx)
	fmt.Println(s, err)
	ch, err := c.Subscription.Change(ctx, "pro")
	if err != nil {
		panic(err)
	}
	fmt.Println(ch.PlanKey, ch.Status, ch.Changed)
	ch, _ = c.Subscription.Change(ctx, "pro")
	fmt.Println(ch.Changed)
	// Output:
	// <nil> <nil>
	// pro active true
	// false
}

func ExampleCheckoutService_Create() {
	c, done := newExampleClient()
	defer done()
	co, err := c.Checkout.Create(context.Background(), &guapocado.CheckoutParams{
		ProductKey: "credits-pack",
		SuccessURL: "https://app.example.com/billing/ok",
		CancelURL:  "https://app.example.com/billing",
	})
	if err != nil {
		panic(err)
	}
	fmt.Println(co.URL != "")
	// Output: true
}

func ExampleError() {
	c, done := newExampleClient()
	defer done()
	_, err := c.Usage.Balance(context.Background(), "no-such-meter")
	var apiErr *guapocado.Error
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Message)
	}
	fmt.Println(err)
	// Output:
	// 404 Unknown entitlement: no-such-meter
	// guapocado: POST /api/auth/guapocado/usage/balance: 404: Unknown entitlement: no-such-meter
}
