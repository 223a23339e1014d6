package guapocado

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// TestWebhookEndpointRedactsItsSecret (issue 15, item 17): the signing
// secret shows in no rendering of a WebhookEndpoint.
func TestWebhookEndpointRedactsItsSecret(t *testing.T) {
	t.Parallel()
	const secret = "whsec_SECRETSECRETSECRET"
	w := WebhookEndpoint{ID: "we_1", Status: WebhookStatusActive, URL: "https://app.test/hooks", AllEvents: true, SigningSecret: secret}
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("registered", "endpoint", w, "ptr", &w)
	js, err := json.Marshal(w)
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{
		"%v": fmt.Sprintf("%v", w), "%+v": fmt.Sprintf("%+v", w), "%#v": fmt.Sprintf("%#v", w), "pointer": fmt.Sprint(&w),
		"json": string(js), "slog": logged.String(),
	} {
		if strings.Contains(out, secret) || !strings.Contains(out, "we_1") {
			t.Errorf("%s shows the secret or not the endpoint: %s", name, out)
		}
	}
	// Decoding an answer still yields the secret to the caller.
	var back WebhookEndpoint
	if err := json.Unmarshal([]byte(`{"id":"we_1","status":"active","url":"u","events":"*","signingSecret":"`+secret+`"}`), &back); err != nil || back.SigningSecret != secret {
		t.Errorf("decoded secret %q, %v", back.SigningSecret, err)
	}
}

// TestWebhookEndpointNoVerbShowsItsSecret (issue 23 item 11): every fmt
// verb that fmt hands to a Format method, on the endpoint, a pointer to it
// and a struct holding it. (%p of a value and %w outside fmt.Errorf are
// bad verbs that fmt prints raw, and go vet refuses them.)
func TestWebhookEndpointNoVerbShowsItsSecret(t *testing.T) {
	t.Parallel()
	const secret = "whsec_FMTSECRET_c0ffee"
	w := WebhookEndpoint{ID: "we_1", Status: WebhookStatusActive, URL: "https://app.test/hooks", Events: []string{"a"}, SigningSecret: secret}
	type holder struct {
		W WebhookEndpoint
		P *WebhookEndpoint
	}
	for _, verb := range []string{
		"%v", "%+v", "%#v", "%s", "%q", "%#q", "%+q", "%d", "%+d", "%t", "%x", "%X", "% x", "%#x", "%o", "%O", "%b",
		"%c", "%U", "%#U", "%e", "%E", "%f", "%F", "%g", "%G", "%10s", "%-40v", "%.3s", "%08d", "%!", "%z",
	} {
		for name, x := range map[string]any{"value": w, "pointer": &w, "holder": holder{w, &w}, "*holder": &holder{w, &w}, "slice": []WebhookEndpoint{w}} {
			if out := fmt.Sprintf(verb, x); strings.Contains(out, "FMTSECRET") || strings.Contains(out, "c0ffee") {
				t.Errorf("%s of %s shows the secret: %s", verb, name, out)
			}
		}
	}
}
