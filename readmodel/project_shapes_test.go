package readmodel_test

import (
	"context"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// TestUsageUpdatedShapes: usage.updated is projected in the flat shape and
// in the platform SDK's nested one ({customerId, key, balance:{…}}); a
// balance of 0 is stored as 0; an event without a balance drops the stored
// one (the next read asks the server) instead of storing a guess.
func TestUsageUpdatedShapes(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		data map[string]any
		want guapocado.Usage
	}{
		{"flat", map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": 30, "included": 100, "consumed": 70},
			guapocado.Usage{CustomerID: "cus_1", Key: "api-calls", Balance: 30, Included: 100, Consumed: 70}},
		{"flat zero", map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": 0, "included": 100, "consumed": 100},
			guapocado.Usage{CustomerID: "cus_1", Key: "api-calls", Balance: 0, Included: 100, Consumed: 100}},
		{"nested", map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": map[string]any{
			"balance": 12, "included": 100, "consumed": 88, "overage": 0, "overageAllowed": true, "overageEnabled": false, "resets": nil}},
			guapocado.Usage{CustomerID: "cus_1", Key: "api-calls", Balance: 12, Included: 100, Consumed: 88, OverageAllowed: true}},
		{"nested zero", map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": map[string]any{
			"balance": 0, "included": 100, "consumed": 103, "overage": 3, "overageAllowed": true, "overageEnabled": true}},
			guapocado.Usage{CustomerID: "cus_1", Key: "api-calls", Balance: 0, Included: 100, Consumed: 103, Overage: 3, OverageAllowed: true, OverageEnabled: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rm, _, srv := platformModel(t)
			project(t, rm, event(t, "evt_"+tc.name, webhook.EventUsageUpdated, time.Now(), tc.data))
			before := len(srv.Requests())
			u, m, err := rm.Balance(ctx, "cus_1", "api-calls")
			if err != nil {
				t.Fatal(err)
			}
			if !m.Local || len(srv.Requests()) != before || *u != tc.want {
				t.Fatalf("Balance = %+v (local %v); want %+v from the store", *u, m.Local, tc.want)
			}
		})
	}

	t.Run("no balance", func(t *testing.T) {
		rm, _, _ := platformModel(t)
		project(t, rm, event(t, "evt_1", webhook.EventUsageUpdated, time.Now().Add(-time.Second),
			map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": 55}))
		project(t, rm, event(t, "evt_2", webhook.EventUsageUpdated, time.Now(),
			map[string]any{"customerId": "cus_1", "key": "api-calls"}))
		u, m, err := rm.Balance(ctx, "cus_1", "api-calls")
		if err != nil {
			t.Fatal(err)
		}
		if m.Local || u.Balance != 100 {
			t.Fatalf("Balance = %d (local %v); want the server's 100 after an event without a balance", u.Balance, m.Local)
		}
	})
}

// TestUsageUpdatedNestedThroughTheHandler: a signed delivery of the nested
// shape is answered 200 (a 400 would make the platform redeliver it for
// ever) and projected.
func TestUsageUpdatedNestedThroughTheHandler(t *testing.T) {
	const secret = "whsec_nested"
	rm, _, _ := platformModel(t)
	h, err := rm.WebhookHandler(secret, readmodel.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	code := deliver(t, h, secret, "evt_nested", "usage.updated", time.Now(),
		map[string]any{"customerId": "cus_9", "key": "api-calls", "balance": map[string]any{"balance": 0, "included": 10, "consumed": 10}})
	if code != 200 {
		t.Fatalf("nested usage.updated answered %d, want 200", code)
	}
	u, m, err := rm.Balance(context.Background(), "cus_9", "api-calls")
	if err != nil || !m.Local || u.Balance != 0 || u.Consumed != 10 {
		t.Fatalf("Balance = %+v, %+v, %v; want balance 0, consumed 10 from the store", u, m, err)
	}
}

// TestCustomerMetadataKeptRaw: customer metadata that is not a JSON object
// (the platform sends metadata as a JSON string) is kept as sent, in the
// stored customer that the read model serves and reports.
func TestCustomerMetadataKeptRaw(t *testing.T) {
	ctx := context.Background()
	var changed *guapocado.Customer
	rm, _, srv := platformModel(t, readmodel.WithOnChange(func(c readmodel.Change) {
		if c.Kind == readmodel.KindCustomer {
			changed, _ = c.Value.(*guapocado.Customer)
		}
	}))
	project(t, rm, event(t, "evt_c1", webhook.EventCustomerUpdated, time.Now().Add(-time.Second),
		map[string]any{"customer": map[string]any{"id": "cus_1", "name": "Ada", "metadata": "not json"}}))
	if changed == nil || changed.MetadataRaw != "not json" || changed.Metadata != nil {
		t.Fatalf("OnChange customer = %+v; want MetadataRaw %q", changed, "not json")
	}
	before := len(srv.Requests())
	no := false
	snap, m, err := rm.Snapshot(ctx, "cus_1", &guapocado.SnapshotParams{IncludePlans: &no, IncludeSubscription: &no})
	if err != nil {
		t.Fatal(err)
	}
	if !m.Local || len(srv.Requests()) != before {
		t.Fatalf("Snapshot was not served from the store")
	}
	if snap.Customer == nil || snap.Customer.MetadataRaw != "not json" || snap.Customer.Name != "Ada" {
		t.Fatalf("Snapshot customer = %+v; want MetadataRaw %q", snap.Customer, "not json")
	}

	// An object inside the string is still decoded.
	project(t, rm, event(t, "evt_c2", webhook.EventCustomerUpdated, time.Now(),
		map[string]any{"customer": map[string]any{"id": "cus_1", "metadata": `{"plan":"pro"}`}}))
	snap, _, err = rm.Snapshot(ctx, "cus_1", &guapocado.SnapshotParams{IncludePlans: &no, IncludeSubscription: &no})
	if err != nil || snap.Customer.Metadata["plan"] != "pro" || snap.Customer.MetadataRaw != "" {
		t.Fatalf("Snapshot customer = %+v, %v; want Metadata plan=pro", snap.Customer, err)
	}
}
