package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
)

// Webhook receiver registration states reported by WebhookStatus.Status.
const (
	WebhookStatusActive          = "active"
	WebhookStatusPendingApproval = "pending_approval"
)

// WebhookService reads the app's webhook receiver. Get it as Client.Webhook.
type WebhookService struct{ c *Client }

// Status returns the registration of the Better Auth app's webhook receiver
// (GET {base}/guap, see WithWebhookPath). It needs no session. Each call makes
// the plugin (re)register the receiver with the platform, so call it when
// checking a deployment, not per request. A receiver that is not configured
// answers Enabled false.
func (s WebhookService) Status(ctx context.Context) (*WebhookStatus, error) {
	var st WebhookStatus
	if err := s.c.do(ctx, "GET", s.c.cfg.webhookPath, false, nil, &st); err != nil {
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
			return fmt.Errorf("guapocado: webhook status events: %s", whJSONErr(err))
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

// whJSONErr describes a decoding error without Go type names.
func whJSONErr(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		if te.Field != "" {
			return fmt.Sprintf("%s is a JSON %s, want %s", te.Field, te.Value, whKind(te.Type.Kind().String()))
		}
		return fmt.Sprintf("a JSON %s where %s was expected", te.Value, whKind(te.Type.Kind().String()))
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return err.Error()
}

func whKind(k string) string {
	switch k {
	case "struct", "map":
		return "an object"
	case "slice", "array":
		return "an array"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	}
	return "a number"
}
