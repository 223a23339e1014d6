package guapocado

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/redactcheck"
)

// TestWebhookEndpointRedactsItsSecret (issue 15, item 17): the signing
// secret shows in no rendering of a WebhookEndpoint.
func TestWebhookEndpointRedactsItsSecret(t *testing.T) {
	t.Parallel()
	const secret = "whsec_SECRETSECRETSECRET"
	w := WebhookEndpoint{ID: "we_1", Status: WebhookStatusActive, URL: "https://app.test/hooks", AllEvents: true, SigningSecret: NewSecret(secret)}
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
	if err := json.Unmarshal([]byte(`{"id":"we_1","status":"active","url":"u","events":"*","signingSecret":"`+secret+`"}`), &back); err != nil || back.SigningSecret.Reveal() != secret {
		t.Errorf("decoded secret %q, %v", back.SigningSecret, err)
	}
}

// TestWebhookEndpointNoVerbShowsItsSecret (issue 23 item 11): every fmt
// verb, the bad verbs %p and %w (which print fields without calling any
// method) included, on the endpoint nested every way, and every encoding
// and log handler.
func TestWebhookEndpointNoVerbShowsItsSecret(t *testing.T) {
	t.Parallel()
	const secret = "whsec_FMTSECRET_c0ffee"
	w := WebhookEndpoint{ID: "we_1", Status: WebhookStatusActive, URL: "https://app.test/hooks", Events: []string{"a"}, SigningSecret: NewSecret(secret)}
	redactcheck.NoSecret(t, "WebhookEndpoint", w, secret)
	redactcheck.NoSecret(t, "*WebhookEndpoint", &w, secret)
	if w.SigningSecret.Reveal() != secret {
		t.Errorf("Reveal: %q", w.SigningSecret.Reveal())
	}
}
