package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/webhook"
)

// Registration describes the webhook endpoint that [WithRegistration]
// registers with the platform.
type Registration struct {
	// URL is the app's public URL of the handler
	// [ReadModel.RegisteredWebhookHandler] returns, as the platform will
	// call it (required: an absolute http or https URL). It is never taken
	// from a request.
	URL string
	// Events are the event types to receive; nil receives every type.
	Events []string
	// Description is shown in the platform's dashboard (default
	// "guapocado-go read model").
	Description string
	// Key makes the registration idempotent: every instance, and every
	// restart, that registers the same key updates one endpoint and gets
	// its signing secret. The default is "readmodel:" followed by URL's
	// path.
	Key string
	// MaxFailures is how many deliveries in a row whose signature matches
	// neither this instance's secret nor the store's make the instance
	// register again (default 3): the platform answers the endpoint's
	// current secret, so a secret rotated on the platform is picked up.
	MaxFailures int
	// Cooldown is the least time between two registrations one instance
	// makes after failures (default 5 minutes): anyone can post a delivery
	// with a bad signature, and this bounds the registrations they cause.
	Cooldown time.Duration
}

// The defaults of Registration.
const (
	DefaultRegistrationMaxFailures = 3
	DefaultRegistrationCooldown    = 5 * time.Minute
)

// ErrNoRegistration is returned by [ReadModel.Register] and
// [ReadModel.RegisteredWebhookHandler] on a read model made without
// [WithRegistration].
var ErrNoRegistration = errors.New("readmodel: no webhook registration configured (WithRegistration)")

// WithRegistration makes the read model register the app's webhook
// endpoint with the platform (POST /v1/webhook-endpoints/register through
// endpoints, an APIClient's WebhookEndpoints) and keep the answer, the
// endpoint's signing secret included, in the store, which must be a
// [SecretStore] (the shipped stores are): every instance sharing the store
// then uses one registration and one secret. The read model must be over a
// platform client. Registration happens on [ReadModel.Register] (at
// start, for example), or else on the first request to the handler of
// [ReadModel.RegisteredWebhookHandler]; that handler registers again
// after repeated signature failures (see [Registration]). The secret is
// never logged, printed, or put in an error or an answer.
func WithRegistration(endpoints guapocado.WebhookEndpointsService, reg Registration) Option {
	return modelOption(func(c *modelConfig) {
		if endpoints == (guapocado.WebhookEndpointsService{}) {
			c.fail(invalid("WithRegistration: a WebhookEndpointsService of no client (use api.WebhookEndpoints)"))
			return
		}
		u, err := url.Parse(reg.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			c.fail(invalid("WithRegistration: URL %q is not an absolute http(s) URL", reg.URL))
			return
		}
		if reg.MaxFailures < 0 || reg.Cooldown < 0 {
			c.fail(invalid("WithRegistration: MaxFailures and Cooldown must not be negative"))
			return
		}
		if reg.MaxFailures == 0 {
			reg.MaxFailures = DefaultRegistrationMaxFailures
		}
		if reg.Cooldown == 0 {
			reg.Cooldown = DefaultRegistrationCooldown
		}
		if reg.Description == "" {
			reg.Description = "guapocado-go read model"
		}
		if reg.Key == "" {
			path := u.EscapedPath()
			if path == "" {
				path = "/"
			}
			reg.Key = "readmodel:" + path
		}
		reg.Events = append([]string(nil), reg.Events...)
		c.webhookSide().registration = &registrationConfig{endpoints: endpoints, reg: reg}
	})
}

type registrationConfig struct {
	endpoints guapocado.WebhookEndpointsService
	reg       Registration
}

// registrar is a read model's registration state.
type registrar struct {
	registrationConfig
	store SecretStore
	name  string // the registration's name in the store

	current atomic.Pointer[registered]

	registerMu sync.Mutex // one registration at a time in this instance

	mu             sync.Mutex
	failures       int
	lastRegistered int64 // Unix ns by the read model's clock; 0: never
}

