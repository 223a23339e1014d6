package billingconfig_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/billingconfig"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// A config is validated as a whole: every problem is reported with its
// place in the file.
func ExampleParse() {
	_, err := billingconfig.Parse([]byte(`{
		"version": 1,
		"entitlements": {"api-calls": {"type": "meter", "reset": "monthly"}, "sso": {"type": "flag"}},
		"products": [{"key": "pro", "entitlements": {"api-calls": true, "seats": {"included": 5}}}]
	}`))
	var ve *billingconfig.ValidationError
	if errors.As(err, &ve) {
		for _, p := range ve.Problems {
			fmt.Println(p)
		}
	}
	// Output:
	// entitlements.sso.type: unknown type "flag" (want feature, meter or limit)
	// products[0].entitlements.api-calls: api-calls is a meter: its value is an object {"included": n}, found a boolean
	// products[0].entitlements.seats: no entitlement "seats" is defined (define it under entitlements)
}

// GenerateGo writes the package that `guapocado generate go` writes: here
// its constants for the upstream example app's catalogue.
func ExampleGenerateGo() {
	cfg, err := billingconfig.Load("testdata/better-auth-app.json")
	if err != nil {
		panic(err)
	}
	code, err := billingconfig.GenerateGo(cfg, billingconfig.GoOptions{Package: "billing", Command: "guapocado generate go -config billing.json -pkg billing"})
	if err != nil {
		panic(err)
	}
	sc := bufio.NewScanner(bytes.NewReader(code))
	for sc.Scan() {
		if line := sc.Text(); bytes.Contains([]byte(line), []byte(" = \"")) {
			fmt.Println(line)
		}
	}
	// Output:
	// 	FeatureAdvancedAnalytics Feature = "advanced-analytics"
	// 	MeterAPICalls Meter = "api-calls"
	// 	LimitSeats Limit = "seats"
	// 	PlanFree Plan = "free"
	// 	PlanPro Plan = "pro"
}

// CheckLive is the drift check: the keys of a config (or of a generated
// package, through its Catalogue function) against the catalogue an app or
// the platform serves.
func ExampleCheckLive() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}
	cfg, err := billingconfig.Load("testdata/better-auth-app.json")
	if err != nil {
		panic(err)
	}
	err = billingconfig.CheckLive(context.Background(), &api.Billing, cfg.Keys())
	var drift *billingconfig.DriftError
	if errors.As(err, &drift) {
		for _, d := range drift.Differences {
			fmt.Println(d)
		}
	}
	// Output:
	// entitlement "ai-credits" (meter or limit) is live but missing from the catalogue
	// entitlement "csv-export" (feature) is live but missing from the catalogue
	// entitlement "projects" (limit) is live but missing from the catalogue
	// product "credits-pack" (one_time) is live but missing from the catalogue
	// product "enterprise" (custom) is live but missing from the catalogue
}
