package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"testing"
)

func TestWebhookStatus(t *testing.T) {
	t.Parallel()
	c, mt, _ := newMockClient(t, testBase)
	rec := &recorder{}
	mt.RegisterResponder("GET", testBase+"/api/auth/guap", rec.responder(jsonResponder(200, fixture(t, "webhook_status.json"))))
	st, err := c.Webhook.Status(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := &WebhookStatus{Enabled: true, ID: "we_000004", Status: "pending_approval", URL: "http://127.0.0.1:4000/api/auth/guap", AllEvents: true}
	if !reflect.DeepEqual(st, want) {
		t.Errorf("got %+v, want %+v", st, want)
	}
	if r := rec.last(t); r.header.Get("Cookie") != "" || r.header.Get("Authorization") != "" || len(r.body) != 0 {
		t.Errorf("sent %v %q", r.header, r.body)
	}

	other, mt2, _ := newMockClient(t, testBase, WithWebhookPath("/hooks/guapocado"))
	mt2.RegisterResponder("GET", testBase+"/api/auth/hooks/guapocado", jsonResponder(200, `{"enabled":false}`))
	st, err = other.Webhook.Status(context.Background())
	if err != nil || st.Enabled {
		t.Fatalf("configured path: %+v %v", st, err)
	}
	mt2.RegisterResponder("GET", testBase+"/api/auth/hooks/guapocado", jsonResponder(401, `{"message":"Invalid API key"}`))
	if _, err := other.Webhook.Status(context.Background()); !errors.Is(err, ErrInvalidAPIKey) || errors.Is(err, ErrUnauthorized) {
		t.Errorf("got %v", err)
	}
}

func TestWebhookStatusJSON(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body string
		want       WebhookStatus
	}{
		{"transcript 3.27", `{"enabled":true,"id":"we_000004","status":"pending_approval","url":"http://127.0.0.1:4000/api/auth/guap","events":"*","relay":null}`,
			WebhookStatus{Enabled: true, ID: "we_000004", Status: WebhookStatusPendingApproval, URL: "http://127.0.0.1:4000/api/auth/guap", AllEvents: true}},
		{"disabled", `{"enabled":false}`, WebhookStatus{}},
		{"event list and relay", `{"enabled":true,"id":"we_1","status":"active","url":"https://a.test/api/auth/guap","events":["customer.updated","usage.updated"],"relay":{"url":"https://relay.test","enabled":true}}`,
			WebhookStatus{Enabled: true, ID: "we_1", Status: WebhookStatusActive, URL: "https://a.test/api/auth/guap",
				Events: []string{"customer.updated", "usage.updated"}, Relay: json.RawMessage(`{"url":"https://relay.test","enabled":true}`)}},
		{"empty list", `{"enabled":true,"events":[]}`, WebhookStatus{Enabled: true, Events: []string{}}},
		{"single type string", `{"enabled":true,"events":"invoice.updated"}`, WebhookStatus{Enabled: true, Events: []string{"invoice.updated"}}},
		{"unknown fields and status", `{"enabled":true,"status":"suspended","secretHint":"whsec_…","events":null}`, WebhookStatus{Enabled: true, Status: "suspended"}},
	}
	for _, c := range cases {
		var s WebhookStatus
		if err := json.Unmarshal([]byte(c.body), &s); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if fmt.Sprintf("%#v", s) != fmt.Sprintf("%#v", c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.name, s, c.want)
		}
		// MarshalJSON writes the wire form back.
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		var s2 WebhookStatus
		if err := json.Unmarshal(b, &s2); err != nil || fmt.Sprintf("%#v", s2) != fmt.Sprintf("%#v", s) {
			t.Errorf("%s: round trip %s -> %#v, %v", c.name, b, s2, err)
		}
	}
	var s WebhookStatus
	_ = json.Unmarshal([]byte(cases[0].body), &s)
	b, _ := json.Marshal(s)
	if string(b) != cases[0].body {
		t.Errorf("transcript body not reproduced:\n%s", b)
	}
	if !s.Subscribed("anything.new") {
		t.Error(`"*" subscribes to every type`)
	}
	var l WebhookStatus
	_ = json.Unmarshal([]byte(cases[2].body), &l)
	if !l.Subscribed("usage.updated") || l.Subscribed("invoice.updated") {
		t.Error("Subscribed with a list")
	}
	if (&WebhookStatus{AllEvents: true}).Subscribed("x") {
		t.Error("a disabled receiver subscribes to nothing")
	}
	for _, bad := range []string{`{"enabled":true,"events":5}`, `{"enabled":true,"events":[1,2]}`, `{"enabled":"yes"}`, `[]`} {
		if err := json.Unmarshal([]byte(bad), new(WebhookStatus)); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	// A null body leaves the value alone.
	s = WebhookStatus{Enabled: true}
	if err := json.Unmarshal([]byte(`null`), &s); err != nil || !s.Enabled {
		t.Errorf("null: %+v, %v", s, err)
	}
}
