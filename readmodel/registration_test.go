package readmodel_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/redactcheck"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/readmodel/storetest"
	"github.com/guapocado/guapocado-go/webhook"
)

const webhookPath = "/webhooks/guapocado"

// errorLog collects what an error handler receives.
type errorLog struct {
	mu   sync.Mutex
	errs []string
}

func (l *errorLog) add(err error) { l.mu.Lock(); l.errs = append(l.errs, err.Error()); l.mu.Unlock() }
func (l *errorLog) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.errs, "\n")
}

// registrations counts the platform registrations the fake received.
func registrations(srv *guapocadotest.Server) int {
	n := 0
	for _, r := range srv.Requests() {
		if r.Method == "POST" && r.Path == "/v1/webhook-endpoints/register" {
			n++
		}
	}
	return n
}

// storedSecret reads the signing secret the read model keeps in store.
func storedSecret(t *testing.T, store readmodel.SecretStore, key string) string {
	t.Helper()
	raw, found, err := store.GetSecret(context.Background(), "webhook-registration:"+key)
	if err != nil || !found {
		t.Fatalf("no registration stored: found %v, %v", found, err)
	}
	var v struct {
		SigningSecret string `json:"signingSecret"`
	}
	if err := json.Unmarshal(raw, &v); err != nil || v.SigningSecret == "" {
		t.Fatalf("stored registration does not decode: %v", err)
	}
	return v.SigningSecret
}

// TestRegistration: Register registers the app's endpoint with the
// platform and keeps the secret in the store; the platform's deliveries to
// the app's URL are verified with it and projected; a second instance on
// the same store verifies with the same secret without registering; the
// secret appears in no log, error, answer or printout.
func TestRegistration(t *testing.T) {
	ctx := context.Background()
	mux := http.NewServeMux()
	app := httptest.NewServer(mux)
	defer app.Close()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	store := readmodel.NewMemoryStore()
	var errs errorLog
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	reg := readmodel.Registration{URL: app.URL + webhookPath}
	newInstance := func() (*readmodel.ReadModel, http.Handler) {
		rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithErrorHandler(errs.add),
			readmodel.WithRegistration(api.WebhookEndpoints, reg))
		if err != nil {
			t.Fatal(err)
		}
		h, err := rm.RegisteredWebhookHandler(webhook.WithLogger(logger))
		if err != nil {
			t.Fatal(err)
		}
		return rm, h
	}
	rm, h := newInstance()
	mux.Handle(webhookPath, h)

	ep, err := rm.Register(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ep.ID == "" || ep.URL != reg.URL || ep.Status != guapocado.WebhookStatusPendingApproval {
		t.Fatalf("Register = %+v", ep)
	}
	secret := storedSecret(t, store, "readmodel:"+webhookPath)

	// Another service instance consumes; the platform's usage.updated
	// reaches this one through its registered endpoint.
	if _, err := api.Usage.Consume(ctx, "api-calls", 3, guapocado.ForCustomer("cus_r")); err != nil {
		t.Fatal(err)
	}
	srv.FlushWebhooks()
	deliveries := srv.WebhookDeliveries()
	if len(deliveries) == 0 {
		t.Fatal("the platform delivered nothing to the registered endpoint")
	}
	for _, d := range deliveries {
		if d.Status != http.StatusOK {
			t.Fatalf("delivery %s %s answered %d %s", d.EventID, d.Type, d.Status, d.Err)
		}
	}
	u, m, err := rm.Balance(ctx, "cus_r", "api-calls")
	if err != nil || !m.Local || u.Balance != 97 {
		t.Fatalf("Balance = %+v, %+v, %v; want 97 from the delivered event", u, m, err)
	}

	// A second instance on the same store: the stored secret, no new
	// registration.
	before := registrations(srv)
	_, h2 := newInstance()
	if code := deliver(t, h2, secret, "evt_second", "customer.updated", time.Now(),
		map[string]any{"customer": map[string]any{"id": "cus_r", "name": "Ada"}}); code != http.StatusOK {
		t.Fatalf("the second instance answered %d to a delivery signed with the stored secret", code)
	}
	if n := registrations(srv) - before; n != 0 {
		t.Fatalf("the second instance registered %d times; want it to use the stored registration", n)
	}

	// The GET status names the endpoint and no secret.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, webhookPath, nil))
	var st readmodel.WebhookStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || !st.Registered || st.EndpointID != ep.ID || st.Processed == 0 {
		t.Fatalf("GET = %s, %v", rec.Body, err)
	}

	// A bad delivery, to have something logged.
	if code := deliver(t, h, "whsec_wrong", "evt_bad", "customer.updated", time.Now(), map[string]any{}); code != http.StatusUnauthorized {
		t.Fatalf("a delivery signed with another secret answered %d, want 401", code)
	}
	printed := fmt.Sprintf("%v %+v %#v %v %+v %#v %v", rm, rm, rm, h, h, h, ep) + rec.Body.String() + logs.String() + errs.text()
	if strings.Contains(printed, secret) {
		t.Fatal("the signing secret appears in a printout, a log, an error or an answer")
	}
	// Every fmt verb (%p and %w included), nested every way, every encoding.
	redactcheck.NoSecret(t, "*ReadModel", rm, secret)
	redactcheck.NoSecret(t, "registered handler", h, secret)
}

