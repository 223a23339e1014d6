package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	"github.com/guapocado/guapocado-go/internal/jsonmsg"
)

// The clients' own webhook calls: the session client's receiver status
// (Client.Webhook) and the platform client's endpoint registration
// (APIClient.WebhookEndpoints). Verifying and handling deliveries is the
// webhook package's (github.com/guapocado/guapocado-go/webhook).

// Webhook receiver registration states reported by WebhookStatus.Status.
const (
	WebhookStatusActive          = "active"
	WebhookStatusPendingApproval = "pending_approval"
)

// WebhookService reads the app's webhook receiver. Get it as Client.Webhook.
type WebhookService struct{ c *core }

// Status returns the registration of the Better Auth app's webhook receiver
// (GET {base}/guap, see WithWebhookPath). It needs no session. Each call makes
// the plugin (re)register the receiver with the platform, so call it when
// checking a deployment, not per request. A receiver that is not configured
// answers Enabled false.
func (s WebhookService) Status(ctx context.Context) (*WebhookStatus, error) {
	var st WebhookStatus
	if err := s.c.call(ctx, &actWebhookStatus, &callArgs{}, &st); err != nil {
		return nil, err
	}
	return &st, nil
}

// WebhookStatus is the Better Auth receiver's registration, as answered by
// GET /api/auth/guap: {enabled:true, id, status, url, events:"*"|[…],
// relay:null|{…}} or {enabled:false}.
type WebhookStatus struct {
	Enabled bool
	ID      string
	// Status is WebhookStatusActive, WebhookStatusPendingApproval or
	// another state the platform added.
	Status string
	URL    string
	// AllEvents is true when the receiver subscribes to every type
	// (events:"*"); Events is then nil.
	AllEvents bool
	Events    []string
	// Relay is the relay configuration as sent, nil when null or absent.
	Relay json.RawMessage
}

type whStatusWire struct {
	Enabled bool            `json:"enabled"`
	ID      string          `json:"id,omitempty"`
	Status  string          `json:"status,omitempty"`
	URL     string          `json:"url,omitempty"`
	Events  json.RawMessage `json:"events,omitempty"`
	Relay   json.RawMessage `json:"relay,omitempty"`
}

// UnmarshalJSON reads the wire form; events may be "*", an array of types
// or a single type.
func (s *WebhookStatus) UnmarshalJSON(b []byte) error {
	if string(bytes.TrimSpace(b)) == "null" {
		return nil
	}
	var w whStatusWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	out := WebhookStatus{Enabled: w.Enabled, ID: w.ID, Status: w.Status, URL: w.URL}
	if r := bytes.TrimSpace(w.Relay); len(r) > 0 && string(r) != "null" {
		out.Relay = bytes.Clone(r)
	}
	ev := bytes.TrimSpace(w.Events)
	switch {
	case len(ev) == 0 || string(ev) == "null":
	case ev[0] == '"':
		var one string
		if err := json.Unmarshal(ev, &one); err != nil {
			return err
		}
		if one == "*" {
			out.AllEvents = true
		} else {
			out.Events = []string{one}
		}
	case ev[0] == '[':
		if err := json.Unmarshal(ev, &out.Events); err != nil {
			return fmt.Errorf("guapocado: webhook status events: %s", jsonmsg.Describe(err))
		}
		if out.Events == nil {
			out.Events = []string{}
		}
	default:
		return errors.New(`guapocado: webhook status events is neither "*" nor an array`)
	}
	*s = out
	return nil
}

// MarshalJSON writes the wire form.
func (s WebhookStatus) MarshalJSON() ([]byte, error) {
	w := whStatusWire{Enabled: s.Enabled, ID: s.ID, Status: s.Status, URL: s.URL, Relay: s.Relay}
	if s.Enabled && s.Relay == nil {
		w.Relay = json.RawMessage("null")
	}
	switch {
	case s.AllEvents:
		w.Events = json.RawMessage(`"*"`)
	case s.Events != nil:
		b, err := json.Marshal(s.Events)
		if err != nil {
			return nil, err
		}
		w.Events = b
	}
	return json.Marshal(w)
}

// Subscribed reports whether the receiver gets events of eventType.
func (s *WebhookStatus) Subscribed(eventType string) bool {
	if !s.Enabled {
		return false
	}
	if s.AllEvents {
		return true
	}
	for _, e := range s.Events {
		if e == eventType || e == "*" {
			return true
		}
	}
	return false
}

// WebhookEndpointParams describe a webhook receiver to register.
type WebhookEndpointParams struct {
	// URL is the receiver's absolute URL.
	URL string
	// AllEvents subscribes to every event type (events "*"); else Events
	// lists the types. With neither, the platform chooses (all).
	AllEvents   bool
	Events      []string
	Description string
	Integration string
	// RegistrationKey makes the registration idempotent: registering the
	// same key again updates that endpoint and keeps its id and secret.
	RegistrationKey string
}

