package webhook_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/webhook"
)

// TestCustomerMetadataIsLenient is issue 15 item 22: customer.updated
// carries metadata as the platform sends it (a JSON string) or as an
// object; every form is answered 200 and the callback sees it parsed.
func TestCustomerMetadataIsLenient(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, metadata string
		want           map[string]any // nil: Metadata stays nil
		wantRaw        string
	}{
		{"object", `{"plan":"pro","seats":3}`, map[string]any{"plan": "pro", "seats": float64(3)}, ""},
		{"string holding an object (what the platform sends)", `"{\"plan\":\"pro\"}"`, map[string]any{"plan": "pro"}, ""},
		{"string holding an object, spaced", `" {\"plan\": \"pro\", \"n\": {\"a\": [1]}} "`, map[string]any{"plan": "pro", "n": map[string]any{"a": []any{float64(1)}}}, ""},
		{"string holding an empty object", `"{}"`, map[string]any{}, ""},
		{"string that is not JSON", `"plan=pro"`, nil, "plan=pro"},
		{"string holding a JSON array", `"[1,2]"`, nil, "[1,2]"},
		{"string holding broken JSON", `"{\"plan\":"`, nil, `{"plan":`},
		{"empty string", `""`, nil, ""},
		{"array", `[1,"a"]`, nil, `[1,"a"]`},
		{"number", `42`, nil, `42`},
		{"object with a number out of range", `{"big":1e400}`, nil, `{"big":1e400}`},
		{"null", `null`, nil, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			h := newTestHandler(t)
			var got *webhook.Customer
			h.OnCustomerUpdated(func(_ context.Context, _ *webhook.Event, d *webhook.CustomerUpdated) error {
				got = &d.Customer
				return nil
			})
			data := `{"customer":{"id":"org_acme","email":"billing@acme.test","metadata":` + c.metadata + `}}`
			p := guapocadotest.WebhookPayload(fmt.Sprintf("evt_meta_%d", i), webhook.EventCustomerUpdated, t0, []byte(data))
			wantResponse(t, deliver(h, p, ""), http.StatusOK, received)
			if got == nil {
				t.Fatal("the callback did not run")
			}
			if got.ID != "org_acme" || got.Email != "billing@acme.test" {
				t.Errorf("customer = %+v", got)
			}
			if fmt.Sprintf("%#v", got.Metadata) != fmt.Sprintf("%#v", c.want) || got.MetadataRaw != c.wantRaw {
				t.Errorf("Metadata %#v, MetadataRaw %q; want %#v, %q", got.Metadata, got.MetadataRaw, c.want, c.wantRaw)
			}
		})
	}
	// Without metadata at all.
	ev, err := webhook.ParseEvent(guapocadotest.WebhookPayload("evt_nometa", webhook.EventCustomerUpdated, t0, []byte(`{"customer":{"id":"org_1"}}`)))
	if err != nil {
		t.Fatal(err)
	}
	cu, err := ev.CustomerUpdated()
	if err != nil || cu.Customer.ID != "org_1" || cu.Customer.Metadata != nil || cu.Customer.MetadataRaw != "" {
		t.Errorf("no metadata: %+v, %v", cu, err)
	}
}
