package guapocadotest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strconv"
	"testing"
	"time"
)

// The vectors were computed by openssl (see ../testdata/webhooks/gen.sh).
func TestSignWebhookMatchesOpenSSLVectors(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../testdata/webhooks/vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var vs []struct {
		Name          string   `json:"name"`
		Secrets       []string `json:"secrets"`
		Timestamp     int64    `json:"timestamp"`
		PayloadBase64 string   `json:"payloadBase64"`
		Signatures    []string `json:"signatures"`
		Header        string   `json:"header"`
	}
	if err := json.Unmarshal(b, &vs); err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("no vectors")
	}
	for _, v := range vs {
		p, err := base64.StdEncoding.DecodeString(v.PayloadBase64)
		if err != nil {
			t.Fatal(err)
		}
		at := time.Unix(v.Timestamp, 0)
		if got := SignWebhookSecrets(v.Secrets, at, p); got != v.Header {
			t.Errorf("%s: SignWebhookSecrets differs", v.Name)
		}
		for i, s := range v.Secrets {
			if got := SignWebhook(s, at, p); got != "t="+strconv.FormatInt(v.Timestamp, 10)+",v1="+v.Signatures[i] {
				t.Errorf("%s: SignWebhook with secret %d differs", v.Name, i)
			}
		}
	}
}

func TestNewWebhookRequest(t *testing.T) {
	t.Parallel()
	payload := []byte(`{"id":"evt_1","type":"customer.updated","data":{}}`)
	at := time.Unix(1795732077, 0)
	req, err := NewWebhookRequest("http://127.0.0.1:9/api/auth/guap", "whsec_req", at, payload)
	if err != nil {
		t.Fatal(err)
	}
	if req.Method != http.MethodPost || req.URL.String() != "http://127.0.0.1:9/api/auth/guap" {
		t.Errorf("%s %s", req.Method, req.URL)
	}
	if got := req.Header.Get("guapocado-signature"); got != SignWebhook("whsec_req", at, payload) {
		t.Errorf("signature header %q", got)
	}
	if req.Header.Get("guapocado-endpoint-id") != WebhookEndpointID || req.Header.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", req.Header)
	}
	body, _ := io.ReadAll(req.Body)
	if !bytes.Equal(body, payload) || req.ContentLength != int64(len(payload)) || req.GetBody == nil {
		t.Errorf("body %q, length %d", body, req.ContentLength)
	}
	if _, err := NewWebhookRequest("http://[::1", "s", at, payload); err == nil {
		t.Error("a bad URL gives no error")
	}
}

func TestWebhookPayload(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 10, 57, 0, 123456789, time.FixedZone("CET", 3600))
	got := string(WebhookPayload("evt_1", "customer.updated", at, map[string]any{"customer": map[string]any{"id": "org_1"}}))
	want := `{"id":"evt_1","type":"customer.updated","createdAt":"2026-11-27T09:57:00.123Z","source":{"provider":"guapocado"},"data":{"customer":{"id":"org_1"}}}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, raw := range []any{json.RawMessage(`{"a":1}`), []byte(`{"a":1}`)} {
		if got := string(WebhookPayload("evt_2", "x", time.Time{}, raw)); got != `{"id":"evt_2","type":"x","source":{"provider":"guapocado"},"data":{"a":1}}` {
			t.Errorf("raw data %T: %s", raw, got)
		}
	}
	if got := string(WebhookPayload("", "x", time.Time{}, nil)); got != `{"type":"x","source":{"provider":"guapocado"}}` {
		t.Errorf("minimal: %s", got)
	}
	defer func() {
		if recover() == nil {
			t.Error("unencodable data did not panic")
		}
	}()
	WebhookPayload("evt_3", "x", time.Time{}, make(chan int))
}
