//go:build !(js && wasm)

package guapocado_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// countPath counts the fake's requests to path.
func countPath(srv *guapocadotest.Server, path string) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Path == path {
			n++
		}
	}
	return n
}

// TestDoSession: Do sends a plugin route with the session (cookie and
// Origin); a non-idempotent POST answered 503 is not retried and is
// ErrOutcomeUnknown; the same POST marked Idempotent is retried.
func TestDoSession(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithSessionToken(sess.Token), guapocado.WithRetry(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	var got struct {
		User struct {
			Email string `json:"email"`
		} `json:"user"`
	}
	if err := c.Do(ctx, "GET", "/get-session", nil, &got); err != nil {
		t.Fatal(err)
	}
	if got.User.Email != sess.Email {
		t.Fatalf("get-session user %q, want %q", got.User.Email, sess.Email)
	}

	const consume = "/api/auth/guapocado/usage/consume"
	body := map[string]any{"key": "api-calls", "amount": 2}
	var u guapocado.Usage
	if err := c.Do(ctx, "POST", "/guapocado/usage/consume", body, &u); err != nil {
		t.Fatal(err)
	}
	if u.Consumed != 2 {
		t.Fatalf("consumed %d, want 2", u.Consumed)
	}

	srv.InjectFaults(1, guapocadotest.Fault{Path: consume, Status: http.StatusServiceUnavailable})
	before := countPath(srv, consume)
	err = c.Do(ctx, "POST", "/guapocado/usage/consume", body, &u)
	if !errors.Is(err, guapocado.ErrOutcomeUnknown) {
		t.Fatalf("a POST answered 503: %v, want ErrOutcomeUnknown", err)
	}
	if n := countPath(srv, consume) - before; n != 1 {
		t.Fatalf("a non-idempotent POST was sent %d times, want 1", n)
	}

	srv.InjectFaults(1, guapocadotest.Fault{Path: consume, Status: http.StatusServiceUnavailable})
	before = countPath(srv, consume)
	if err := c.Do(ctx, "POST", "/guapocado/usage/consume", body, &u, guapocado.Idempotent()); err != nil {
		t.Fatal(err)
	}
	if n := countPath(srv, consume) - before; n != 2 {
		t.Fatalf("an Idempotent POST after a 503 was sent %d times, want 2", n)
	}
	if bal, _ := srv.Usage(sess.CustomerID, "api-calls"); bal.Consumed != 4 {
		t.Fatalf("ledger consumed %v, want 4 (two applied consumes; the 503s applied nothing)", bal.Consumed)
	}
}

// TestDoPlatform: Do sends a platform route with the key; a keyed consume
// marked Idempotent survives a dropped answer (the platform replays the
// key); without Idempotent the same loss is ErrOutcomeUnknown, sent once.
func TestDoPlatform(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(2, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var plans struct {
		Plans []guapocado.Plan `json:"plans"`
	}
	srv.InjectFaults(1, guapocadotest.Fault{Path: "/v1/plans", Status: http.StatusServiceUnavailable})
	if err := c.Do(ctx, "GET", "/v1/plans", nil, &plans); err != nil {
		t.Fatal(err)
	}
	if len(plans.Plans) == 0 || countPath(srv, "/v1/plans") != 2 {
		t.Fatalf("%d plans after %d requests, want some after 2 (a GET is retried)", len(plans.Plans), countPath(srv, "/v1/plans"))
	}

	const consume = "/v1/usage/api-calls/consume"
	srv.InjectFaults(1, guapocadotest.Fault{Path: consume, Drop: guapocadotest.DropAfterApply})
	var u guapocado.Usage
	body := map[string]any{"customerId": "org_do", "amount": 3, "idempotencyKey": "do-test-1"}
	if err := c.Do(ctx, "POST", consume, body, &u, guapocado.Idempotent()); err != nil {
		t.Fatal(err)
	}
	if u.Consumed != 3 || srv.IdempotentReplays() != 1 {
		t.Fatalf("consumed %d with %d replays, want 3 and 1 (applied once, replayed)", u.Consumed, srv.IdempotentReplays())
	}

	srv.InjectFaults(1, guapocadotest.Fault{Path: consume, Drop: guapocadotest.DropAfterApply})
	before := countPath(srv, consume)
	body["idempotencyKey"] = "do-test-2"
	err = c.Do(ctx, "POST", consume, body, &u)
	if !errors.Is(err, guapocado.ErrOutcomeUnknown) {
		t.Fatalf("a non-idempotent POST whose answer was lost: %v, want ErrOutcomeUnknown", err)
	}
	if n := countPath(srv, consume) - before; n != 1 {
		t.Fatalf("sent %d times, want 1", n)
	}
	if bal, _ := srv.Usage("org_do", "api-calls"); bal.Consumed != 6 {
		t.Fatalf("ledger consumed %v, want 6", bal.Consumed)
	}
}

// TestDoValidation: bad methods, paths and options fail before the network.
func TestDoValidation(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, tc := range []struct {
		name, method, path string
		in                 any
		opts               []guapocado.CallOption
		field              string
	}{
		{"no slash", "GET", "v1/plans", nil, nil, "path"},
		{"host", "GET", "//evil.example/v1/plans", nil, nil, "path"},
		{"url", "GET", "https://evil.example/v1/plans", nil, nil, "path"},
		{"dotdot", "GET", "/v1/../admin", nil, nil, "path"},
		{"escaped dotdot", "GET", "/v1/%2e%2e/admin", nil, nil, "path"},
		{"fragment", "GET", "/v1/plans#x", nil, nil, "path"},
		{"space", "GET", "/v1/pl ans", nil, nil, "path"},
		{"backslash", "GET", "/\\evil.example", nil, nil, "path"},
		{"method", "TRACE", "/v1/plans", nil, nil, "method"},
		{"GET body", "GET", "/v1/plans", map[string]any{}, nil, "in"},
		{"customer", "GET", "/v1/plans", nil, []guapocado.CallOption{guapocado.ForCustomer("org_1")}, "customerId"},
		{"key", "POST", "/v1/plans", nil, []guapocado.CallOption{guapocado.WithIdempotencyKey("k")}, "idempotencyKey"},
	} {
		err := c.Do(ctx, tc.method, tc.path, tc.in, nil, tc.opts...)
		var ve *guapocado.ValidationError
		if !errors.As(err, &ve) || ve.Field != tc.field {
			t.Errorf("%s: %v, want a *ValidationError on %s", tc.name, err, tc.field)
		}
	}
	if n := len(srv.Requests()); n != 0 {
		t.Fatalf("%d requests sent, want 0", n)
	}
	if _, err := c.Usage.Balance(ctx, "api-calls", guapocado.ForCustomer("org_1"), guapocado.Idempotent()); err == nil {
		t.Fatal("a service method accepted Idempotent")
	}
}
