package guapocado

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// ---------------------------------------------------------------------------
// Events

// Event is a Guapocado webhook event envelope:
// {id, type, createdAt, source, data}.
type Event struct {
	// ID ("evt_…") identifies the event across redeliveries: delivery is
	// at least once, so deduplicate on it. It may be empty in hand-made
	// test events.
	ID string
	// Type is one of the Event* constants or a type this SDK does not know.
	Type string
	// CreatedAt is zero when the envelope has none.
	CreatedAt time.Time
	// Source tells what caused the event.
	Source EventSource
	// Data is the type-specific payload, byte for byte; decode it with the
	// typed accessors (CustomerUpdated, …) or DecodeData.
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
// another type. It matches ErrWebhookEventType.
type EventTypeError struct {
	Want string // the accessor's type
	Got  string // the event's type
}

// Error says which event type was expected and which arrived.
func (e *EventTypeError) Error() string {
	return fmt.Sprintf("guapocado: webhook event is %q, not %q", e.Got, e.Want)
}

// Is makes errors.Is(err, ErrWebhookEventType) true.
func (e *EventTypeError) Is(target error) bool { return target == ErrWebhookEventType }

type whEnvelope struct {
	ID        string          `json:"id,omitempty"`
	Type      string          `json:"type"`
	CreatedAt json.RawMessage `json:"createdAt,omitempty"`
	Source    *EventSource    `json:"source,omitempty"`
	Data      json.RawMessage `json:"data,omitempty"`
}

// ParseEvent parses an event envelope without verifying it: use it only on
// payloads already verified (or ConstructEvent). Unknown event types parse
// normally, with Data intact. The envelope must be a JSON object with a
// string type; id, createdAt (ISO-8601), source and data are optional.
// Errors match ErrWebhookMalformedPayload.
func ParseEvent(payload []byte) (*Event, error) {
	return whParseEvent(payload, true)
}

func whParseEvent(payload []byte, copyRaw bool) (*Event, error) {
	p := bytes.TrimLeft(payload, " \t\r\n")
	if len(p) == 0 || p[0] != '{' {
		return nil, fmt.Errorf("%w: not a JSON object", ErrWebhookMalformedPayload)
	}
	var env whEnvelope
	if err := json.Unmarshal(payload, &env); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrWebhookMalformedPayload, whJSONErr(err))
	}
	if env.Type == "" {
		return nil, whErrNoTypeEvt
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
			return nil, fmt.Errorf("%w: createdAt is not a string", ErrWebhookMalformedPayload)
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return nil, fmt.Errorf("%w: createdAt is not an ISO-8601 time", ErrWebhookMalformedPayload)
		}
		ev.CreatedAt = t
	}
	return ev, nil
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
	return err.Error() // a time that is not RFC 3339, from time.Time
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

