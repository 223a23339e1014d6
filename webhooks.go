package guapocado

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Webhook headers and defaults.
const (
	// WebhookSignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>"
	// with one or more v1 entries.
	WebhookSignatureHeader = "guapocado-signature"
	// WebhookEndpointIDHeader names the receiving endpoint (for example "we_000004").
	WebhookEndpointIDHeader = "guapocado-endpoint-id"
	// DefaultWebhookTolerance is how far a signature timestamp may be from now.
	DefaultWebhookTolerance = 300 * time.Second
	// DefaultWebhookMaxBodyBytes caps the body a WebhookHandler reads (1 MiB).
	DefaultWebhookMaxBodyBytes int64 = 1 << 20
	// DefaultWebhookDedupeCapacity is how many event ids the default
	// in-memory deduper of a WebhookHandler remembers.
	DefaultWebhookDedupeCapacity = 10000
)

// Event types Guapocado sends. Other types may appear; they are parsed and
// kept intact, never rejected.
const (
	EventCustomerUpdated     = "customer.updated"
	EventSubscriptionUpdated = "subscription.updated"
	EventPurchaseCompleted   = "purchase.completed"
	EventPurchaseUpdated     = "purchase.updated"
	EventEntitlementsUpdated = "entitlements.updated"
	EventInvoiceUpdated      = "invoice.updated"
	EventUsageUpdated        = "usage.updated"
)

// Webhook receiver registration states reported by WebhookStatus.Status.
const (
	WebhookStatusActive          = "active"
	WebhookStatusPendingApproval = "pending_approval"
)

// Sentinel errors of webhook verification and parsing; test them with
// errors.Is. Their messages never contain a secret or a signature.
var (
	// ErrWebhookNoSecret: no non-empty signing secret was configured. An
	// empty key never verifies anything.
	ErrWebhookNoSecret = errors.New("guapocado: webhook signing secret is empty")
	// ErrWebhookNoSignature: the signature header is empty or has no v1 entry.
	ErrWebhookNoSignature = errors.New("guapocado: webhook has no signature")
	// ErrWebhookMalformedHeader: the signature header cannot be parsed
	// (missing, duplicated or non-numeric t, a v1 that is not hex, more
	// than 8 v1 entries, garbage).
	ErrWebhookMalformedHeader = errors.New("guapocado: malformed webhook signature header")
	// ErrWebhookSignatureMismatch: no v1 entry matches any configured secret.
	ErrWebhookSignatureMismatch = errors.New("guapocado: webhook signature does not match")
	// ErrWebhookTimestamp: the signature is valid but its timestamp is
	// further from now than the tolerance (a replay or a skewed clock).
	ErrWebhookTimestamp = errors.New("guapocado: webhook timestamp outside tolerance")
	// ErrWebhookMalformedPayload: the body is not an event envelope, or an
	// event's data does not have the shape of its type.
	ErrWebhookMalformedPayload = errors.New("guapocado: malformed webhook payload")
	// ErrWebhookEventType: a typed accessor was called on an event of
	// another type. The error is an *EventTypeError.
	ErrWebhookEventType = errors.New("guapocado: webhook event has another type")
)

var (
	whErrDupT      = fmt.Errorf("%w: more than one t", ErrWebhookMalformedHeader)
	whErrNoT       = fmt.Errorf("%w: no t", ErrWebhookMalformedHeader)
	whErrBadT      = fmt.Errorf("%w: t is not a unix time in seconds", ErrWebhookMalformedHeader)
	whErrBadV1     = fmt.Errorf("%w: v1 is not an even-length hex string", ErrWebhookMalformedHeader)
	whErrBadItem   = fmt.Errorf("%w: entry is not key=value", ErrWebhookMalformedHeader)
	whErrManyV1    = fmt.Errorf("%w: more than %d v1 entries", ErrWebhookMalformedHeader, whMaxSignatures)
	whErrNoTypeEvt = fmt.Errorf("%w: no type", ErrWebhookMalformedPayload)
)

// ---------------------------------------------------------------------------
// Verification

