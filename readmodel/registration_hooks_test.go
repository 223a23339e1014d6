package readmodel_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// TestRegistrationWithHooks: WithRegistration and WithHooks given together,
// in either order, both take effect: the registered handler verifies a
// delivery with the stored secret and the hook fires for it.
func TestRegistrationWithHooks(t *testing.T) {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	reg := readmodel.Registration{URL: "http://127.0.0.1:1" + webhookPath}
	for name, hooksFirst := range map[string]bool{"hooks first": true, "registration first": false} {
		t.Run(name, func(t *testing.T) {
			var fired []string
			hooks := readmodel.WithHooks(readmodel.Hooks{OnCustomerUpdated: func(_ context.Context, ev *readmodel.Event, d *readmodel.CustomerUpdated) error {
				fired = append(fired, ev.ID)
				return nil
			}})
			registration := readmodel.WithRegistration(api.WebhookEndpoints, reg)
			opts := []readmodel.Option{registration, hooks}
			if hooksFirst {
				opts = []readmodel.Option{hooks, registration}
			}
			store := readmodel.NewMemoryStore()
			rm, err := readmodel.New(&api.Billing, append(opts, readmodel.WithStore(store))...)
			if err != nil {
				t.Fatal(err)
			}
			h, err := rm.RegisteredWebhookHandler()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := rm.Register(context.Background()); err != nil {
				t.Fatal(err)
			}
			secret := storedSecret(t, store, "readmodel:"+webhookPath)
			if code := deliver(t, h, secret, "evt_both", "customer.updated", time.Now(),
				map[string]any{"customer": map[string]any{"id": "cus_h", "name": "Ada"}}); code != http.StatusOK {
				t.Fatalf("delivery answered %d", code)
			}
			if len(fired) != 1 || fired[0] != "evt_both" {
				t.Fatalf("OnCustomerUpdated fired for %v; want [evt_both]", fired)
			}
		})
	}
}
