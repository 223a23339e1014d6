package guapocadotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/guapocado/guapocado-go/internal/webhooksig"
)

// WebhookEndpointID is the guapocado-endpoint-id that NewWebhookRequest sends.
const WebhookEndpointID = "we_test"

// SignWebhook returns the guapocado-signature header value Guapocado would
// send for payload signed with secret at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>". It is
// the same as webhook.Sign (both use one implementation). An empty secret
// is signed with an empty key, so tests can check that a receiver refuses
// it.
func SignWebhook(secret string, t time.Time, payload []byte) string {
	return webhooksig.Sign([]string{secret}, t, payload)
}

// SignWebhookSecrets is SignWebhook with one v1 entry per secret, in order,
// as Guapocado sends while a signing secret is being rotated (the same as
// webhook.SignSecrets).
func SignWebhookSecrets(secrets []string, t time.Time, payload []byte) string {
	return webhooksig.Sign(secrets, t, payload)
}

// NewWebhookRequest returns a POST of payload to url signed with secret at
// time t, carrying guapocado-signature, guapocado-endpoint-id
// (WebhookEndpointID) and Content-Type: application/json. Send it with an
// http.Client, or give it to a handler's ServeHTTP directly.
func NewWebhookRequest(url, secret string, t time.Time, payload []byte) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooksig.SignatureHeader, SignWebhook(secret, t, payload))
	req.Header.Set(webhooksig.EndpointIDHeader, WebhookEndpointID)
	return req, nil
}

// WebhookPayload builds an event envelope as Guapocado sends it:
// {"id", "type", "createdAt" (ISO-8601 in UTC, milliseconds), "source":
// {"provider":"guapocado"}, "data"}. createdAt is left out when zero and
// data when nil. data is encoded with encoding/json, except that []byte
// and json.RawMessage are used as raw JSON (it must be valid). typ is a
// string or a webhook.EventType. It panics if data cannot be encoded (a
// bug in the calling test).
func WebhookPayload[T ~string](id string, typ T, createdAt time.Time, data any) []byte {
	env := struct {
		ID        string          `json:"id,omitempty"`
		Type      string          `json:"type"`
		CreatedAt string          `json:"createdAt,omitempty"`
		Source    json.RawMessage `json:"source"`
		Data      json.RawMessage `json:"data,omitempty"`
	}{ID: id, Type: string(typ), Source: json.RawMessage(`{"provider":"guapocado"}`)}
	if !createdAt.IsZero() {
		env.CreatedAt = createdAt.UTC().Format("2006-01-02T15:04:05.000Z07:00")
	}
	switch d := data.(type) {
	case nil:
	case json.RawMessage:
		env.Data = d
	case []byte:
		env.Data = d
	default:
		b, err := json.Marshal(d)
		if err != nil {
			panic(fmt.Sprintf("guapocadotest.WebhookPayload: cannot encode data: %v", err))
		}
		env.Data = b
	}
	b, err := json.Marshal(env)
	if err != nil {
		panic(fmt.Sprintf("guapocadotest.WebhookPayload: %v", err))
	}
	return b
}
