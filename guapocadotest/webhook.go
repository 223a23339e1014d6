package guapocadotest

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// WebhookEndpointID is the guapocado-endpoint-id that NewWebhookRequest sends.
const WebhookEndpointID = "we_test"

// SignWebhook returns the guapocado-signature header value Guapocado would
// send for payload signed with secret at time t:
// "t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>".
// An empty secret is signed with an empty key, so tests can check that a
// receiver refuses it.
func SignWebhook(secret string, t time.Time, payload []byte) string {
	return SignWebhookSecrets([]string{secret}, t, payload)
}

// SignWebhookSecrets is SignWebhook with one v1 entry per secret, in order,
// as Guapocado sends while a signing secret is being rotated.
func SignWebhookSecrets(secrets []string, t time.Time, payload []byte) string {
	ts := strconv.FormatInt(t.Unix(), 10)
	var b strings.Builder
	b.WriteString("t=")
	b.WriteString(ts)
	for _, s := range secrets {
		mac := hmac.New(sha256.New, []byte(s))
		mac.Write([]byte(ts))
		mac.Write([]byte{'.'})
		mac.Write(payload)
		b.WriteString(",v1=")
		b.WriteString(hex.EncodeToString(mac.Sum(nil)))
	}
	return b.String()
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
	req.Header.Set("guapocado-signature", SignWebhook(secret, t, payload))
	req.Header.Set("guapocado-endpoint-id", WebhookEndpointID)
	return req, nil
}

// WebhookPayload builds an event envelope as Guapocado sends it:
// {"id", "type", "createdAt" (ISO-8601 in UTC, milliseconds), "source":
// {"provider":"guapocado"}, "data"}. createdAt is left out when zero and
// data when nil. data is encoded with encoding/json, except that []byte
// and json.RawMessage are used as raw JSON (it must be valid). It panics
// if data cannot be encoded (a bug in the calling test).
func WebhookPayload(id, typ string, createdAt time.Time, data any) []byte {
	env := struct {
		ID        string          `json:"id,omitempty"`
		Type      string          `json:"type"`
		CreatedAt string          `json:"createdAt,omitempty"`
		Source    json.RawMessage `json:"source"`
		Data      json.RawMessage `json:"data,omitempty"`
	}{ID: id, Type: typ, Source: json.RawMessage(`{"provider":"guapocado"}`)}
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