func newRegistrar(c *registrationConfig, store Store, platform bool) (*registrar, error) {
	if !platform {
		return nil, invalid("WithRegistration: the read model must be over a platform client (NewAPIClient)")
	}
	ss, ok := store.(SecretStore)
	if !ok {
		return nil, invalid("WithRegistration: the store %T does not keep secrets (SecretStore)", store)
	}
	return &registrar{registrationConfig: *c, store: ss, name: "webhook-registration:" + c.reg.Key}, nil
}

// registered is one registration: the endpoint and its signing secret.
type registered struct {
	ep      Endpoint
	secret  guapocado.Secret
	version int64
}

// String never shows the secret.
func (r *registered) String() string {
	return "readmodel.registration{ID:" + r.ep.ID + " Status:" + r.ep.Status + " URL:" + r.ep.URL + " SigningSecret:[redacted]}"
}

// GoString is String.
func (r *registered) GoString() string { return r.String() }

// LogValue never shows the secret.
func (r *registered) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", r.ep.ID), slog.String("status", r.ep.Status), slog.String("url", r.ep.URL),
		slog.String("signingSecret", "[redacted]"))
}

// registrationRecord is the registration as the store keeps it.
type registrationRecord struct {
	ID            string `json:"id"`
	Status        string `json:"status"`
	URL           string `json:"url"`
	SigningSecret string `json:"signingSecret"`
}

// Register registers the webhook endpoint of [WithRegistration] with the
// platform now, stores the registration (signing secret included) for
// every instance sharing the store, and returns the endpoint (its id,
// status and URL; a new endpoint may wait in status pending_approval
// until it is approved in the dashboard). Registering again with the same
// key is harmless. Without WithRegistration it returns
// [ErrNoRegistration].
func (rm *ReadModel) Register(ctx context.Context) (Endpoint, error) {
	if rm.reg == nil {
		return Endpoint{}, ErrNoRegistration
	}
	cur, err := rm.register(ctx)
	if err != nil {
		return Endpoint{}, err
	}
	return cur.ep, nil
}

// register registers now and keeps the answer (or a newer one another
// instance stored meanwhile).
func (rm *ReadModel) register(ctx context.Context) (*registered, error) {
	rm.reg.registerMu.Lock()
	defer rm.reg.registerMu.Unlock()
	return rm.registerLocked(ctx)
}

// registerLocked is register with registerMu held.
func (rm *ReadModel) registerLocked(ctx context.Context) (*registered, error) {
	g := rm.reg
	g.mu.Lock()
	g.lastRegistered, g.failures = max(rm.nowNs(), 1), 0
	g.mu.Unlock()
	ep, err := g.endpoints.Register(ctx, &guapocado.WebhookEndpointParams{URL: g.reg.URL, AllEvents: len(g.reg.Events) == 0,
		Events: g.reg.Events, Description: g.reg.Description, Integration: "guapocado-go/readmodel", RegistrationKey: g.reg.Key})
	if err != nil {
		return nil, fmt.Errorf("readmodel: register the webhook endpoint %s: %w", g.reg.URL, err)
	}
	if ep.SigningSecret.IsZero() {
		return nil, fmt.Errorf("readmodel: register the webhook endpoint %s: the platform answered no signing secret", g.reg.URL)
	}
	version := rm.now()
	cur := &registered{ep: Endpoint{ID: ep.ID, Status: ep.Status, URL: ep.URL}, secret: ep.SigningSecret, version: unixNano(version)}
	raw, err := json.Marshal(registrationRecord{ID: ep.ID, Status: ep.Status, URL: ep.URL, SigningSecret: ep.SigningSecret.Reveal()})
	if err != nil {
		return nil, fmt.Errorf("readmodel: encode the webhook registration: %w", err)
	}
	won, err := g.store.PutSecret(context.WithoutCancel(ctx), g.name, raw, version)
	switch {
	case err != nil:
		// This instance can verify deliveries; the others cannot see the
		// secret until a write succeeds.
		rm.report(fmt.Errorf("readmodel: store the webhook registration: %w", err))
	case !won:
		if newer, err := rm.loadRegistration(ctx); err == nil && newer != nil {
			return newer, nil
		}
	}
	g.setCurrent(cur)
	return cur, nil
}

