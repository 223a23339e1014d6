//go:build !(js && wasm)

package guapocado_test

import (
	"context"
	"fmt"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
)

// collect reads up to max items of seq (all when max < 0), failing on an error.
func collect[T any](t *testing.T, seq func(func(T, error) bool), max int) []T {
	t.Helper()
	var out []T
	for v, err := range seq {
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
		if len(out) == max {
			break
		}
	}
	return out
}

// TestIterators: each All walks three pages of three, and a break after the
// fourth item leaves the third page unfetched.
func TestIterators(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_it"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Subscription.Change(ctx, "pro"); err != nil { // the current subscription
		t.Fatal(err)
	}
	for i := 0; i < 8; i++ {
		if _, err := srv.AddPurchase("org_it", "credits-pack"); err != nil {
			t.Fatal(err)
		}
		if _, err := srv.AddSubscription("org_it", "free", "canceled"); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Customer.Create(ctx, &guapocado.CustomerParams{ID: fmt.Sprintf("cus_it_%d", i)}); err != nil {
			t.Fatal(err)
		}
	}
	customers, err := c.Customer.List(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	nCustomers := len(customers.Customers) // org_it too

	for _, tc := range []struct {
		name, path string
		total      int
		all        func(limit int) func(func(string, error) bool)
	}{
		{"Purchases.All", "/v1/purchases", 8, func(limit int) func(func(string, error) bool) {
			return ids(c.Purchases.All(ctx, &guapocado.ListParams{Limit: limit}), func(p guapocado.Purchase) string { return p.ID })
		}},
		{"Subscription.All", "/v1/subscriptions", 9, func(limit int) func(func(string, error) bool) {
			return ids(c.Subscription.All(ctx, &guapocado.ListParams{Limit: limit}), func(s guapocado.Subscription) string { return s.ID })
		}},
		{"Customer.All", "/v1/customers", nCustomers, func(limit int) func(func(string, error) bool) {
			return ids(c.Customer.All(ctx, &guapocado.ListParams{Limit: limit}), func(c guapocado.Customer) string { return c.ID })
		}},
		{"Audit.All", "/v1/audit", -1, func(limit int) func(func(string, error) bool) {
			return ids(c.Audit.All(ctx, &guapocado.AuditListParams{Action: "customer.upsert", Limit: limit}), func(l guapocado.AuditLog) string { return l.ID })
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			limit := 3
			if tc.total < 0 {
				tc.total = 8 // eight customer upserts
			}
			if tc.total > 9 {
				limit = (tc.total + 2) / 3 // three pages
			}
			before := countPath(srv, tc.path)
			got := collect(t, tc.all(limit), -1)
			if len(got) != tc.total {
				t.Fatalf("%d items, want %d", len(got), tc.total)
			}
			seen := map[string]bool{}
			for _, id := range got {
				if seen[id] {
					t.Fatalf("%s listed twice", id)
				}
				seen[id] = true
			}
			if n := countPath(srv, tc.path) - before; n != 3 {
				t.Fatalf("walking everything took %d requests, want 3 pages", n)
			}
			before = countPath(srv, tc.path)
			if got := collect(t, tc.all(limit), limit+1); len(got) != limit+1 {
				t.Fatalf("%d items before the break", len(got))
			}
			if n := countPath(srv, tc.path) - before; n != 2 {
				t.Fatalf("a break in the second page took %d requests, want 2", n)
			}
		})
	}
}

// ids maps an iterator's items to their ids.
func ids[T any](seq func(func(T, error) bool), id func(T) string) func(func(string, error) bool) {
	return func(yield func(string, error) bool) {
		for v, err := range seq {
			if !yield(id(v), err) {
				return
			}
		}
	}
}

// TestSubscriptionCurrentPages: on the platform, Current finds the current
// subscription past the first page (it was created first, so it is listed
// last after 205 newer canceled ones).
func TestSubscriptionCurrentPages(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.New(t)
	c, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithCustomerID("org_cur"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ch, err := c.Subscription.Change(ctx, "pro")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 205; i++ {
		if _, err := srv.AddSubscription("org_cur", "free", "canceled"); err != nil {
			t.Fatal(err)
		}
	}
	before := countPath(srv, "/v1/subscriptions")
	cur, err := c.Subscription.Current(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if cur == nil || cur.ID != ch.ID || cur.Status != guapocado.StatusActive {
		t.Fatalf("Current = %+v, want the active %s", cur, ch.ID)
	}
	if n := countPath(srv, "/v1/subscriptions") - before; n != 3 {
		t.Fatalf("Current took %d pages, want 3 (100, 100, 6)", n)
	}

	// A customer with only canceled subscriptions: the newest is reported.
	last, err := srv.AddSubscription("org_old", "free", "canceled")
	if err != nil {
		t.Fatal(err)
	}
	cur, err = c.Subscription.Current(ctx, guapocado.ForCustomer("org_old"))
	if err != nil || cur == nil || cur.ID != last || cur.Status != guapocado.StatusCanceled {
		t.Fatalf("Current = %+v, %v; want the canceled %s", cur, err, last)
	}
}
