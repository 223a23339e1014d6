package webhook_test

import (
	"testing"

	"github.com/guapocado/guapocado-go/webhook"
)

// TestUsageUpdatedNestedBalance: the platform SDK's usage.updated carries
// the meter's balance object under "balance"; it decodes into the same
// fields as the flat shape, and a balance of 0 stays 0.
func TestUsageUpdatedNestedBalance(t *testing.T) {
	for name, data := range map[string]string{
		"nested": `{"customerId":"cus_1","key":"api-calls","balance":{"balance":0,"included":100,"consumed":100,"overage":0,"overageAllowed":true,"overageEnabled":false,"resets":"2026-04-01T00:00:00Z"}}`,
		"flat":   `{"customerId":"cus_1","key":"api-calls","balance":0,"included":100,"consumed":100,"overageAllowed":true,"resets":"2026-04-01T00:00:00Z"}`,
	} {
		ev := &webhook.Event{Type: webhook.EventUsageUpdated, Data: []byte(data)}
		u, err := ev.UsageUpdated()
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if u.CustomerID != "cus_1" || u.Key != "api-calls" || u.Balance != 0 || u.Included != 100 || u.Consumed != 100 ||
			!u.OverageAllowed || u.Resets == nil || u.Resets.Month() != 4 || string(u.Raw) != data {
			t.Errorf("%s: %+v", name, u)
		}
	}
}
