package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// RunRegistration checks the read model's webhook registration
// (readmodel.WithRegistration) on the store newStore makes, which must be
// a readmodel.SecretStore (the test is skipped otherwise): two instances
// share the store; the stored secret is stale (the platform rotated it),
// so deliveries fail verification until, after MaxFailures of them in a
// row, the first instance registers again and stores the platform's
// current secret; the delivery that triggered it is accepted, and the
// second instance then verifies with the secret from the store without
// registering. Forged deliveries cause at most one registration per
// Cooldown, and no error shows the secret.
func RunRegistration(t *testing.T, newStore func(t *testing.T) readmodel.Store) {
	store, ok := newStore(t).(readmodel.SecretStore)
	if !ok {
		t.Skip("the store does not implement readmodel.SecretStore")
	}
	ctx := context.Background()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	const url = "https://app.example.com/webhooks/guapocado"
	const key = "readmodel:/webhooks/guapocado"
	current, err := api.WebhookEndpoints.Register(ctx, &guapocado.WebhookEndpointParams{URL: url, RegistrationKey: key})
	if err != nil {
		t.Fatal(err)
	}
	stale, _ := json.Marshal(map[string]string{"id": current.ID, "status": "active", "url": url, "signingSecret": "whsec_stale"})
	if _, err := store.PutSecret(ctx, "webhook-registration:"+key, stale, time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	var clockMu sync.Mutex
	now := time.Now()
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	var errMu sync.Mutex
	var errs []string
	newInstance := func() http.Handler {
		rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithClock(clock),
			readmodel.WithErrorHandler(func(err error) { errMu.Lock(); errs = append(errs, err.Error()); errMu.Unlock() }),
			readmodel.WithRegistration(api.WebhookEndpoints, readmodel.Registration{URL: url, MaxFailures: 3}))
		if err != nil {
			t.Fatal(err)
		}
		h, err := rm.RegisteredWebhookHandler()
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	registrations := func() int {
		n := 0
		for _, r := range srv.Requests() {
			if r.Method == "POST" && r.Path == "/v1/webhook-endpoints/register" {
				n++
			}
		}
		return n
	}
	deliver := func(h http.Handler, secret, id string) int {
		t.Helper()
		payload := guapocadotest.WebhookPayload(id, "customer.updated", time.Now(), map[string]any{"customer": map[string]any{"id": "cus_1"}})
		req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/webhooks/guapocado", secret, time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}

	h, other := newInstance(), newInstance()
	other.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/webhooks/guapocado", nil)) // it loads the stale secret
	before := registrations()
	run := time.Now().UnixNano()
	var codes []int
	for i := range 3 {
		codes = append(codes, deliver(h, current.SigningSecret.Reveal(), fmt.Sprintf("evt_%d_%d", run, i)))
	}
	if fmt.Sprint(codes) != "[401 401 200]" {
		t.Fatalf("deliveries signed with the platform's secret answered %v; want [401 401 200] (registered again on the 3rd)", codes)
	}
	if n := registrations() - before; n != 1 {
		t.Fatalf("%d registrations, want 1", n)
	}
	raw, found, err := store.GetSecret(ctx, "webhook-registration:"+key)
	if err != nil || !found || !strings.Contains(string(raw), current.SigningSecret.Reveal()) {
		t.Fatalf("the store does not hold the platform's current secret after registering again (found %v, %v)", found, err)
	}
	if code := deliver(other, current.SigningSecret.Reveal(), fmt.Sprintf("evt_%d_other", run)); code != http.StatusOK {
		t.Fatalf("the other instance answered %d; want 200 with the secret read from the store", code)
	}
	if n := registrations() - before; n != 1 {
		t.Fatalf("%d registrations after the other instance's delivery, want still 1", n)
	}

	forge := func(round int) {
		for i := range 9 {
			if code := deliver(h, "whsec_forged", fmt.Sprintf("evt_%d_forged_%d_%d", run, round, i)); code != http.StatusUnauthorized {
				t.Fatalf("a forged delivery answered %d", code)
			}
		}
	}
	forge(1)
	if n := registrations() - before; n != 1 {
		t.Fatalf("9 forged deliveries within the cooldown made %d registrations in all; want still 1", n)
	}
	clockMu.Lock()
	now = now.Add(readmodel.DefaultRegistrationCooldown)
	clockMu.Unlock()
	forge(2)
	if n := registrations() - before; n != 2 {
		t.Fatalf("9 forged deliveries after the cooldown made %d registrations in all; want 2", n)
	}
	errMu.Lock()
	defer errMu.Unlock()
	if strings.Contains(strings.Join(errs, "\n"), current.SigningSecret.Reveal()) {
		t.Fatal("an error shows the signing secret")
	}
}
