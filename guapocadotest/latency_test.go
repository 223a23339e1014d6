package guapocadotest_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestWithLatency: an answer waits the platform latency, then applies.
func TestWithLatency(t *testing.T) {
	t.Parallel()
	const latency = 40 * time.Millisecond
	srv := guapocadotest.New(t, guapocadotest.WithLatency(latency))
	post := func(ctx context.Context) (*http.Response, error) {
		req, _ := http.NewRequestWithContext(ctx, "POST", srv.APIURL()+"/v1/usage/ai-credits/consume",
			strings.NewReader(`{"customerId":"org_l","amount":1,"idempotencyKey":"l1"}`))
		req.Header.Set("X-Guapocado-Key", srv.APIKey())
		req.Header.Set("Content-Type", "application/json")
		return http.DefaultClient.Do(req)
	}
	start := time.Now()
	resp, err := post(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if took := time.Since(start); resp.StatusCode != 200 || took < latency {
		t.Errorf("status %d after %s, want 200 after at least %s", resp.StatusCode, took, latency)
	}
	if ops := srv.Ops(); len(ops) != 1 || ops[0].IdempotencyKey != "l1" {
		t.Errorf("ops %+v", ops)
	}
}
