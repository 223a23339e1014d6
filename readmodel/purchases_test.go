package readmodel_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

// TestPurchasesServedLocally: the first Purchases of a customer loads the
// whole list from the platform; the next ones are served from the store,
// with what the purchase webhooks bring (a new purchase, a refund), until
// MaxAge, when the list is loaded again.
func TestPurchasesServedLocally(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{t: time.Now()}
	rm, api, srv := platformModel(t, readmodel.WithClock(clock.now), readmodel.WithKindMaxAge(readmodel.KindPurchase, time.Hour))
	for range 3 {
		if _, err := srv.AddPurchase("cus_p", "credits-pack"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := srv.AddPurchase("cus_other", "credits-pack"); err != nil {
		t.Fatal(err)
	}
	asJSON := func(v any) string { b, _ := json.Marshal(v); return string(b) }

	got, m, err := rm.Purchases(ctx, "cus_p")
	if err != nil {
		t.Fatal(err)
	}
	want, err := api.Purchases.List(ctx, guapocado.ForCustomer("cus_p"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Local || len(got) != 3 || asJSON(got) != asJSON(want) {
		t.Fatalf("first Purchases = %s (local %v), want the server's %s", asJSON(got), m.Local, asJSON(want))
	}

	before := len(srv.Requests())
	again, m, err := rm.Purchases(ctx, "cus_p")
	if err != nil || !m.Local || len(srv.Requests()) != before || asJSON(again) != asJSON(want) {
		t.Fatalf("second Purchases = %s, %+v, %v (%d requests); want the same list from the store", asJSON(again), m, err, len(srv.Requests())-before)
	}

	// A new purchase and a refund arrive by webhook.
	completed := clock.now().Add(time.Second)
	project(t, rm, event(t, "evt_new", webhook.EventPurchaseCompleted, clock.now(), map[string]any{
		"purchase": map[string]any{"id": "pur_zz", "customerId": "cus_p", "productKey": "credits-pack", "status": "completed",
			"amount": 500, "currency": "usd", "quantity": 1, "completedAt": completed},
		"grants": []any{}}))
	refunded := want[1]
	refunded.Status = "refunded"
	project(t, rm, event(t, "evt_refund", webhook.EventPurchaseUpdated, clock.now(), map[string]any{"purchase": refunded}))
	local, m, err := rm.Purchases(ctx, "cus_p")
	if err != nil || !m.Local || len(local) != 4 {
		t.Fatalf("Purchases after the webhooks = %s, %+v, %v; want 4 from the store", asJSON(local), m, err)
	}
	if local[0].ID != "pur_zz" || local[2].ID != refunded.ID || local[2].Status != "refunded" {
		t.Fatalf("Purchases after the webhooks = %s; want pur_zz first and %s refunded", asJSON(local), refunded.ID)
	}

	clock.add(time.Hour + time.Second)
	if _, m, err = rm.Purchases(ctx, "cus_p"); err != nil || m.Local {
		t.Fatalf("Purchases past MaxAge: local %v, %v; want the server's list", m.Local, err)
	}

	// Another customer's purchases are not mixed in.
	other, _, err := rm.Purchases(ctx, "cus_other")
	if err != nil || len(other) != 1 || other[0].CustomerID != "cus_other" {
		t.Fatalf("Purchases of cus_other = %s, %v", asJSON(other), err)
	}
}

// TestPurchasesOnASessionClient: a session client cannot list purchases;
// Purchases says so with ErrPurchasesPlatformOnly.
func TestPurchasesOnASessionClient(t *testing.T) {
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close)
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithBearerToken(sess.Token))
	if err != nil {
		t.Fatal(err)
	}
	rm, err := readmodel.New(&c.Billing)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := rm.Purchases(context.Background(), sess.CustomerID); !errors.Is(err, readmodel.ErrPurchasesPlatformOnly) {
		t.Fatalf("Purchases on a session client = %v, want ErrPurchasesPlatformOnly", err)
	}
}
