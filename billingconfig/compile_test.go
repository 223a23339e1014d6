package billingconfig

import (
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/compiletest"
	"github.com/guapocado/guapocado-go/internal/testenv"
)

// The generated package builds and vets clean, the right calls compile, and
// each misuse of a key's kind is a compile error.
func TestGeneratedCodeCompilesAndRefusesMisuse(t *testing.T) {
	testenv.NeedFull(t, "builds a temporary module with the generated package")
	pkg := string(generate(t, "testdata/full.json"))
	files := func(body string) map[string]string {
		return map[string]string{
			"billing/billing.go": pkg,
			"main.go": `package main

import (
	"context"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/readmodel"

	"example.com/compiletest/billing"
)

func main() {
	ctx := context.Background()
	var b *guapocado.Billing
	var rm *readmodel.ReadModel
	_, _, _ = ctx, b, rm
` + body + `
}
`,
		}
	}
	good := `
	_, _ = billing.FeatureAdvancedAnalytics.Has(ctx, b)
	_, _, _ = billing.FeatureCSVExport.HasFor(ctx, rm, "cus_1")
	_, _ = billing.MeterAPICalls.Consume(ctx, b, 1)
	_, _ = billing.MeterAPICalls.Refund(ctx, b, 1)
	_, _ = billing.MeterAICredits.Balance(ctx, b)
	_, _ = billing.MeterAICredits.ConsumeFor(ctx, rm, "cus_1", 1)
	_, _ = billing.LimitSeats.Get(ctx, b)
	_, _ = billing.LimitProjects.Configure(ctx, b, guapocado.LimitSettings{})
	_, _ = billing.PlanPro.ChangeTo(ctx, b)
	_, _ = billing.PlanPro.Checkout(ctx, b, "https://app.example/ok", "https://app.example/cancel")
	_, _ = billing.PackCreditsPack.Checkout(ctx, b, "https://app.example/ok", "https://app.example/cancel")
	_ = billing.CustomTierEnterprise.Contact()
	_ = len(billing.Meters()) + len(billing.Features()) + len(billing.Limits()) + len(billing.Plans()) + len(billing.Packs()) + len(billing.CustomTiers())
	_ = billing.CheckLive(ctx, b)`
	if out, err := compiletest.Build(t, files(good), "build", "./..."); err != nil {
		t.Fatalf("the right calls do not build: %v\n%s", err, out)
	}
	if out, err := compiletest.Build(t, files(good), "vet", "./..."); err != nil {
		t.Fatalf("go vet of the generated package: %v\n%s", err, out)
	}
	out, err := compiletest.Build(t, files(`
	_, _ = billing.FeatureAdvancedAnalytics.Consume(ctx, b, 1)
	_, _ = billing.MeterAPICalls.Has(ctx, b)
	_, _ = billing.LimitSeats.Consume(ctx, b, 1)
	_, _ = billing.PackCreditsPack.ChangeTo(ctx, b)
	_, _ = billing.CustomTierEnterprise.Checkout(ctx, b, "", "")
	var m billing.Meter = billing.FeatureCSVExport
	_ = m`), "build", "./...")
	if err == nil {
		t.Fatal("the misuse program built")
	}
	for _, want := range []string{
		"billing.FeatureAdvancedAnalytics.Consume undefined (type billing.Feature has no field or method Consume)",
		"billing.MeterAPICalls.Has undefined (type billing.Meter has no field or method Has)",
		"billing.LimitSeats.Consume undefined (type billing.Limit has no field or method Consume)",
		"billing.PackCreditsPack.ChangeTo undefined (type billing.Pack has no field or method ChangeTo)",
		"billing.CustomTierEnterprise.Checkout undefined (type billing.CustomTier has no field or method Checkout)",
		"cannot use billing.FeatureCSVExport (constant \"csv-export\" of string type billing.Feature) as billing.Meter value",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the build output lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("build output:\n%s", out)
	}
}
