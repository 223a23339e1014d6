package guapocado

import (
	"testing"

	"github.com/guapocado/guapocado-go/internal/redactcheck"
)

// TestClientsShowNoCredential guards issue 23 item 11 on the clients: the
// API key, a session token and a bearer token sit behind pointers (the
// client's core and config), so no fmt verb, %p and %w included, nested
// every way, nor any encoding or log handler shows them.
func TestClientsShowNoCredential(t *testing.T) {
	t.Parallel()
	api, err := NewAPIClient("sk_test_PROBEKEY_123456")
	if err != nil {
		t.Fatal(err)
	}
	redactcheck.NoSecret(t, "*APIClient", api, "PROBEKEY")
	redactcheck.NoSecret(t, "*Billing", &api.Billing, "PROBEKEY")
	c, err := NewClient("https://app.test", WithSessionToken("tok_PROBETOKEN_9876"))
	if err != nil {
		t.Fatal(err)
	}
	redactcheck.NoSecret(t, "*Client", c, "PROBETOKEN")
	c2, err := NewClient("https://app.test", WithBearerToken("tok_PROBEBEARER_9876"))
	if err != nil {
		t.Fatal(err)
	}
	redactcheck.NoSecret(t, "*Client bearer", c2, "PROBEBEARER")
}
