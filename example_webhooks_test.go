package guapocado_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// A webhook receiver: mount the handler (for example at
// mux.Handle("POST /webhooks/guapocado", h)) and register a callback per
// event type. Here a delivery signed by guapocadotest is sent to it
// twice: the redelivery is acknowledged without running the callback again.
func ExampleNewWebhookHandler() {
	const secret = "whsec_example_only" // in production: from your secret store

	h := guapocado.NewWebhookHandler(secret)
	h.OnSubscriptionUpdated(func(ctx context.Context, e *guapocado.Event, d *guapocado.SubscriptionUpdated) error {
		s := d.Subscription
		fmt.Printf("%s: %s is %s on %s\n", e.ID, s.CustomerID, s.Status, s.PlanKey)
		return nil // an error answers 500, so Guapocado retries
	})
	h.OnAny(func(ctx context.Context, e *guapocado.Event) error {
		fmt.Println("other event:", e.Type)
		return nil
	})

	now := time.Now()
	payload := guapocadotest.WebhookPayload("evt_123", guapocado.EventSubscriptionUpdated, now, map[string]any{
		"subscription": map[string]any{"id": "sub_1", "customerId": "org_acme", "planKey": "pro", "status": "active"},
	})
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/guapocado", strings.NewReader(string(payload)))
		req.Header.Set(guapocado.WebhookSignatureHeader, guapocadotest.SignWebhook(secret, now, payload))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// evt_123: org_acme is active on pro
	// 200 {"received":true}
	// 200 {"received":true}
}

// Verifying and parsing by hand, for frameworks that are not net/http:
// pass the raw body exactly as received.
func ExampleConstructEvent() {
	const secret = "whsec_example_only"
	now := time.Now()
	body := guapocadotest.WebhookPayload("evt_456", guapocado.EventUsageUpdated, now, map[string]any{
		"customerId": "org_acme", "key": "api-calls", "balance": 98, "included": 100, "consumed": 2,
	})
	header := guapocadotest.SignWebhook(secret, now, body)

	ev, err := guapocado.ConstructEvent(body, header, secret)
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	u, err := ev.UsageUpdated()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ev.Type, u.Key, u.Balance)

	_, err = guapocado.ConstructEvent(body, header, "whsec_some_other_secret")
	fmt.Println(err)
	// Output:
	// usage.updated api-calls 98
	// guapocado: webhook signature does not match
}
