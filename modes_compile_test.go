package guapocado

import (
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/compiletest"
	"github.com/guapocado/guapocado-go/internal/testenv"
)

// TestModesDoNotCompile: a program that calls a platform-only service on
// the client NewClient returns, or a session-only one on the client
// NewAPIClient returns, does not compile. Each misuse is built in a
// temporary module that uses this checkout; a control program that uses
// both clients correctly must build, so the harness itself is tested.
func TestModesDoNotCompile(t *testing.T) {
	testenv.NeedFull(t, "builds temporary modules")
	build := func(t *testing.T, body string) (string, error) {
		t.Helper()
		src := `package main

import (
	"context"
	"net/http"

	"github.com/guapocado/guapocado-go"
)

var _ = http.MethodGet

func main() {
	ctx := context.Background()
	sc, _ := guapocado.NewClient("https://app.example.com")
	api, _ := guapocado.NewAPIClient("sk_test")
	_, _, _ = ctx, sc, api
` + body + `
}
`
		return compiletest.Build(t, map[string]string{"main.go": src}, "build", ".")
	}

	// The control: the right calls on the right clients build.
	if out, err := build(t, `
	_, _ = sc.Usage.Consume(ctx, "api-calls", 1)
	_, _ = api.Usage.Consume(ctx, "api-calls", 1)
	_, _ = sc.Auth.Session(ctx)
	_, _ = sc.Customer.ID(ctx)
	_, _ = sc.Webhook.Status(ctx)
	_ = sc.ForRequest(&http.Request{})
	_, _ = api.Purchases.List(ctx)
	_, _ = api.Customer.Create(ctx, nil)
	_, _ = api.Subscription.Refund(ctx, "sub_1", nil)
	_, _ = api.Contracts.Get(ctx)
	_, _ = api.Audit.List(ctx, nil)
	_, _ = api.WebhookEndpoints.Register(ctx, nil)
	for _, b := range []*guapocado.Billing{&sc.Billing, &api.Billing} {
		_, _ = b.Has(ctx, "csv-export")
	}`); err != nil {
		t.Fatalf("the control program does not build: %v\n%s", err, out)
	}

	out, err := build(t, `
	_, _ = sc.Purchases.List(ctx)
	_, _ = sc.Customer.Create(ctx, nil)
	_, _ = sc.Subscription.Refund(ctx, "sub_1", nil)
	_, _ = sc.Contracts.Get(ctx)
	_, _ = sc.Audit.List(ctx, nil)
	_, _ = sc.WebhookEndpoints.Register(ctx, nil)
	_, _ = api.Auth.Session(ctx)
	_, _ = api.Webhook.Status(ctx)
	_, _ = api.Customer.ID(ctx)
	_ = api.ForRequest(&http.Request{})`)
	if err == nil {
		t.Fatal("the misuse program built")
	}
	for _, want := range []string{
		"sc.Purchases undefined (type *guapocado.Client has no field or method Purchases)",
		"sc.Customer.Create undefined (type guapocado.SessionCustomerService has no field or method Create)",
		"sc.Subscription.Refund undefined (type guapocado.SubscriptionService has no field or method Refund)",
		"sc.Contracts undefined (type *guapocado.Client has no field or method Contracts)",
		"sc.Audit undefined (type *guapocado.Client has no field or method Audit)",
		"sc.WebhookEndpoints undefined (type *guapocado.Client has no field or method WebhookEndpoints)",
		"api.Auth undefined (type *guapocado.APIClient has no field or method Auth)",
		"api.Webhook undefined (type *guapocado.APIClient has no field or method Webhook)",
		"api.Customer.ID undefined (type guapocado.APICustomerService has no field or method ID)",
		"api.ForRequest undefined (type *guapocado.APIClient has no field or method ForRequest",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("build output:\n%s", out)
	}
}