// WebhookEndpoint is a registered webhook receiver.
type WebhookEndpoint struct {
	ID string
	// Status is WebhookStatusActive, WebhookStatusPendingApproval or
	// another state the platform added.
	Status string
	URL    string
	// AllEvents is true when the endpoint receives every type (events "*");
	// Events is then nil.
	AllEvents bool
	Events    []string
	// SigningSecret verifies the endpoint's deliveries (see package
	// webhook): pass SigningSecret.Reveal() to webhook.NewHandler. No
	// rendering of the endpoint or of the Secret shows it.
	SigningSecret Secret
}

// String describes the endpoint without its signing secret.
func (w WebhookEndpoint) String() string {
	events := "[" + strings.Join(w.Events, " ") + "]"
	if w.AllEvents {
		events = "*"
	}
	return "WebhookEndpoint{ID:" + w.ID + " Status:" + w.Status + " URL:" + w.URL +
		" Events:" + events + " SigningSecret:" + SecretRedacted + "}"
}

// GoString is String: %#v never shows the signing secret.
func (w WebhookEndpoint) GoString() string { return w.String() }

// Format prints String for every fmt verb (%q quotes it): fmt would
// otherwise print the fields, the signing secret included, for verbs that
// String does not cover (%d, %t, %x…).
func (w WebhookEndpoint) Format(f fmt.State, verb rune) {
	s := w.String()
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// LogValue logs the endpoint without its signing secret.
func (w WebhookEndpoint) LogValue() slog.Value {
	return slog.GroupValue(slog.String("id", w.ID), slog.String("status", w.Status), slog.String("url", w.URL),
		slog.Bool("allEvents", w.AllEvents), slog.Any("events", w.Events), slog.String("signingSecret", SecretRedacted))
}

// MarshalJSON writes the endpoint with its signing secret redacted
// (SecretRedacted, "" when empty): JSON goes to logs and caches, and the
// secret belongs in a secret store (SigningSecret.Reveal() gives it).
func (w WebhookEndpoint) MarshalJSON() ([]byte, error) {
	var events any = w.Events
	if w.AllEvents {
		events = "*"
	}
	return json.Marshal(struct {
		ID            string `json:"id"`
		Status        string `json:"status"`
		URL           string `json:"url"`
		Events        any    `json:"events"`
		SigningSecret Secret `json:"signingSecret"`
	}{w.ID, w.Status, w.URL, events, w.SigningSecret})
}

// UnmarshalJSON reads {id, status, url, events:"*"|[…], signingSecret}. A
// signingSecret of SecretRedacted (what MarshalJSON writes) decodes as the
// empty Secret.
func (w *WebhookEndpoint) UnmarshalJSON(b []byte) error {
	var v struct {
		ID            string          `json:"id"`
		Status        string          `json:"status"`
		URL           string          `json:"url"`
		Events        json.RawMessage `json:"events"`
		SigningSecret string          `json:"signingSecret"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.SigningSecret == SecretRedacted {
		v.SigningSecret = ""
	}
	*w = WebhookEndpoint{ID: v.ID, Status: v.Status, URL: v.URL, SigningSecret: NewSecret(v.SigningSecret)}
	if len(v.Events) > 0 && string(v.Events) != "null" {
		var one string
		if json.Unmarshal(v.Events, &one) == nil {
			if one == "*" {
				w.AllEvents = true
			} else {
				w.Events = []string{one}
			}
		} else if err := json.Unmarshal(v.Events, &w.Events); err != nil {
			return err
		}
	}
	return nil
}

// WebhookEndpointsService registers webhook receivers. Get it as
// APIClient.WebhookEndpoints.
type WebhookEndpointsService struct{ c *core }

// Register registers (or, with the same RegistrationKey, updates) a webhook
// receiver and returns it with its signing secret
// (POST /v1/webhook-endpoints/register). It is idempotent.
func (s WebhookEndpointsService) Register(ctx context.Context, params *WebhookEndpointParams) (*WebhookEndpoint, error) {
	if params == nil {
		return nil, &ValidationError{Field: "params", Reason: "must not be nil"}
	}
	if err := checkAbsoluteURL("url", params.URL); err != nil {
		return nil, err
	}
	if err := checkKeys("events", params.Events); err != nil {
		return nil, err
	}
	in := struct {
		URL             string `json:"url"`
		Events          any    `json:"events,omitempty"`
		Description     string `json:"description,omitempty"`
		Integration     string `json:"integration,omitempty"`
		RegistrationKey string `json:"registrationKey,omitempty"`
	}{URL: params.URL, Description: params.Description, Integration: params.Integration, RegistrationKey: params.RegistrationKey}
	switch {
	case params.AllEvents || len(params.Events) == 1 && params.Events[0] == "*":
		in.Events = "*"
	case len(params.Events) > 0:
		in.Events = params.Events
	}
	var w WebhookEndpoint
	if err := s.c.call(ctx, &actWebhookEndpointRegister, &callArgs{in: &in}, &w); err != nil {
		return nil, err
	}
	return &w, nil
}
