package livecheck_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/billingconfig"
	"github.com/guapocado/guapocado-go/billingconfig/livecheck"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

func liveClient(t *testing.T) *guapocado.APIClient {
	t.Helper()
	srv := guapocadotest.New(t)
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// testdata/full.json is the fake's default catalogue written as a billing
// config: checked against the fake, the keys agree.
func TestCheckLiveAgrees(t *testing.T) {
	cfg, err := billingconfig.Load("../testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := livecheck.Check(context.Background(), &liveClient(t).Billing, cfg.Keys()); err != nil {
		t.Fatal(err)
	}
}

// Every key missing on either side and every key of another kind is named.
func TestCheckLiveNamesEveryDifference(t *testing.T) {
	cfg, err := billingconfig.Parse([]byte(`{"version":1,
		"entitlements":{
			"advanced-analytics":{"type":"meter"},
			"api-calls":{"type":"meter"},
			"seats":{"type":"feature"},
			"typo-calls":{"type":"meter"}},
		"products":[
			{"key":"free","entitlements":{}},
			{"key":"pro","pricing":{"mode":"one_time","type":"flat","amount":1,"currency":"usd"},"entitlements":{}},
			{"key":"team","pricing":{"mode":"recurring","type":"flat","amount":1,"currency":"usd","frequency":"month"},"entitlements":{}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	err = livecheck.Check(context.Background(), &liveClient(t).Billing, cfg.Keys())
	var drift *livecheck.DriftError
	if !errors.As(err, &drift) {
		t.Fatalf("CheckLive = %v, want a *DriftError", err)
	}
	want := []string{
		`entitlement "advanced-analytics" is a meter in the catalogue but a feature live`,
		`entitlement "ai-credits" (meter or limit) is live but missing from the catalogue`,
		`entitlement "csv-export" (feature) is live but missing from the catalogue`,
		`entitlement "projects" (limit) is live but missing from the catalogue`,
		`entitlement "seats" is a feature in the catalogue but a limit live`,
		`entitlement "typo-calls" (meter) is missing from the live catalogue`,
		`product "credits-pack" (one_time) is live but missing from the catalogue`,
		`product "enterprise" (custom) is live but missing from the catalogue`,
		`product "pro" is a one_time in the catalogue but a recurring live`,
		`product "team" (recurring) is missing from the live catalogue`,
	}
	var got []string
	for _, d := range drift.Differences {
		got = append(got, d.String())
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("differences:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
