package guapocado

import (
	"context"
	"net/http"
	"net/url"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/jarcoal/httpmock"
)

// tagQuery is what the url tags of a parameter struct say its query is,
// for a value with every field set: name → value.
func tagQuery(t *testing.T, params any) map[string]string {
	t.Helper()
	v := reflect.ValueOf(params)
	out := map[string]string{}
	for i := 0; i < v.NumField(); i++ {
		tag := v.Type().Field(i).Tag.Get("url")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" {
			continue // never sent (MaxPages bounds the iteration)
		}
		if name == "" {
			t.Fatalf("%s.%s has no url tag", v.Type().Name(), v.Type().Field(i).Name)
		}
		switch f := v.Field(i); f.Kind() {
		case reflect.String:
			out[name] = f.String()
		case reflect.Int:
			out[name] = strconv.FormatInt(f.Int(), 10)
		default:
			t.Fatalf("%s.%s: kind %s not covered", v.Type().Name(), v.Type().Field(i).Name, f.Kind())
		}
	}
	return out
}

// TestListingQueriesAreTheTags (issue 25 item 3): every listing's query is
// exactly what the url tags of its parameter struct say (plus the
// platform's customerId where the listing is a customer's), whichever
// fields are set; no listing writes a query name of its own.
func TestListingQueriesAreTheTags(t *testing.T) {
	t.Parallel()
	list := ListParams{Cursor: "cur_1 &x", Limit: 7}
	audit := AuditListParams{Action: "usage.consume", ResourceType: "usage", ResourceID: "res 1", ActorID: "key_1", Cursor: "a/b", Limit: 3}
	for _, tc := range []struct {
		name     string
		path     string
		want     map[string]string
		customer bool
		call     func(ctx context.Context, c *APIClient) error
	}{
		{"Customer.List", "/v1/customers", tagQuery(t, list), false, func(ctx context.Context, c *APIClient) error {
			_, err := c.Customer.List(ctx, &list)
			return err
		}},
		{"Customer.All", "/v1/customers", tagQuery(t, list), false, func(ctx context.Context, c *APIClient) error {
			for _, err := range c.Customer.All(ctx, &list) {
				return err
			}
			return nil
		}},
		{"Audit.List", "/v1/audit", tagQuery(t, audit), false, func(ctx context.Context, c *APIClient) error {
			_, err := c.Audit.List(ctx, &audit)
			return err
		}},
		{"Purchases.All", "/v1/purchases", tagQuery(t, list), true, func(ctx context.Context, c *APIClient) error {
			for _, err := range c.Purchases.All(ctx, &list) {
				return err
			}
			return nil
		}},
		{"Purchases.List", "/v1/purchases", tagQuery(t, ListParams{Limit: 100}), true, func(ctx context.Context, c *APIClient) error {
			_, err := c.Purchases.List(ctx)
			return err
		}},
		{"Subscription.All", "/v1/subscriptions", tagQuery(t, list), true, func(ctx context.Context, c *APIClient) error {
			for _, err := range c.Subscription.All(ctx, &list) {
				return err
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			c, mt, _ := newMockAPIClient(t)
			var mu sync.Mutex
			var got []url.Values
			mt.RegisterResponder("GET", regexpQuote(apiBase+tc.path), func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				got = append(got, r.URL.Query())
				mu.Unlock()
				return httpmock.NewStringResponse(200, `{"customers":[],"logs":[],"purchases":[],"subscriptions":[],"hasMore":false}`), nil
			})
			if err := tc.call(context.Background(), c); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for k, v := range tc.want {
				if v != "" && v != "0" {
					want[k] = v
				}
			}
			if tc.customer {
				want["customerId"] = defCust
			}
			if len(got) != 1 {
				t.Fatalf("%d requests", len(got))
			}
			if g, w := flatQuery(got[0]), flatQuery(single(want)); g != w {
				t.Errorf("query %s, want %s (the url tags)", g, w)
			}
		})
	}
}

// TestWithQueryOmitsEmptyAndRefusesNonStructs: the helper leaves out empty
// fields (omitempty), adds nothing for nil, and refuses a value that is not
// a parameter struct with a typed error before any request.
func TestWithQueryOmitsEmptyAndRefusesNonStructs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		params []any
		want   string
	}{
		{nil, "/p"},
		{[]any{nil, (*ListParams)(nil)}, "/p"},
		{[]any{ListParams{}}, "/p"},
		{[]any{&ListParams{Limit: 2}}, "/p?limit=2"},
		{[]any{ListParams{Cursor: "x y"}, customerQuery{CustomerID: "org/1"}}, "/p?cursor=x+y&customerId=org%2F1"},
	} {
		got, err := withQuery("/p", tc.params...)
		if err != nil || got != tc.want {
			t.Errorf("withQuery(%v) = %q, %v; want %q", tc.params, got, err, tc.want)
		}
	}
	if _, err := withQuery("/p", "limit=2"); err == nil {
		t.Error("a string was taken as parameters")
	} else if _, ok := err.(*ValidationError); !ok {
		t.Errorf("error %T, want *ValidationError", err)
	}
}

func single(m map[string]string) url.Values {
	v := url.Values{}
	for k, s := range m {
		v.Set(k, s)
	}
	return v
}

// flatQuery is a query in a stable, readable form.
func flatQuery(v url.Values) string {
	var parts []string
	for k, vs := range v {
		for _, s := range vs {
			parts = append(parts, k+"="+s)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, "&")
}

func regexpQuote(s string) string {
	return `=~^` + strings.NewReplacer(".", `\.`, "/", `/`).Replace(s) + `(\?|$)`
}