// WebhookVerifier checks guapocado-signature headers. The zero value has no
// secret and rejects everything with ErrWebhookNoSecret. A WebhookVerifier
// is safe for concurrent use as long as its fields are not modified.
type WebhookVerifier struct {
	// Secrets are the signing secrets accepted; a signature made with any
	// of them verifies (rotate by listing the new and the old secret).
	// Empty entries are ignored.
	Secrets []string
	// Tolerance is how far the signed timestamp may be from Now, in either
	// direction: 0 means DefaultWebhookTolerance, a negative value disables
	// the check (only for re-verifying stored payloads: it allows replays).
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// WebhookHandlerOption configures a WebhookHandler.
type WebhookHandlerOption interface {
	applyWebhookHandler(*WebhookHandler)
}

// WebhookOption configures verification. It is accepted by VerifyWebhook,
// ConstructEvent and NewWebhookHandler.
type WebhookOption interface {
	WebhookHandlerOption
	applyWebhookVerifier(*WebhookVerifier)
}

type whVerifierOption func(*WebhookVerifier)

func (o whVerifierOption) applyWebhookVerifier(v *WebhookVerifier) { o(v) }
func (o whVerifierOption) applyWebhookHandler(h *WebhookHandler)   { o(&h.verifier) }

type whHandlerOption func(*WebhookHandler)

func (o whHandlerOption) applyWebhookHandler(h *WebhookHandler) { o(h) }

// WebhookWithTolerance sets how far the signed timestamp may be from now
// (default DefaultWebhookTolerance). A negative value disables the check.
func WebhookWithTolerance(d time.Duration) WebhookOption {
	return whVerifierOption(func(v *WebhookVerifier) { v.Tolerance = d })
}

// WebhookWithClock sets the clock used for the tolerance check (default
// time.Now).
func WebhookWithClock(now func() time.Time) WebhookOption {
	return whVerifierOption(func(v *WebhookVerifier) { v.Now = now })
}

// WebhookWithSecrets adds secrets accepted besides the main one, for
// rotating the signing secret without dropping deliveries.
func WebhookWithSecrets(secrets ...string) WebhookOption {
	return whVerifierOption(func(v *WebhookVerifier) {
		v.Secrets = append(v.Secrets, secrets...)
	})
}

// VerifyWebhook checks that header (the guapocado-signature value) signs
// payload (the raw request body, unmodified) with secret: one v1 entry must
// equal hex(HMAC-SHA256(secret, "<t>.<payload>")), compared in constant
// time, and t must be within the tolerance of now. It returns nil or an
// error matching ErrWebhookNoSecret, ErrWebhookNoSignature,
// ErrWebhookMalformedHeader, ErrWebhookSignatureMismatch or
// ErrWebhookTimestamp.
func VerifyWebhook(payload []byte, header, secret string, opts ...WebhookOption) error {
	if len(opts) == 0 {
		return whVerify(secret, nil, 0, nil, payload, header)
	}
	v := WebhookVerifier{Secrets: []string{secret}}
	for _, o := range opts {
		if o != nil {
			o.applyWebhookVerifier(&v)
		}
	}
	return v.Verify(payload, header)
}

// ConstructEvent verifies payload as VerifyWebhook does, then parses it as
// ParseEvent does. It returns a nil Event with any error.
func ConstructEvent(payload []byte, header, secret string, opts ...WebhookOption) (*Event, error) {
	if err := VerifyWebhook(payload, header, secret, opts...); err != nil {
		return nil, err
	}
	return ParseEvent(payload)
}

// Verify checks header against payload; see VerifyWebhook.
func (v WebhookVerifier) Verify(payload []byte, header string) error {
	return whVerify("", v.Secrets, v.Tolerance, v.Now, payload, header)
}

// ConstructEvent verifies and parses payload; see ConstructEvent.
func (v WebhookVerifier) ConstructEvent(payload []byte, header string) (*Event, error) {
	if err := v.Verify(payload, header); err != nil {
		return nil, err
	}
	return ParseEvent(payload)
}

const (
	// whMaxTLen bounds the t value: int64 seconds have at most 19 digits.
	whMaxTLen = 19
	// whMaxSignatures bounds the v1 entries of one header (Guapocado sends
	// one, two while rotating), which bounds the work an attacker can ask.
	whMaxSignatures = 8
)

// whHexVal maps a byte to its hex value, 0xff when it is not a hex digit.
var whHexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// whNextItem splits the next comma-separated, space-trimmed entry off s.
func whNextItem(s string) (item, rest string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		item, rest = s[:i], s[i+1:]
	} else {
		item = s
	}
	return strings.TrimSpace(item), rest
}

