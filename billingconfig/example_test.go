package billingconfig_test

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"

	"github.com/guapocado/guapocado-go/billingconfig"
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
