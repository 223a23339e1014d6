package guapocado_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// A platform client's consume carries an idempotency key. When its outcome
// is unknown (here the answer is lost and retries are off), repeating the
// call with the key from the error is safe: the platform applies a key at
// most once and answers the repeat with the stored result.
func ExampleAPIClient_idempotencyKeys() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()),
		guapocado.WithCustomerID("org_1"), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		panic(err)
	}

	// The key names the work: a restarted job repeats the same keys.
	srv.InjectFaults(1, guapocadotest.Fault{Path: "/v1/usage/api-calls/consume", Drop: guapocadotest.DropAfterApply})
	_, err = c.Usage.Consume(ctx, "api-calls", 5, guapocado.WithIdempotencyKey("job-42-item-7"))
	var e *guapocado.Error
	if errors.Is(err, guapocado.ErrOutcomeUnknown) && errors.As(err, &e) {
		fmt.Println("outcome unknown; key", e.IdempotencyKey)
		u, err := c.Usage.Consume(ctx, "api-calls", 5, guapocado.WithIdempotencyKey(e.IdempotencyKey))
		if err != nil {
			panic(err)
		}
		fmt.Println("balance after the repeat:", u.Balance)
	}
	fmt.Println("replayed, not applied again:", srv.IdempotentReplays())
	// Output:
	// outcome unknown; key job-42-item-7
	// balance after the repeat: 95
	// replayed, not applied again: 1
}

func ExampleAuditService_All() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		panic(err)
	}
	for _, id := range []string{"cus_a", "cus_b", "cus_c"} {
		if _, err := c.Customer.Create(ctx, &guapocado.CustomerParams{ID: id}); err != nil {
			panic(err)
		}
	}
	// Newest first, one request per page of 2; a break stops the paging.
	for entry, err := range c.Audit.All(ctx, &guapocado.AuditListParams{Action: "customer.upsert", Limit: 2}) {
		if err != nil {
			panic(err)
		}
		fmt.Println(entry.Action, entry.ResourceID)
	}
	// Output:
	// customer.upsert cus_c
	// customer.upsert cus_b
	// customer.upsert cus_a
}

func ExampleAuthService_SignInEmail() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	if _, err := srv.SignUp("alice@example.com", "password1234", "Alice"); err != nil {
		panic(err)
	}

	c, err := guapocado.NewClient(srv.URL) // no session yet
	if err != nil {
		panic(err)
	}
	_, err = c.Auth.SignInEmail(ctx, "alice@example.com", "wrong-password")
	fmt.Println("wrong password:", errors.Is(err, guapocado.ErrUnauthorized))

	user, err := c.Auth.SignInEmail(ctx, "alice@example.com", "password1234")
	if err != nil {
		panic(err)
	}
	fmt.Println("signed in:", user.Email)
	// A new session has no active organization, so no customer yet.
	_, err = c.Usage.Balance(ctx, "api-calls")
	fmt.Println("before an organization:", errors.Is(err, guapocado.ErrNoCustomer))
	if _, err := c.Auth.CreateOrganization(ctx, "Acme", "acme"); err != nil {
		panic(err)
	}
	u, err := c.Usage.Balance(ctx, "api-calls")
	if err != nil {
		panic(err)
	}
	fmt.Println("api-calls balance:", u.Balance)
	// Output:
	// wrong password: true
	// signed in: alice@example.com
	// before an organization: true
	// api-calls balance: 100
}

// A backend handler acts for the session of the request it serves: one
// client for the app, a cheap ForRequest copy per request.
func ExampleClient_ForRequest() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	app, err := guapocado.NewClient(srv.URL) // shared; carries no session itself
	if err != nil {
		panic(err)
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := app.ForRequest(r).Usage.Consume(r.Context(), "api-calls", 1)
		if errors.Is(err, guapocado.ErrUnauthorized) {
			http.Error(w, "sign in first", http.StatusUnauthorized)
			return
		}
		if err != nil {
			http.Error(w, "billing unavailable", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintf(w, "%d calls left", u.Balance)
	})

	sess, err := srv.NewSession()
	if err != nil {
		panic(err)
	}
	r := httptest.NewRequest("POST", "/api/work", nil)
	srv.Authorize(r, sess) // the session cookie, as the browser sends it
	w := httptest.NewRecorder()
	handler.ServeHTTP(w, r)
	fmt.Println(w.Code, w.Body.String())

	w = httptest.NewRecorder()
	handler.ServeHTTP(w, httptest.NewRequest("POST", "/api/work", nil)) // no session
	fmt.Println(w.Code)
	// Output:
	// 200 99 calls left
	// 401
}

func ExampleUsageService_Configure() {
	srv := guapocadotest.NewServer(guapocadotest.WithClock(func() time.Time {
		return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	}))
	defer srv.Close()
	ctx := context.Background()
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_1"))
	if err != nil {
		panic(err)
	}
	if _, err := c.Subscription.Change(ctx, "pro"); err != nil { // pro allows overage on api-calls
		panic(err)
	}
	u, err := c.Usage.Configure(ctx, "api-calls", guapocado.UsageSettings{OverageEnabled: true})
	if err != nil {
		panic(err)
	}
	fmt.Println("overage allowed:", u.OverageAllowed, "enabled:", u.OverageEnabled)
	// Output:
	// overage allowed: true enabled: true
}

func ExampleLimitsService_Configure() {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_1"))
	if err != nil {
		panic(err)
	}
	if _, err := c.Subscription.Change(ctx, "pro"); err != nil { // pro: 10 seats, more can be bought
		panic(err)
	}
	l, err := c.Limits.Configure(ctx, "seats", guapocado.LimitSettings{Purchased: guapocado.Ptr(int64(3))})
	if err != nil {
		panic(err)
	}
	fmt.Printf("seats: %d = %d included + %d purchased\n", l.Limit, l.Included, l.Purchased)

	_, err = c.Limits.Configure(ctx, "seats", guapocado.LimitSettings{Purchased: guapocado.Ptr(int64(-1))})
	fmt.Println(err)
	// Output:
	// seats: 13 = 10 included + 3 purchased
	// guapocado: invalid purchased: must be between 0 and 2^53
}