// whMacSet is the scratch space of one verification: the parsed header and
// cached keyed HMAC states, so verification does not allocate (hmac's Reset
// restores the keyed state without rehashing the key). A set is used by one
// goroutine at a time and lives in whMacPool between uses. It keeps a few
// secrets, enough for rotation and a few endpoints per process; beyond that
// it falls back to hmac.New per call, never to a wrong answer.
type whMacSet struct {
	keys   [4]string
	macs   [4]hash.Hash
	next   int
	prefix [whMaxTLen + 1]byte
	sum    [sha256.Size]byte

	// The parsed header.
	ts    int64
	tsRaw string
	nsig  int                                // v1 entries of signature length
	sigs  [whMaxSignatures][sha256.Size]byte // their decoded values
}

var whMacPool = sync.Pool{New: func() any { return new(whMacSet) }}

// parse reads and validates the whole header in one pass, decoding the v1
// entries that have the length of a signature. Valid hex of another length
// (like transcript 3.30's "00ff") is a well-formed signature that matches
// nothing.
func (s *whMacSet) parse(header string) error {
	s.nsig, s.tsRaw = 0, ""
	if strings.TrimSpace(header) == "" {
		return ErrWebhookNoSignature
	}
	haveT, nv1 := false, 0
	for rest := header; rest != ""; {
		var item string
		item, rest = whNextItem(rest)
		if item == "" {
			continue // tolerate ",," and a trailing comma
		}
		eq := strings.IndexByte(item, '=')
		if eq <= 0 {
			return whErrBadItem
		}
		key, val := item[:eq], item[eq+1:]
		switch key {
		case "t":
			if haveT {
				return whErrDupT
			}
			haveT = true
			if val == "" || len(val) > whMaxTLen || val[0] < '0' || val[0] > '9' {
				return whErrBadT
			}
			ts, err := strconv.ParseUint(val, 10, 63)
			if err != nil {
				return whErrBadT
			}
			s.ts, s.tsRaw = int64(ts), val
		case "v1":
			if nv1++; nv1 > whMaxSignatures {
				return whErrManyV1
			}
			if val == "" || len(val)%2 != 0 {
				return whErrBadV1
			}
			if len(val) != 2*sha256.Size {
				for i := 0; i < len(val); i++ {
					if whHexVal[val[i]] == 0xff {
						return whErrBadV1
					}
				}
				continue
			}
			sig := &s.sigs[s.nsig]
			for i := range sig {
				hi, lo := whHexVal[val[2*i]], whHexVal[val[2*i+1]]
				if hi == 0xff || lo == 0xff {
					return whErrBadV1
				}
				sig[i] = hi<<4 | lo
			}
			s.nsig++
		}
		// Other schemes (v0, a future v2) are ignored.
	}
	if !haveT {
		return whErrNoT
	}
	if nv1 == 0 {
		return ErrWebhookNoSignature
	}
	return nil
}

func (s *whMacSet) mac(secret string) hash.Hash {
	for i, k := range s.keys {
		if s.macs[i] != nil && k == secret {
			m := s.macs[i]
			m.Reset()
			return m
		}
	}
	i := s.next
	s.next = (s.next + 1) % len(s.keys)
	s.keys[i] = secret
	s.macs[i] = hmac.New(sha256.New, []byte(secret))
	return s.macs[i]
}

