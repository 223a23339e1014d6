package readmodel_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

// TestOnPurchaseFiresForEveryProcessedCompletion: a purchase.updated (a
// refund) delivered before its purchase.completed wins the store's
// last-write-wins race; OnPurchase still fires for the completion, once,
// and not again for a redelivery of it.
func TestOnPurchaseFiresForEveryProcessedCompletion(t *testing.T) {
	var got []string
	rm, _, _ := platformModel(t, readmodel.WithHooks(readmodel.Hooks{
		OnPurchase: func(_ context.Context, ev *readmodel.Event, p *readmodel.PurchaseCompleted) error {
			got = append(got, ev.ID+" "+p.Purchase.ID+" "+p.Purchase.Status)
			return nil
		},
	}))
	purchase := func(status string) map[string]any {
		return map[string]any{"id": "pur_1", "customerId": "cus_1", "productKey": "credits-pack", "status": status,
			"amount": 1900, "currency": "usd", "quantity": 1}
	}
	project(t, rm, event(t, "evt_refund", webhook.EventPurchaseUpdated, t0.Add(time.Minute),
		map[string]any{"purchase": purchase("refunded")}))
	completed := event(t, "evt_done", webhook.EventPurchaseCompleted, t0,
		map[string]any{"purchase": purchase("completed"), "grants": []any{}})
	project(t, rm, completed)
	project(t, rm, completed) // redelivered
	if want := []string{"evt_done pur_1 completed"}; !slices.Equal(got, want) {
		t.Fatalf("OnPurchase fired %q, want %q", got, want)
	}
}

// TestTypedEventHooks: each event type has its typed hook, called with the
// decoded data once per processed event, also when the event lost the
// last-write-wins race; a repeated delivery fires nothing; OnEvent follows
// the typed hook; a failing hook fails Project and the retry fires it again.
func TestTypedEventHooks(t *testing.T) {
	var mu sync.Mutex
	var calls []string
	record := func(s string) { mu.Lock(); calls = append(calls, s); mu.Unlock() }
	failOnce := true
	hooks := readmodel.Hooks{
		OnEvent: func(_ context.Context, ev *readmodel.Event) error { record("event " + ev.ID); return nil },
		OnCustomerUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.CustomerUpdated) error {
			record("customer " + d.Customer.ID + " " + d.Customer.Name)
			return nil
		},
		OnSubscriptionUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.SubscriptionUpdated) error {
			record("subscription " + d.Subscription.CustomerID + " " + d.Subscription.Status)
			return nil
		},
		OnPurchaseCompleted: func(_ context.Context, ev *readmodel.Event, d *readmodel.PurchaseCompleted) error {
			record(fmt.Sprintf("completed %s grants %d", d.Purchase.ID, len(d.Grants)))
			return nil
		},
		OnPurchaseUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.PurchaseUpdated) error {
			record("purchase " + d.Purchase.ID + " " + d.Purchase.Status)
			return nil
		},
		OnEntitlementsUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.EntitlementsUpdated) error {
			record("entitlements " + d.CustomerID + " " + d.Reason)
			return nil
		},
		OnInvoiceUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.InvoiceUpdated) error {
			if failOnce {
				failOnce = false
				return errors.New("mail server down")
			}
			record(fmt.Sprintf("invoice %s %d", d.Invoice.ID, d.Invoice.AmountPaid))
			return nil
		},
		OnUsageUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.UsageUpdated) error {
			record(fmt.Sprintf("usage %s %s %g", d.CustomerID, d.Key, d.Balance))
			return nil
		},
		OnCancel: func(context.Context, *readmodel.Event, *guapocado.Subscription, *guapocado.Subscription) error {
			record("cancel")
			return nil
		},
	}
	rm, _, _ := platformModel(t, readmodel.WithHooks(hooks))
	ctx := context.Background()
	sub := func(status string) map[string]any {
		return map[string]any{"subscription": map[string]any{"id": "sub_1", "customerId": "cus_1", "planKey": "pro", "status": status}}
	}
	project(t, rm, event(t, "e1", webhook.EventCustomerUpdated, t0, map[string]any{"customer": map[string]any{"id": "cus_1", "name": "Ada"}}))
	project(t, rm, event(t, "e2", webhook.EventSubscriptionUpdated, t0.Add(time.Hour), sub("active")))
	project(t, rm, event(t, "e3", webhook.EventSubscriptionUpdated, t0, sub("canceled"))) // older: loses the race
	project(t, rm, event(t, "e4", webhook.EventPurchaseCompleted, t0, map[string]any{
		"purchase": map[string]any{"id": "pur_1", "customerId": "cus_1", "status": "completed"},
		"grants":   []any{map[string]any{"entitlementKey": "api-calls", "grantType": "meter_credit", "amount": 1000}}}))
	project(t, rm, event(t, "e5", webhook.EventPurchaseUpdated, t0, map[string]any{
		"purchase": map[string]any{"id": "pur_1", "customerId": "cus_1", "status": "refunded"}}))
	project(t, rm, event(t, "e6", webhook.EventEntitlementsUpdated, t0, map[string]any{"customerId": "cus_1", "reason": "purchase.completed"}))
	invoice := event(t, "e7", webhook.EventInvoiceUpdated, t0, map[string]any{
		"invoice": map[string]any{"id": "inv_1", "customerId": "cus_1", "status": "paid", "amountPaid": 4900}})
	if err := rm.Project(ctx, invoice); err == nil {
		t.Fatal("Project with a failing hook returned nil")
	}
	project(t, rm, invoice) // the sender's retry
	project(t, rm, event(t, "e8", webhook.EventUsageUpdated, t0, map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": map[string]any{"balance": 0}}))
	project(t, rm, event(t, "e1", webhook.EventCustomerUpdated, t0, map[string]any{"customer": map[string]any{"id": "cus_1", "name": "Ada"}})) // repeated
	project(t, rm, event(t, "e9", "something.new", t0, map[string]any{"x": 1}))

	want := []string{
		"customer cus_1 Ada", "event e1",
		"subscription cus_1 active", "event e2",
		"subscription cus_1 canceled", "event e3", // no "cancel": the write lost
		"completed pur_1 grants 1", "event e4",
		"purchase pur_1 refunded", "event e5",
		"entitlements cus_1 purchase.completed", "event e6",
		"invoice inv_1 4900", "event e7",
		"usage cus_1 api-calls 0", "event e8",
		"event e9",
	}
	if !slices.Equal(calls, want) {
		t.Fatalf("hooks fired\n %q\nwant\n %q", calls, want)
	}
}
