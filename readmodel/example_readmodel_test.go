package readmodel_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// A CLI with an in-memory read model: the first question about a customer
// goes to Guapocado, the next ones are answered in process, and a consume
// through the read model is seen by the next read without a request.
func ExampleReadModel() {
	ctx := context.Background()
	srv := guapocadotest.NewServer() // stands in for the platform API
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}
	rm, err := readmodel.New(&api.Billing) // a MemoryStore, MaxAge 5 minutes
	if err != nil {
		panic(err)
	}
	cus := rm.For("cus_cli")

	ok, m, _ := cus.Has(ctx, "csv-export")
	fmt.Println("csv-export:", ok, "local:", m.Local)
	ok, m, _ = cus.Has(ctx, "csv-export")
	fmt.Println("csv-export:", ok, "local:", m.Local)

	u, _ := cus.Consume(ctx, "api-calls", 5) // to the server; its answer is stored
	fmt.Println("after consume:", u.Balance)
	u, m, _ = cus.Balance(ctx, "api-calls")
	fmt.Println("balance:", u.Balance, "local:", m.Local)
	// Output:
	// csv-export: true local: false
	// csv-export: true local: true
	// after consume: 95
	// balance: 95 local: true
}

// A service keeps its read model true with Guapocado's webhooks: the
// handler verifies each delivery, drops repeats (through the store, so
// several instances on one PostgreSQL store process an event once) and
// projects it. Here another instance consumes straight through the API;
// the usage.updated event brings the change to this instance's read model.
func ExampleReadModel_WebhookHandler() {
	ctx := context.Background()
	const secret = "whsec_example"
	mux := http.NewServeMux()
	hs := httptest.NewServer(mux) // the service
	defer hs.Close()
	srv := guapocadotest.NewServer(guapocadotest.WithWebhookEndpoint(hs.URL+"/webhooks/guapocado", secret))
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}

	// In production: readmodel.WithStore(sqlStore) on PostgreSQL, shared by
	// every instance, and the secret from APIClient.WebhookEndpoints.Register.
	rm, err := readmodel.New(&api.Billing, readmodel.WithHooks(readmodel.Hooks{
		OnPlanChange: func(_ context.Context, _ *readmodel.Event, sub, previous *guapocado.Subscription) error {
			fmt.Printf("hook: %s moved from %s to %s\n", sub.CustomerID, previous.PlanKey, sub.PlanKey)
			return nil
		},
	}))
	if err != nil {
		panic(err)
	}
	h, err := rm.WebhookHandler(secret, readmodel.Endpoint{})
	if err != nil {
		panic(err)
	}
	mux.Handle("/webhooks/guapocado", h)

	u, _, _ := rm.Balance(ctx, "cus_42", "api-calls") // read through, then stored
	fmt.Println("balance:", u.Balance)

	// Another instance consumes and changes the plan, without this read model.
	if _, err := api.Usage.Consume(ctx, "api-calls", 7, guapocado.ForCustomer("cus_42")); err != nil {
		panic(err)
	}
	if _, err := api.Subscription.Change(ctx, "pro", guapocado.ForCustomer("cus_42")); err != nil {
		panic(err)
	}
	if _, err := api.Subscription.Change(ctx, "free", guapocado.ForCustomer("cus_42")); err != nil {
		panic(err)
	}
	srv.FlushWebhooks() // in a test: wait until the deliveries were made

	u, m, _ := rm.Balance(ctx, "cus_42", "api-calls")
	fmt.Println("balance:", u.Balance, "consumed:", u.Consumed, "local:", m.Local)
	sub, m, _ := rm.Subscription(ctx, "cus_42")
	fmt.Println("plan:", sub.PlanKey, "local:", m.Local)
	// Output:
	// balance: 100
	// hook: cus_42 moved from pro to free
	// balance: 93 consumed: 7 local: false
	// plan: free local: true
}