// match reports whether a parsed v1 entry is the signature of payload
// under secret.
func (s *whMacSet) match(secret string, payload []byte) bool {
	if s.nsig == 0 {
		return false
	}
	m := s.mac(secret)
	n := copy(s.prefix[:], s.tsRaw)
	s.prefix[n] = '.'
	m.Write(s.prefix[:n+1])
	m.Write(payload)
	sum := m.Sum(s.sum[:0])
	ok := false
	for i := 0; i < s.nsig; i++ {
		if hmac.Equal(sum, s.sigs[i][:]) {
			ok = true
		}
	}
	return ok
}

func whVerify(first string, more []string, tol time.Duration, now func() time.Time, payload []byte, header string) error {
	if first == "" {
		i := 0
		for i < len(more) && more[i] == "" {
			i++
		}
		if i == len(more) {
			return ErrWebhookNoSecret
		}
	}
	set := whMacPool.Get().(*whMacSet)
	if err := set.parse(header); err != nil {
		whMacPool.Put(set)
		return err
	}
	ok := first != "" && set.match(first, payload)
	for i := 0; !ok && i < len(more); i++ {
		ok = more[i] != "" && set.match(more[i], payload)
	}
	ts := set.ts
	whMacPool.Put(set)
	if !ok {
		return ErrWebhookSignatureMismatch
	}
	if tol < 0 {
		return nil
	}
	if tol == 0 {
		tol = DefaultWebhookTolerance
	}
	var t time.Time
	if now != nil {
		t = now()
	} else {
		t = time.Now()
	}
	d := t.Sub(time.Unix(ts, 0))
	switch {
	case d > tol:
		return fmt.Errorf("%w: signed %v ago, tolerance %v", ErrWebhookTimestamp, d.Truncate(time.Second), tol)
	case d < -tol:
		return fmt.Errorf("%w: signed %v in the future, tolerance %v", ErrWebhookTimestamp, (-d).Truncate(time.Second), tol)
	}
	return nil
}

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

// ---------------------------------------------------------------------------
// Receiver status (GET /guap)

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

// ---------------------------------------------------------------------------
// Deduplication

// WebhookDeduper remembers processed event ids. A WebhookHandler calls Seen
// before running a callback and Mark only after the callback succeeded, so a
// failed delivery is processed again when retried. Implementations must be
// safe for concurrent use; one shared by several processes (a database
// table, Redis) should also be the place where those processes agree on who
// processes an event, since the handler's in-flight guard is per process.
type WebhookDeduper interface {
	Seen(ctx context.Context, id string) (bool, error)
	Mark(ctx context.Context, id string) error
}

// WebhookMemoryDeduper is a bounded in-memory WebhookDeduper: it remembers
// the most recently marked ids, forgetting the oldest beyond its capacity.
// It is safe for concurrent use.
type WebhookMemoryDeduper struct {
	mu   sync.Mutex
	cap  int
	ids  []string // ring of marked ids, oldest at next once full
	next int
	set  map[string]struct{}
}

// NewWebhookMemoryDeduper returns a deduper remembering up to capacity ids
// (DefaultWebhookDedupeCapacity when capacity <= 0).
func NewWebhookMemoryDeduper(capacity int) *WebhookMemoryDeduper {
	if capacity <= 0 {
		capacity = DefaultWebhookDedupeCapacity
	}
	return &WebhookMemoryDeduper{cap: capacity, set: make(map[string]struct{})}
}

// Seen reports whether id was marked and not yet forgotten.
func (d *WebhookMemoryDeduper) Seen(_ context.Context, id string) (bool, error) {
	d.mu.Lock()
	_, ok := d.set[id]
	d.mu.Unlock()
	return ok, nil
}

// Mark remembers id, forgetting the oldest id when full.
func (d *WebhookMemoryDeduper) Mark(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[id]; ok {
		return nil
	}
	if len(d.ids) < d.cap {
		d.ids = append(d.ids, id)
	} else {
		delete(d.set, d.ids[d.next])
		d.ids[d.next] = id
		d.next = (d.next + 1) % d.cap
	}
	d.set[id] = struct{}{}
	return nil
}

