package guapocadotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestWebhooksRegisteredThroughThePlatform: an endpoint registered with
// POST /v1/webhook-endpoints/register gets a signed usage.updated for a
// consume, once the deliveries settle; after Close nothing more is sent.
func TestWebhooksRegisteredThroughThePlatform(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	var sigs []string
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var ev map[string]any
		_ = json.Unmarshal(b, &ev)
		mu.Lock()
		got, sigs = append(got, ev), append(sigs, r.Header.Get("guapocado-signature"))
		mu.Unlock()
	}))
	defer recv.Close()
	srv := guapocadotest.NewServer()
	post := func(path, body string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.APIURL()+path, strings.NewReader(body))
		req.Header.Set("X-Guapocado-Key", srv.APIKey())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp
	}
	resp := post("/v1/webhook-endpoints/register", `{"url":"`+recv.URL+`"}`)
	var ep struct{ SigningSecret string }
	_ = json.NewDecoder(resp.Body).Decode(&ep)
	resp.Body.Close()
	if !strings.HasPrefix(ep.SigningSecret, "whsec_") {
		t.Fatalf("register answered no signing secret")
	}
	post("/v1/usage/api-calls/consume", `{"customerId":"cus_1","amount":3}`).Body.Close()
	srv.FlushWebhooks()
	mu.Lock()
	if len(got) != 1 || got[0]["type"] != "usage.updated" {
		t.Fatalf("deliveries %v, want one usage.updated", got)
	}
	data := got[0]["data"].(map[string]any)
	if data["customerId"] != "cus_1" || data["key"] != "api-calls" || data["consumed"] != 3.0 || data["balance"] != 97.0 {
		t.Errorf("usage.updated data %v", data)
	}
	if !strings.HasPrefix(sigs[0], "t=") || !strings.Contains(sigs[0], ",v1=") {
		t.Errorf("signature header %q", sigs[0])
	}
	mu.Unlock()
	srv.Close()
	srv.FlushWebhooks() // returns at once on a closed server
	if d := srv.WebhookDeliveries(); len(d) != 1 || d[0].Status != http.StatusOK {
		t.Errorf("deliveries log %+v", d)
	}
}
