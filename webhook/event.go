package webhook

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"

	"github.com/guapocado/guapocado-go/internal/jsonmsg"
)

// EventType is the type of an event, such as "customer.updated".
// Guapocado may send types this package has no constant for; they are
// parsed and kept intact, never rejected.
type EventType string

// Event types Guapocado sends.
const (
	EventCustomerUpdated     EventType = "customer.updated"
	EventSubscriptionUpdated EventType = "subscription.updated"
	EventPurchaseCompleted   EventType = "purchase.completed"
	EventPurchaseUpdated     EventType = "purchase.updated"
	EventEntitlementsUpdated EventType = "entitlements.updated"
	EventInvoiceUpdated      EventType = "invoice.updated"
	EventUsageUpdated        EventType = "usage.updated"
)

// Event is a Guapocado webhook event envelope:
// {id, type, createdAt, source, data}.
type Event struct {
	// ID ("evt_…") identifies the event across redeliveries: delivery is
	// at least once, so deduplicate on it. It may be empty in hand-made
	// test events.
	ID string
	// Type is one of the Event* constants or a type this package does not
	// know.
	Type EventType
	// CreatedAt is zero when the envelope has none.
	CreatedAt time.Time
	// Source tells what caused the event.
	Source EventSource
	// Data is the type-specific payload, byte for byte; decode it with the
	// typed accessors ([Event.CustomerUpdated], …) or [Event.DecodeData].
	Data json.RawMessage
	// Raw is the whole payload as received.
	Raw json.RawMessage
}

// EventSource is the envelope's source: {provider:"stripe"|"guapocado",
// eventId?, objectId?, objectType?}.
type EventSource struct {
	Provider   string `json:"provider,omitempty"`
	EventID    string `json:"eventId,omitempty"`
	ObjectID   string `json:"objectId,omitempty"`
	ObjectType string `json:"objectType,omitempty"`
}

// EventTypeError is returned by a typed accessor called on an event of
// another type. It matches ErrEventType.
type EventTypeError struct {
	Want EventType // the accessor's type
	Got  EventType // the event's type
}

// Error says which event type was expected and which arrived.
func (e *EventTypeError) Error() string {
	return fmt.Sprintf("guapocado: webhook event is %q, not %q", e.Got, e.Want)
}

// Is makes errors.Is(err, ErrEventType) true.
func (e *EventTypeError) Is(target error) bool { return target == ErrEventType }

type envelope struct {
	ID        string          `json:"id,omitempty"`
	Type      EventType       `json:"type"`
	CreatedAt json.RawMessage `json:"createdAt,omitempty"`
	Source    *EventSource    `json:"source,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// ParseEvent parses an event envelope without verifying it: use it only on
// payloads already verified (or use [ConstructEvent]). Unknown event types
// parse normally, with Data intact. The envelope must be a JSON object with
// a string type; id, createdAt (ISO-8601), source and data are optional.
// Errors match ErrMalformedPayload.
func ParseEvent(payload []byte) (*Event, error) {
	return parseEvent(payload, true)
}

func parseEvent(payload []byte, copyRaw bool) (*Event, error) {
	p := bytes.TrimLeft(payload, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrMalformedPayload)
	}
	var env envelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrMalformedPayload, jsonmsg.Describe(err))
	}
	if env.Type == "" {
		return nil, errNoTypeEvt
	}
	ev := &Event{ID: env.ID, Type: env.Type, Data: env.Data, Raw: payload}
	if copyRaw {
		ev.Raw = bytes.Clone(payload)
	}
	if env.Source != nil {
		ev.Source = *env.Source
	}
	if c := env.CreatedAt; len(c) > 0 && string(c) != "null" {
		var s string
		if err := json.Unmarshal(c, &s); err != nil {
			return nil, fmt.Errorf("%w: createdAt is not a string", ErrMalformedPayload)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%w: createdAt is not an ISO-8601 time", ErrMalformedPayload)
		}
		ev.CreatedAt = t
	}
	return ev, nil
}

// MarshalJSON encodes the envelope (Raw is not used).
func (e Event) MarshalJSON() ([]byte, error) {
	env := envelope{ID: e.ID, Type: e.Type, Data: e.Data}
	if !e.CreatedAt.IsZero() {
		b, err := e.CreatedAt.MarshalJSON()
		if err != nil {
			return nil, err
		}
		env.CreatedAt = b
	}
	if e.Source != (EventSource{}) {
		env.Source = &e.Source
	}
	return json.Marshal(env)
}

// DecodeData decodes e.Data into v, for event types without an accessor.
// Errors match ErrMalformedPayload.
func (e *Event) DecodeData(v any) error {
	if len(bytes.TrimSpace(e.Data)) == 0 {
		return fmt.Errorf("%w: %s event has no data", ErrMalformedPayload, e.Type)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: %s data: %s", ErrMalformedPayload, e.Type, jsonmsg.Describe(err))
	}
	return nil
}

func decodeData[T any](e *Event, typ EventType) (*T, error) {
	if e.Type != typ {
		return nil, &EventTypeError{Want: typ, Got: e.Type}
	}
	v := new(T)
	if err := e.DecodeData(v); err != nil {
		return nil, err
	}
	return v, nil
}

// CustomerUpdated decodes the data of a customer.updated event. It returns
// an *EventTypeError for another type and an ErrMalformedPayload error when
// the data has another shape. The other accessors behave the same.
func (e *Event) CustomerUpdated() (*CustomerUpdated, error) {
	return decodeData[CustomerUpdated](e, EventCustomerUpdated)
}

// SubscriptionUpdated decodes the data of a subscription.updated event.
func (e *Event) SubscriptionUpdated() (*SubscriptionUpdated, error) {
	return decodeData[SubscriptionUpdated](e, EventSubscriptionUpdated)
}

// PurchaseCompleted decodes the data of a purchase.completed event.
func (e *Event) PurchaseCompleted() (*PurchaseCompleted, error) {
	return decodeData[PurchaseCompleted](e, EventPurchaseCompleted)
}

// PurchaseUpdated decodes the data of a purchase.updated event.
func (e *Event) PurchaseUpdated() (*PurchaseUpdated, error) {
	return decodeData[PurchaseUpdated](e, EventPurchaseUpdated)
}

// EntitlementsUpdated decodes the data of an entitlements.updated event.
func (e *Event) EntitlementsUpdated() (*EntitlementsUpdated, error) {
	return decodeData[EntitlementsUpdated](e, EventEntitlementsUpdated)
}

// InvoiceUpdated decodes the data of an invoice.updated event.
func (e *Event) InvoiceUpdated() (*InvoiceUpdated, error) {
	return decodeData[InvoiceUpdated](e, EventInvoiceUpdated)
}

// UsageUpdated decodes the data of a usage.updated event.
func (e *Event) UsageUpdated() (*UsageUpdated, error) {
	return decodeData[UsageUpdated](e, EventUsageUpdated)
}