// Len returns how many ids are remembered.
func (d *WebhookMemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.set)
}

// ---------------------------------------------------------------------------
// Handler

// WebhookHandler is an http.Handler receiving Guapocado webhooks. It
// answers:
//   - 405 to anything but POST;
//   - 413 when the body exceeds the cap (DefaultWebhookMaxBodyBytes);
//   - 400 for an empty body, a missing or malformed signature header, a
//     body that is not an event, or data a typed callback cannot decode;
//   - 401 for a signature that matches no secret or a timestamp outside
//     the tolerance;
//   - 200 {"received":true} once the event was handled, for a duplicate of
//     a handled event, and for a type with no callback and no OnAny;
//   - 500 when a callback or the deduper fails (the sender retries; the
//     event is marked processed only after its callback succeeded) or when
//     no secret is configured.
//
// Deliveries of the same event id are processed one at a time: a second
// one waits for the first and is then answered as a duplicate, or
// processed if the first failed. Register callbacks before serving; each
// event type has at most one callback (the last registered).
type WebhookHandler struct {
	verifier WebhookVerifier
	maxBody  int64
	deduper  WebhookDeduper
	logger   *slog.Logger

	mu       sync.RWMutex
	handlers map[string]func(context.Context, *Event) error
	onAny    func(context.Context, *Event) error

	flightMu sync.Mutex
	flights  map[string]chan struct{}
}

// WebhookWithMaxBodyBytes caps the body read (default
// DefaultWebhookMaxBodyBytes; n <= 0 keeps the default).
func WebhookWithMaxBodyBytes(n int64) WebhookHandlerOption {
	return whHandlerOption(func(h *WebhookHandler) {
		if n > 0 {
			h.maxBody = n
		}
	})
}

// WebhookWithDeduper replaces the in-memory deduper (a
// WebhookMemoryDeduper of DefaultWebhookDedupeCapacity ids). nil disables
// deduplication, for applications that deduplicate in their own storage.
func WebhookWithDeduper(d WebhookDeduper) WebhookHandlerOption {
	return whHandlerOption(func(h *WebhookHandler) { h.deduper = d })
}

// WebhookWithLogger logs rejected deliveries, failed callbacks and
// duplicates to l (silent by default). Logs carry event ids and types,
// never secrets or signatures.
func WebhookWithLogger(l *slog.Logger) WebhookHandlerOption {
	return whHandlerOption(func(h *WebhookHandler) {
		if l != nil {
			h.logger = l
		}
	})
}

// NewWebhookHandler returns a handler verifying deliveries with secret (and
// any WebhookWithSecrets). With an empty secret every delivery is answered
// 500 and nothing is processed.
func NewWebhookHandler(secret string, opts ...WebhookHandlerOption) *WebhookHandler {
	h := &WebhookHandler{
		verifier: WebhookVerifier{Secrets: []string{secret}},
		maxBody:  DefaultWebhookMaxBodyBytes,
		deduper:  NewWebhookMemoryDeduper(DefaultWebhookDedupeCapacity),
		logger:   slog.New(slog.DiscardHandler),
		handlers: make(map[string]func(context.Context, *Event) error),
		flights:  make(map[string]chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.applyWebhookHandler(h)
		}
	}
	return h
}