// TestRegistrationAgainAfterFailures: see storetest.RunRegistration
// (storetests runs it on SQLite and PostgreSQL).
func TestRegistrationAgainAfterFailures(t *testing.T) {
	storetest.RunRegistration(t, func(*testing.T) readmodel.Store { return readmodel.NewMemoryStore() })
}

// TestRegistrationOnFirstRequest: without Register, the handler's first
// request registers (the URL comes from the option, never the request).
func TestRegistrationOnFirstRequest(t *testing.T) {
	_, api, srv := platformModel(t)
	store := readmodel.NewMemoryStore()
	rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store),
		readmodel.WithRegistration(api.WebhookEndpoints, readmodel.Registration{URL: "https://app.example.com/hooks", Events: []string{"usage.updated"}}))
	if err != nil {
		t.Fatal(err)
	}
	h, err := rm.RegisteredWebhookHandler()
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/hooks", nil)
	req.Header.Set("X-Guapocado-Public-Url", "https://attacker.example/steal")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var st readmodel.WebhookStatus
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil || !st.Registered || st.URL != "https://app.example.com/hooks" {
		t.Fatalf("GET = %s, %v; want the endpoint registered at the configured URL", rec.Body, err)
	}
	var body string
	for _, r := range srv.Requests() {
		if r.Path == "/v1/webhook-endpoints/register" {
			body = string(r.Body)
		}
	}
	if !strings.Contains(body, `"events":["usage.updated"]`) || !strings.Contains(body, `"registrationKey":"readmodel:/hooks"`) {
		t.Fatalf("registration body %s", body)
	}
	_ = storedSecret(t, store, "readmodel:/hooks")
	// A POST without a signature is refused as by the plain handler.
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/hooks", io.NopCloser(strings.NewReader(`{"id":"evt_1","type":"x"}`))))
	if rec.Code != http.StatusBadRequest {
		t.Fatalf("unsigned POST answered %d, want 400", rec.Code)
	}
}

// TestRegistrationRefusedConfigurations: WithRegistration needs a platform
// client, a store that keeps secrets and an absolute URL; Register and
// RegisteredWebhookHandler need WithRegistration.
func TestRegistrationRefusedConfigurations(t *testing.T) {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := guapocado.NewClient(srv.URL, guapocado.WithBearerToken(sess.Token))
	if err != nil {
		t.Fatal(err)
	}
	good := readmodel.Registration{URL: "https://app.example.com/hooks"}
	for name, tc := range map[string]struct {
		b    *guapocado.Billing
		opts []readmodel.Option
	}{
		"session client": {&sc.Billing, []readmodel.Option{readmodel.WithRegistration(api.WebhookEndpoints, good)}},
		"no secrets":     {&api.Billing, []readmodel.Option{readmodel.WithStore(recordsOnly{readmodel.NewMemoryStore()}), readmodel.WithRegistration(api.WebhookEndpoints, good)}},
		"relative URL":   {&api.Billing, []readmodel.Option{readmodel.WithRegistration(api.WebhookEndpoints, readmodel.Registration{URL: "/hooks"})}},
		"no client":      {&api.Billing, []readmodel.Option{readmodel.WithRegistration(guapocado.WebhookEndpointsService{}, good)}},
		"negative":       {&api.Billing, []readmodel.Option{readmodel.WithRegistration(api.WebhookEndpoints, readmodel.Registration{URL: good.URL, MaxFailures: -1})}},
	} {
		if rm, err := readmodel.New(tc.b, tc.opts...); rm != nil || !errors.Is(err, readmodel.ErrInvalidArgument) {
			t.Errorf("%s: New = %v, %v; want ErrInvalidArgument", name, rm, err)
		}
	}
	rm, err := readmodel.New(&api.Billing)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rm.Register(context.Background()); !errors.Is(err, readmodel.ErrNoRegistration) {
		t.Errorf("Register without WithRegistration = %v", err)
	}
	if _, err := rm.RegisteredWebhookHandler(); !errors.Is(err, readmodel.ErrNoRegistration) {
		t.Errorf("RegisteredWebhookHandler without WithRegistration = %v", err)
	}
}

// recordsOnly is a Store that keeps no secrets.
type recordsOnly struct{ s *readmodel.MemoryStore }

func (r recordsOnly) Get(ctx context.Context, k string) (readmodel.Record, bool, error) {
	return r.s.Get(ctx, k)
}
func (r recordsOnly) Put(ctx context.Context, rec readmodel.Record) (bool, error) {
	return r.s.Put(ctx, rec)
}
func (r recordsOnly) Delete(ctx context.Context, k string, at time.Time) (bool, error) {
	return r.s.Delete(ctx, k, at)
}
func (r recordsOnly) List(ctx context.Context, p string) ([]readmodel.Record, error) {
	return r.s.List(ctx, p)
}
func (r recordsOnly) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	return r.s.Claim(ctx, id, ttl)
}
func (r recordsOnly) Complete(ctx context.Context, id string, ttl time.Duration) error {
	return r.s.Complete(ctx, id, ttl)
}
func (r recordsOnly) Completed(ctx context.Context, id string) (bool, error) {
	return r.s.Completed(ctx, id)
}
func (r recordsOnly) Release(ctx context.Context, id string) error {
	return r.s.Release(ctx, id)
}
