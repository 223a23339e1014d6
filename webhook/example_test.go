package webhook_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/guapocado/guapocado-go/webhook"
)

// A webhook receiver: mount the handler (for example at
// mux.Handle("POST /webhooks/guapocado", h)) and register a callback per
// event type. Here a delivery signed with webhook.Sign is sent to it twice:
// the redelivery is acknowledged without running the callback again.
func ExampleNewHandler() {
	const secret = "whsec_example_only" // in production: from your secret store

	h, err := webhook.NewHandler(secret)
	if err != nil {
		log.Fatal(err) // webhook.ErrNoSecret: the secret is not configured
	}
	h.OnSubscriptionUpdated(func(ctx context.Context, e *webhook.Event, d *webhook.SubscriptionUpdated) error {
		s := d.Subscription
		fmt.Printf("%s: %s is %s on %s\n", e.ID, s.CustomerID, s.Status, s.PlanKey)
		return nil // an error answers 500, so Guapocado retries
	})
	h.OnAny(func(ctx context.Context, e *webhook.Event) error {
		fmt.Println("other event:", e.Type)
		return nil
	})

	payload := []byte(`{"id":"evt_123","type":"subscription.updated","createdAt":"2026-11-27T09:57:00.000Z",` +
		`"source":{"provider":"guapocado"},` +
		`"data":{"subscription":{"id":"sub_1","customerId":"org_acme","planKey":"pro","status":"active"}}}`)
	for range 2 {
		req := httptest.NewRequest(http.MethodPost, "/webhooks/guapocado", strings.NewReader(string(payload)))
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, time.Now(), payload))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		fmt.Println(rec.Code, rec.Body.String())
	}
	// Output:
	// evt_123: org_acme is active on pro
	// 200 {"received":true}
	// 200 {"received":true}
}

// The platform sends a customer's metadata as a JSON string; the typed
// callback sees it decoded.
func ExampleHandler_OnCustomerUpdated() {
	const secret = "whsec_example_only"
	h, err := webhook.NewHandler(secret)
	if err != nil {
		log.Fatal(err)
	}
	h.OnCustomerUpdated(func(ctx context.Context, e *webhook.Event, d *webhook.CustomerUpdated) error {
		fmt.Println(d.Customer.ID, "plan:", d.Customer.Metadata["plan"])
		return nil
	})
	payload := []byte(`{"id":"evt_789","type":"customer.updated",` +
		`"data":{"customer":{"id":"org_acme","metadata":"{\"plan\":\"pro\"}"}}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/guapocado", strings.NewReader(string(payload)))
	req.Header.Set(webhook.SignatureHeader, webhook.Sign(secret, time.Now(), payload))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	fmt.Println(rec.Code)
	// Output:
	// org_acme plan: pro
	// 200
}

// Verifying and parsing by hand, for frameworks that are not net/http:
// pass the raw body exactly as received.
func ExampleConstructEvent() {
	const secret = "whsec_example_only"
	now := time.Now()
	body := []byte(`{"id":"evt_456","type":"usage.updated",` +
		`"data":{"customerId":"org_acme","key":"api-calls","balance":98,"included":100,"consumed":2}}`)
	header := webhook.Sign(secret, now, body) // what Guapocado sends in webhook.SignatureHeader

	ev, err := webhook.ConstructEvent(body, header, secret)
	if err != nil {
		fmt.Println("rejected:", err)
		return
	}
	if ev.Type == webhook.EventUsageUpdated {
		u, err := ev.UsageUpdated()
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(ev.Type, u.Key, u.Balance)
	}

	_, err = webhook.ConstructEvent(body, header, "whsec_some_other_secret")
	fmt.Println(err)
	// Output:
	// usage.updated api-calls 98
	// guapocado: webhook signature does not match
}