// On registers fn for events of eventType, replacing any earlier callback
// for that type.
func (h *WebhookHandler) On(eventType string, fn func(ctx context.Context, e *Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn == nil {
		delete(h.handlers, eventType)
		return
	}
	h.handlers[eventType] = fn
}

// OnAny registers fn for events whose type has no callback, including
// types this SDK does not know.
func (h *WebhookHandler) OnAny(fn func(ctx context.Context, e *Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onAny = fn
}

func whOnTyped[T any](h *WebhookHandler, typ string, decode func(*Event) (*T, error), fn func(context.Context, *Event, *T) error) {
	if fn == nil {
		h.On(typ, nil)
		return
	}
	h.On(typ, func(ctx context.Context, e *Event) error {
		d, err := decode(e)
		if err != nil {
			return err
		}
		return fn(ctx, e, d)
	})
}

// OnCustomerUpdated registers fn for customer.updated events.
func (h *WebhookHandler) OnCustomerUpdated(fn func(ctx context.Context, e *Event, d *CustomerUpdated) error) {
	whOnTyped(h, EventCustomerUpdated, (*Event).CustomerUpdated, fn)
}

// OnSubscriptionUpdated registers fn for subscription.updated events.
func (h *WebhookHandler) OnSubscriptionUpdated(fn func(ctx context.Context, e *Event, d *SubscriptionUpdated) error) {
	whOnTyped(h, EventSubscriptionUpdated, (*Event).SubscriptionUpdated, fn)
}

// OnPurchaseCompleted registers fn for purchase.completed events.
func (h *WebhookHandler) OnPurchaseCompleted(fn func(ctx context.Context, e *Event, d *PurchaseCompleted) error) {
	whOnTyped(h, EventPurchaseCompleted, (*Event).PurchaseCompleted, fn)
}

// OnPurchaseUpdated registers fn for purchase.updated events.
func (h *WebhookHandler) OnPurchaseUpdated(fn func(ctx context.Context, e *Event, d *PurchaseUpdated) error) {
	whOnTyped(h, EventPurchaseUpdated, (*Event).PurchaseUpdated, fn)
}

// OnEntitlementsUpdated registers fn for entitlements.updated events.
func (h *WebhookHandler) OnEntitlementsUpdated(fn func(ctx context.Context, e *Event, d *EntitlementsUpdated) error) {
	whOnTyped(h, EventEntitlementsUpdated, (*Event).EntitlementsUpdated, fn)
}

// OnInvoiceUpdated registers fn for invoice.updated events.
func (h *WebhookHandler) OnInvoiceUpdated(fn func(ctx context.Context, e *Event, d *InvoiceUpdated) error) {
	whOnTyped(h, EventInvoiceUpdated, (*Event).InvoiceUpdated, fn)
}

// OnUsageUpdated registers fn for usage.updated events.
func (h *WebhookHandler) OnUsageUpdated(fn func(ctx context.Context, e *Event, d *UsageUpdated) error) {
	whOnTyped(h, EventUsageUpdated, (*Event).UsageUpdated, fn)
}

// Response bodies; the 400/401 wording follows the Better Auth receiver.
const (
	whBodyReceived    = `{"received":true}`
	whBodyMethod      = `{"message":"Method not allowed"}`
	whBodyTooLarge    = `{"message":"Webhook payload too large"}`
	whBodyUnreadable  = `{"message":"Unreadable webhook payload"}`
	whBodyMissing     = `{"message":"Missing webhook payload"}`
	whBodyNoSignature = `{"message":"Missing webhook signature"}`
	whBodyMalformed   = `{"message":"Malformed webhook signature"}`
	whBodyInvalid     = `{"message":"Invalid webhook signature"}`
	whBodyExpired     = `{"message":"Webhook timestamp outside tolerance"}`
	whBodyBadPayload  = `{"message":"Invalid webhook payload"}`
	whBodyMisconfig   = `{"message":"Webhook receiver misconfigured"}`
	whBodyFailed      = `{"message":"Webhook handler failed"}`
	whBodyDedupe      = `{"message":"Webhook deduplication failed"}`
	whBodyBusy        = `{"message":"Webhook delivery in progress"}`
)

func whRespond(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ServeHTTP receives one delivery; see WebhookHandler for the answers.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		whRespond(w, http.StatusMethodNotAllowed, whBodyMethod)
		return
	}
	endpoint := slog.String("endpoint_id", r.Header.Get(WebhookEndpointIDHeader))
	if r.ContentLength > h.maxBody {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body too large", endpoint, slog.Int64("content_length", r.ContentLength))
		whRespond(w, http.StatusRequestEntityTooLarge, whBodyTooLarge)
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body too large", endpoint)
				whRespond(w, http.StatusRequestEntityTooLarge, whBodyTooLarge)
				return
			}
			h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body unreadable", endpoint, slog.String("error", err.Error()))
			whRespond(w, http.StatusBadRequest, whBodyUnreadable)
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: empty body", endpoint)
		whRespond(w, http.StatusBadRequest, whBodyMissing)
		return
	}
	if err := h.verifier.Verify(body, r.Header.Get(WebhookSignatureHeader)); err != nil {
		status, resp, level := http.StatusUnauthorized, whBodyInvalid, slog.LevelWarn
		switch {
		case errors.Is(err, ErrWebhookNoSecret):
			status, resp, level = http.StatusInternalServerError, whBodyMisconfig, slog.LevelError
		case errors.Is(err, ErrWebhookNoSignature):
			status, resp = http.StatusBadRequest, whBodyNoSignature
		case errors.Is(err, ErrWebhookMalformedHeader):
			status, resp = http.StatusBadRequest, whBodyMalformed
		case errors.Is(err, ErrWebhookTimestamp):
			resp = whBodyExpired
		}
		h.logger.LogAttrs(ctx, level, "guapocado webhook rejected", endpoint, slog.Int("status", status), slog.String("error", err.Error()))
		whRespond(w, status, resp)
		return
	}
	ev, err := whParseEvent(body, false)
	if err != nil {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: not an event", endpoint, slog.String("error", err.Error()))
		whRespond(w, http.StatusBadRequest, whBodyBadPayload)
		return
	}
	status, resp := h.deliver(ctx, ev, endpoint)
	whRespond(w, status, resp)
}