// MarshalJSON encodes the envelope (Raw is not used).
func (e Event) MarshalJSON() ([]byte, error) {
	env := whEnvelope{ID: e.ID, Type: e.Type, Data: e.Data}
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
func (e *Event) DecodeData(v any) error {
	if len(bytes.TrimSpace(e.Data)) == 0 {
		return fmt.Errorf("%w: %s event has no data", ErrWebhookMalformedPayload, e.Type)
	}
	if err := json.Unmarshal(e.Data, v); err != nil {
		return fmt.Errorf("%w: %s data: %s", ErrWebhookMalformedPayload, e.Type, whJSONErr(err))
	}
	return nil
}

func whData[T any](e *Event, typ string) (*T, error) {
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
// an *EventTypeError for another type and an ErrWebhookMalformedPayload
// error when the data has another shape.
func (e *Event) CustomerUpdated() (*CustomerUpdated, error) {
	return whData[CustomerUpdated](e, EventCustomerUpdated)
}

// SubscriptionUpdated decodes the data of a subscription.updated event.
func (e *Event) SubscriptionUpdated() (*SubscriptionUpdated, error) {
	return whData[SubscriptionUpdated](e, EventSubscriptionUpdated)
}

// PurchaseCompleted decodes the data of a purchase.completed event.
func (e *Event) PurchaseCompleted() (*PurchaseCompleted, error) {
	return whData[PurchaseCompleted](e, EventPurchaseCompleted)
}

// PurchaseUpdated decodes the data of a purchase.updated event.
func (e *Event) PurchaseUpdated() (*PurchaseUpdated, error) {
	return whData[PurchaseUpdated](e, EventPurchaseUpdated)
}

// EntitlementsUpdated decodes the data of an entitlements.updated event.
func (e *Event) EntitlementsUpdated() (*EntitlementsUpdated, error) {
	return whData[EntitlementsUpdated](e, EventEntitlementsUpdated)
}

// InvoiceUpdated decodes the data of an invoice.updated event.
func (e *Event) InvoiceUpdated() (*InvoiceUpdated, error) {
	return whData[InvoiceUpdated](e, EventInvoiceUpdated)
}

// UsageUpdated decodes the data of a usage.updated event.
func (e *Event) UsageUpdated() (*UsageUpdated, error) {
	return whData[UsageUpdated](e, EventUsageUpdated)
}

// WebhookCustomer is the customer in a customer.updated event.
type WebhookCustomer struct {
	ID               string         `json:"id"`
	StripeCustomerID string         `json:"stripeCustomerId,omitempty"`
	Name             string         `json:"name,omitempty"`
	Email            string         `json:"email,omitempty"`
	Metadata         map[string]any `json:"metadata,omitempty"`
	CreatedAt        *time.Time     `json:"createdAt,omitempty"`
	UpdatedAt        *time.Time     `json:"updatedAt,omitempty"`
}

// CustomerUpdated is the data of a customer.updated event.
type CustomerUpdated struct {
	Customer WebhookCustomer `json:"customer"`
}

// WebhookSubscription is the subscription in a subscription.updated event.
type WebhookSubscription struct {
	ID                   string     `json:"id"`
	CustomerID           string     `json:"customerId"`
	StripeSubscriptionID string     `json:"stripeSubscriptionId,omitempty"`
	PlanKey              string     `json:"planKey"`
	Status               string     `json:"status"`
	CurrentPeriodStart   *time.Time `json:"currentPeriodStart,omitempty"`
	CurrentPeriodEnd     *time.Time `json:"currentPeriodEnd,omitempty"`
	CancelAtPeriodEnd    bool       `json:"cancelAtPeriodEnd"`
}

// SubscriptionUpdated is the data of a subscription.updated event:
// {subscription:{…}}. A flat {customerId, planKey, …} (as in hand-made test
// events) is read as the subscription itself.
type SubscriptionUpdated struct {
	Subscription WebhookSubscription `json:"subscription"`
}

// UnmarshalJSON accepts {subscription:{…}} and the flat form.
func (s *SubscriptionUpdated) UnmarshalJSON(b []byte) error {
	var w struct {
		Subscription *WebhookSubscription `json:"subscription"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Subscription != nil {
		s.Subscription = *w.Subscription
		return nil
	}
	return json.Unmarshal(b, &s.Subscription)
}

// Purchase is a one-time purchase in purchase events. Amounts are in the
// currency's smallest unit.
type Purchase struct {
	ID                      string     `json:"id"`
	CustomerID              string     `json:"customerId"`
	ProductKey              string     `json:"productKey"`
	Status                  string     `json:"status"` // pending, completed, failed, partially_refunded, refunded
	Amount                  int64      `json:"amount"`
	AmountRefunded          *int64     `json:"amountRefunded,omitempty"`
	Currency                string     `json:"currency"`
	Quantity                int64      `json:"quantity"`
	StripeCheckoutSessionID string     `json:"stripeCheckoutSessionId,omitempty"`
	StripePaymentIntentID   string     `json:"stripePaymentIntentId,omitempty"`
	CompletedAt             *time.Time `json:"completedAt,omitempty"`
}

// Grant is an entitlement granted by a purchase or a subscription.
type Grant struct {
	EntitlementKey string `json:"entitlementKey"`
	GrantType      string `json:"grantType"` // feature, meter_credit, limit_increment
	Amount         int64  `json:"amount"`
}

// PurchaseCompleted is the data of a purchase.completed event.
type PurchaseCompleted struct {
	Purchase Purchase `json:"purchase"`
	Grants   []Grant  `json:"grants"`
}

// PurchaseUpdated is the data of a purchase.updated event.
type PurchaseUpdated struct {
	Purchase Purchase `json:"purchase"`
}

// EntitlementsUpdated is the data of an entitlements.updated event. Reason
// is "purchase.completed" (PurchaseID set) or "subscription.updated"
// (SubscriptionID set).
type EntitlementsUpdated struct {
	CustomerID     string  `json:"customerId"`
	Reason         string  `json:"reason"`
	PurchaseID     string  `json:"purchaseId,omitempty"`
	SubscriptionID string  `json:"subscriptionId,omitempty"`
	ProductKey     string  `json:"productKey"`
	Grants         []Grant `json:"grants,omitempty"`
}

// Invoice is the invoice in an invoice.updated event. Amounts are in the
// currency's smallest unit.
type Invoice struct {
	ID               string     `json:"id"`
	CustomerID       string     `json:"customerId"`
	StripeInvoiceID  string     `json:"stripeInvoiceId,omitempty"`
	SubscriptionID   string     `json:"subscriptionId,omitempty"`
	Status           string     `json:"status"`
	AmountDue        int64      `json:"amountDue"`
	AmountPaid       int64      `json:"amountPaid"`
	Currency         string     `json:"currency"`
	PeriodStart      *time.Time `json:"periodStart,omitempty"`
	PeriodEnd        *time.Time `json:"periodEnd,omitempty"`
	HostedInvoiceURL string     `json:"hostedInvoiceUrl,omitempty"`
	PDFURL           string     `json:"pdfUrl,omitempty"`
}

// InvoiceUpdated is the data of an invoice.updated event.
type InvoiceUpdated struct {
	Invoice Invoice `json:"invoice"`
}

// UsageUpdated is the data of a usage.updated event. The contract does not
// fix its shape: the fields follow the usage balance of the API
// ({customerId, key, balance, included, consumed, overage, …}); Raw keeps
// the data as sent, so fields added by the platform are not lost.
type UsageUpdated struct {
	CustomerID     string          `json:"customerId"`
	Key            string          `json:"key"`
	Balance        float64         `json:"balance"`
	Included       float64         `json:"included"`
	Consumed       float64         `json:"consumed"`
	Overage        float64         `json:"overage"`
	OverageAllowed bool            `json:"overageAllowed"`
	OverageEnabled bool            `json:"overageEnabled"`
	Resets         *time.Time      `json:"resets,omitempty"`
	Raw            json.RawMessage `json:"-"`
}

// UnmarshalJSON decodes the known fields and keeps the data in Raw.
func (u *UsageUpdated) UnmarshalJSON(b []byte) error {
	type plain UsageUpdated
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*u = UsageUpdated(p)
	u.Raw = bytes.Clone(b)
	return nil
}