// setCurrent keeps r unless a newer registration is kept already.
func (g *registrar) setCurrent(r *registered) {
	for {
		old := g.current.Load()
		if old != nil && old.version > r.version {
			return
		}
		if g.current.CompareAndSwap(old, r) {
			return
		}
	}
}

// loadRegistration reads the stored registration and keeps it when it is
// newer than this instance's; nil when none is stored.
func (rm *ReadModel) loadRegistration(ctx context.Context) (*registered, error) {
	g := rm.reg
	raw, found, err := g.store.GetSecret(ctx, g.name)
	if err != nil {
		return nil, fmt.Errorf("readmodel: read the webhook registration: %w", err)
	}
	if !found {
		return nil, nil
	}
	var rec registrationRecord
	if err := json.Unmarshal(raw, &rec); err != nil || rec.SigningSecret == "" {
		return nil, errors.New("readmodel: the stored webhook registration does not decode")
	}
	// The version is not stored beside the value: a stored registration
	// counts as newer than what this instance holds when it differs.
	cur := g.current.Load()
	if cur != nil && cur.secret.Reveal() == rec.SigningSecret && cur.ep.ID == rec.ID {
		return cur, nil
	}
	r := &registered{ep: Endpoint{ID: rec.ID, Status: rec.Status, URL: rec.URL}, secret: guapocado.NewSecret(rec.SigningSecret), version: rm.nowNs()}
	g.setCurrent(r)
	return r, nil
}

// ensureRegistered returns the registration this instance uses: its own,
// else the store's, else a new one.
func (rm *ReadModel) ensureRegistered(ctx context.Context) (*registered, error) {
	g := rm.reg
	if cur := g.current.Load(); cur != nil {
		return cur, nil
	}
	if cur, err := rm.loadRegistration(ctx); err != nil || cur != nil {
		return cur, err
	}
	g.registerMu.Lock()
	defer g.registerMu.Unlock()
	if cur := g.current.Load(); cur != nil {
		return cur, nil // another request registered meanwhile
	}
	return rm.registerLocked(ctx)
}

// secretFor returns the registration whose secret signed a delivery:
// cur's; else the store's when another instance registered again; else,
// after MaxFailures deliveries in a row that matched nothing (and the
// cooldown), a new registration. When nothing matches it returns the
// current registration, and the delivery is refused as usual.
func (rm *ReadModel) secretFor(ctx context.Context, body []byte, header string, cur *registered) *registered {
	g := rm.reg
	matches := func(r *registered) bool {
		return webhook.Verify(body, header, r.secret.Reveal(), webhook.WithTolerance(-1)) == nil
	}
	err := webhook.Verify(body, header, cur.secret.Reveal(), webhook.WithTolerance(-1))
	if err == nil {
		g.resetFailures()
		return cur
	}
	if !errors.Is(err, webhook.ErrSignatureMismatch) {
		return cur // no or a malformed signature: not a matter of secrets
	}
	stored, err := rm.loadRegistration(ctx)
	if err != nil {
		rm.report(err)
	} else if stored != nil && stored != cur && matches(stored) {
		g.resetFailures()
		return stored
	}
	g.mu.Lock()
	g.failures++
	now := rm.nowNs()
	due := g.failures >= g.reg.MaxFailures && (g.lastRegistered == 0 || now-g.lastRegistered >= int64(g.reg.Cooldown))
	g.mu.Unlock()
	if !due {
		return g.current.Load()
	}
	fresh, err := rm.register(ctx)
	if err != nil {
		rm.report(fmt.Errorf("%w (after %d deliveries whose signature matched no known secret)", err, g.reg.MaxFailures))
		return g.current.Load()
	}
	if matches(fresh) {
		g.resetFailures()
	}
	return fresh
}

func (g *registrar) resetFailures() {
	g.mu.Lock()
	g.failures = 0
	g.mu.Unlock()
}