// deliver runs the callback for a verified event, deduplicating by id.
func (h *WebhookHandler) deliver(ctx context.Context, ev *Event, endpoint slog.Attr) (int, string) {
	attrs := []slog.Attr{endpoint, slog.String("event_id", ev.ID), slog.String("event_type", ev.Type)}
	dedupe := ev.ID != "" && h.deduper != nil
	if ev.ID != "" {
		release, err := h.acquire(ctx, ev.ID)
		if err != nil {
			h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook: gave up waiting for the same event in flight", attrs...)
			return http.StatusServiceUnavailable, whBodyBusy
		}
		defer release()
	}
	if dedupe {
		seen, err := h.deduper.Seen(ctx, ev.ID)
		if err != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: deduper failed", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusInternalServerError, whBodyDedupe
		}
		if seen {
			h.logger.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: duplicate delivery", attrs...)
			return http.StatusOK, whBodyReceived
		}
	}
	h.mu.RLock()
	fn, ok := h.handlers[ev.Type]
	if !ok {
		fn = h.onAny
	}
	h.mu.RUnlock()
	if fn != nil {
		if err := fn(ctx, ev); err != nil {
			if errors.Is(err, ErrWebhookMalformedPayload) {
				h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: event data has an unexpected shape", append(attrs, slog.String("error", err.Error()))...)
				return http.StatusBadRequest, whBodyBadPayload
			}
			h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: callback failed", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusInternalServerError, whBodyFailed
		}
	} else {
		h.logger.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: no callback for this type", attrs...)
	}
	if dedupe {
		// The event is processed: record it even if the sender hung up.
		if err := h.deduper.Mark(context.WithoutCancel(ctx), ev.ID); err != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: could not mark event processed", append(attrs, slog.String("error", err.Error()))...)
		}
	}
	h.logger.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: processed", attrs...)
	return http.StatusOK, whBodyReceived
}

// acquire waits until no other delivery of id is in flight in this handler
// and claims it; release must be called when done.
func (h *WebhookHandler) acquire(ctx context.Context, id string) (release func(), err error) {
	for {
		h.flightMu.Lock()
		busy, ok := h.flights[id]
		if !ok {
			done := make(chan struct{})
			h.flights[id] = done
			h.flightMu.Unlock()
			return func() {
				h.flightMu.Lock()
				delete(h.flights, id)
				h.flightMu.Unlock()
				close(done)
			}, nil
		}
		h.flightMu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
