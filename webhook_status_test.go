package guapocado

import (
	"context"
	"errors"
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
