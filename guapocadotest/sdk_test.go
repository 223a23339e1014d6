package guapocadotest_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// sdkCall is one SDK action, as the rows of transcripts sections 4 and 5 see it.
type sdkCall struct {
	name string
	call func(ctx context.Context, c *guapocado.Client, key string) error
}

func sdkCalls() []sdkCall {
	return []sdkCall{
		{"has", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Has(ctx, key)
			return err
		}},
		{"limit", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Limit(ctx, key)
			return err
		}},
		{"limit/settings", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Limits.Configure(ctx, key, guapocado.LimitSettings{AutoExpansionEnabled: guapocado.Ptr(false)})
			return err
		}},
		{"usage/balance", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Usage.Balance(ctx, key)
			return err
		}},
		{"usage/consume", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Usage.Consume(ctx, key, 1)
			return err
		}},
		{"usage/refund", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Usage.Refund(ctx, key, 1)
			return err
		}},
		{"usage/settings", func(ctx context.Context, c *guapocado.Client, key string) error {
			_, err := c.Usage.Configure(ctx, key, guapocado.UsageSettings{OverageEnabled: false})
			return err
		}},
	}
}

// keyFor is a key each endpoint accepts in the default catalogue.
func keyFor(name string) string {
	switch name {
	case "has":
		return "csv-export"
	case "limit", "limit/settings":
		return "seats"
	}
	return "api-calls"
}

// TestSDKAgainstContractRows drives the fake through the SDK with the rows of
// the contract's validation and Origin matrices that reach a server through a
// correct client, and checks the status, code and message the SDK reports.
func TestSDKAgainstContractRows(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close) // after the parallel subtests
	ctx := context.Background()
	for _, sc := range sdkCalls() {
		t.Run(sc.name, func(t *testing.T) {
			t.Parallel()
			sess, err := srv.NewSession()
			if err != nil {
				t.Fatal(err)
			}
			cookie, _ := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithRetry(0, 0, 0))
			bearer, _ := guapocado.NewClient(srv.URL, guapocado.WithBearerToken(sess.Token), guapocado.WithRetry(0, 0, 0))
			anon, _ := guapocado.NewClient(srv.URL, guapocado.WithRetry(0, 0, 0))
			badToken, _ := guapocado.NewClient(srv.URL, guapocado.WithSessionToken("garbage.c2lnbmF0dXJl"), guapocado.WithRetry(0, 0, 0))
			badOrigin, _ := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithOrigin("http://localhost:4000"), guapocado.WithRetry(0, 0, 0))

			rows := []struct {
				row    string
				c      *guapocado.Client
				key    string
				want   error
				status int
				code   string
				msg    string
			}{
				{"valid, cookie (Origin = baseURL)", cookie, keyFor(sc.name), nil, 200, "", ""},
				{"valid, bearer, no Origin", bearer, keyFor(sc.name), nil, 200, "", ""},
				{"no session", anon, keyFor(sc.name), guapocado.ErrUnauthorized, 401, "UNAUTHORIZED", "Unauthorized"},
				{"invalid cookie token", badToken, keyFor(sc.name), guapocado.ErrUnauthorized, 401, "UNAUTHORIZED", "Unauthorized"},
				{"cookie, Origin http://localhost:4000", badOrigin, keyFor(sc.name), guapocado.ErrOriginRejected, 403, "INVALID_ORIGIN", "Invalid origin"},
				{"unknown key", cookie, "no-such-key", guapocado.ErrNotFound, 404, "", "Unknown entitlement: no-such-key"},
			}
			for _, r := range rows {
				err := sc.call(ctx, r.c, r.key)
				if r.want == nil {
					if err != nil {
						t.Errorf("%s: %v", r.row, err)
					}
					continue
				}
				var ae *guapocado.Error
				if !errors.Is(err, r.want) || !errors.As(err, &ae) {
					t.Errorf("%s: got %v, want %v", r.row, err, r.want)
					continue
				}
				if ae.StatusCode != r.status || ae.Code != r.code || ae.Message != r.msg {
					t.Errorf("%s: got %d %q %q, want %d %q %q", r.row, ae.StatusCode, ae.Code, ae.Message, r.status, r.code, r.msg)
				}
			}
		})
	}
}

// TestSDKNoActiveOrganization: signed in without an active organization,
// every action is ErrNoCustomer and Customer.ID is nil; after activation it works.
func TestSDKNoActiveOrganization(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	ctx := context.Background()
	sess, err := srv.SignUp("noorg@example.test", "password1234", "No Org")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token))
	for _, sc := range sdkCalls() {
		if err := sc.call(ctx, c, keyFor(sc.name)); !errors.Is(err, guapocado.ErrNoCustomer) {
			t.Errorf("%s: got %v, want ErrNoCustomer", sc.name, err)
		}
	}
	if ref, err := c.Customer.ID(ctx); ref != nil || err != nil {
		t.Errorf("Customer.ID = %v, %v", ref, err)
	}
	org, err := c.Auth.CreateOrganization(ctx, "Late", "late")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := c.Customer.ID(ctx)
	if err != nil || ref == nil || ref.CustomerID != org.ID {
		t.Fatalf("after activation Customer.ID = %+v, %v", ref, err)
	}
	for _, sc := range sdkCalls() {
		if err := sc.call(ctx, c, keyFor(sc.name)); err != nil {
			t.Errorf("%s after activation: %v", sc.name, err)
		}
	}
}

// TestSDKConcurrentConsumesExact: 50 goroutines × 200 consumes of 1 through
// the SDK against a meter of 1000 with overage off end with consumed ==
// included exactly, and every surplus call is ErrInsufficientBalance.
func TestSDKConcurrentConsumesExact(t *testing.T) {
	t.Parallel()
	plan, err := guapocadotest.PlanFromJSON([]byte(`{"id":"prod_t","key":"team","name":"Team","config":{"pricing":{"mode":"recurring","type":"flat","amount":0,"currency":"usd","frequency":"month"},"entitlements":{"api-calls":{"included":1000}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	srv := guapocadotest.NewServer(guapocadotest.WithPlans(plan), guapocadotest.WithDefaultPlan("team"))
	defer srv.Close()
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithBearerToken(sess.Token))
	if err != nil {
		t.Fatal(err)
	}
	var okCalls, insufficient, other atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				_, err := c.Usage.Consume(context.Background(), "api-calls", 1)
				switch {
				case err == nil:
					okCalls.Add(1)
				case errors.Is(err, guapocado.ErrInsufficientBalance):
					insufficient.Add(1)
				default:
					other.Add(1)
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	u, err := c.Usage.Balance(context.Background(), "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if u.Consumed != 1000 || u.Included != 1000 || u.Balance != 0 || u.Overage != 0 || okCalls.Load() != 1000 || insufficient.Load() != 9000 || other.Load() != 0 {
		t.Errorf("consumed %d of %d (overage %d); %d ok, %d insufficient, %d other", u.Consumed, u.Included, u.Overage, okCalls.Load(), insufficient.Load(), other.Load())
	}
	if n := len(srv.Ops()); n != 1000 {
		t.Errorf("%d ledger ops, want 1000", n)
	}
}

// TestSDKWebhookStatus: Webhook.Status against the fake, with and without a
// receiver secret.
func TestSDKWebhookStatus(t *testing.T) {
	t.Parallel()
	for _, secret := range []string{"", "whsec_test"} {
		var opts []guapocadotest.Option
		if secret != "" {
			opts = append(opts, guapocadotest.WithWebhookSecret(secret))
		}
		srv := guapocadotest.NewServer(opts...)
		c, _ := guapocado.NewClient(srv.URL)
		st, err := c.Webhook.Status(context.Background())
		srv.Close()
		if err != nil {
			t.Fatal(err)
		}
		if st.Enabled != (secret != "") || (st.Enabled && (!st.AllEvents || st.URL != srv.URL+"/api/auth/guap" || st.ID == "")) {
			t.Errorf("secret %q: %+v", secret, st)
		}
	}
}
