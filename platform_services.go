package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"iter"
	"strings"
	"time"
)

// The services and calls only the platform API serves. On a session client
// they fail with ErrPlatformOnly before any request.

var errNoSubscription = errors.New("no subscription in the answer")

// CustomerParams describe a customer for Customer.Create.
type CustomerParams struct {
	// ID is the customer's id; empty means the call's customer (ForCustomer,
	// else the client's default).
	ID               string         `json:"id"`
	Name             string         `json:"name,omitempty"`
	Email            string         `json:"email,omitempty"`
	StripeCustomerID string         `json:"stripeCustomerId,omitempty"`
	Metadata         map[string]any `json:"metadata,omitempty"`
}

// Create creates or updates a customer with a name, email, Stripe customer
// id or metadata and returns it (POST /v1/customers; platform only).
func (s CustomerService) Create(ctx context.Context, params *CustomerParams, opts ...CallOption) (*Customer, error) {
	if err := s.c.needPlatform("Customer.Create"); err != nil {
		return nil, err
	}
	p := CustomerParams{}
	if params != nil {
		p = *params
	}
	pc, err := s.c.platformOptions(opts, p.ID == "", keyRefused)
	if err != nil {
		return nil, err
	}
	if p.ID == "" {
		p.ID = pc.customerID
	}
	if strings.TrimSpace(p.ID) == "" {
		return nil, &ValidationError{Field: "id", Reason: "must not be blank"}
	}
	return s.create(ctx, &p)
}

// RefundMode is how much of a payment a refund returns.
type RefundMode string

// Refund modes.
const (
	RefundFull     RefundMode = "full"
	RefundProrated RefundMode = "prorated"
)

// RefundParams describe a refund; the zero value (or nil) lets the platform
// choose its default mode.
type RefundParams struct {
	Mode   RefundMode // "" (the platform's default), RefundFull or RefundProrated
	Reason string
}

// Refund is a refund of a purchase or a subscription payment.
type Refund struct {
	ID             string     `json:"id"`
	PurchaseID     string     `json:"purchaseId,omitempty"`
	SubscriptionID string     `json:"subscriptionId,omitempty"`
	CustomerID     string     `json:"customerId,omitempty"`
	Amount         int64      `json:"amount"` // in the currency's minor unit
	Currency       string     `json:"currency,omitempty"`
	Status         string     `json:"status,omitempty"`
	Mode           RefundMode `json:"mode,omitempty"`
	Reason         string     `json:"reason,omitempty"`
	CreatedAt      *time.Time `json:"createdAt,omitempty"`
	// Raw is the refund's JSON as received.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON reads a refund and keeps its raw JSON.
func (r *Refund) UnmarshalJSON(b []byte) error {
	type plain Refund
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*r = Refund(v)
	r.Raw = cloneRaw(b)
	return nil
}

// refund: POST {path} {mode?, idempotencyKey, reason?} → {refund}.
func (c *Client) refund(ctx context.Context, op, path string, params *RefundParams, opts []CallOption) (*Refund, error) {
	if err := c.needPlatform(op); err != nil {
		return nil, err
	}
	pc, err := c.platformOptions(opts, false, keyRequired)
	if err != nil {
		return nil, err
	}
	p := RefundParams{}
	if params != nil {
		p = *params
	}
	switch p.Mode {
	case "", RefundFull, RefundProrated:
	default:
		return nil, &ValidationError{Field: "mode", Reason: `must be "full" or "prorated"`}
	}
	in := struct {
		Mode           RefundMode `json:"mode,omitempty"`
		IdempotencyKey string     `json:"idempotencyKey"`
		Reason         string     `json:"reason,omitempty"`
	}{p.Mode, pc.idemKey, p.Reason}
	var out struct {
		Refund *Refund `json:"refund"`
	}
	if err := c.keyedPost(ctx, path, pc.idemKey, &in, &out); err != nil {
		return nil, err
	}
	if out.Refund == nil {
		return nil, &Error{Method: "POST", Path: path, StatusCode: 200, Message: "decoding the response: no refund in the answer", unexpected: true}
	}
	return out.Refund, nil
}

// Refund refunds a payment of the subscription id
// (POST /v1/subscriptions/{id}/refunds; platform only). It requires
// WithIdempotencyKey: the platform refunds a key at most once, so the call
// is retried like a read and a repeat with the same key returns the same
// refund.
func (s SubscriptionService) Refund(ctx context.Context, subscriptionID string, params *RefundParams, opts ...CallOption) (*Refund, error) {
	if err := checkKey("subscriptionId", subscriptionID); err != nil {
		return nil, err
	}
	return s.c.refund(ctx, "Subscription.Refund", "/v1/subscriptions/"+seg(subscriptionID)+"/refunds", params, opts)
}

// PurchasesService lists and refunds one-time purchases (platform only).
// Get it as Client.Purchases.
type PurchasesService struct{ c *Client }

// List returns the customer's one-time purchases (the Purchase of the
// purchase webhook events), as the platform orders them, at most 100
// (GET /v1/purchases?customerId=&limit=100).
func (s PurchasesService) List(ctx context.Context, opts ...CallOption) ([]Purchase, error) {
	if err := s.c.needPlatform("Purchases.List"); err != nil {
		return nil, err
	}
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	var out struct {
		Purchases []Purchase `json:"purchases"`
	}
	if err := s.c.do(ctx, "GET", route("/v1/purchases", customerQuery{CustomerID: pc.customerID, Limit: 100}), false, nil, &out); err != nil {
		return nil, err
	}
	return out.Purchases, nil
}

// Refund refunds the purchase id (POST /v1/purchases/{id}/refunds). It
// requires WithIdempotencyKey: the platform refunds a key at most once, so
// the call is retried like a read and a repeat with the same key returns
// the same refund.
func (s PurchasesService) Refund(ctx context.Context, purchaseID string, params *RefundParams, opts ...CallOption) (*Refund, error) {
	if err := checkKey("purchaseId", purchaseID); err != nil {
		return nil, err
	}
	return s.c.refund(ctx, "Purchases.Refund", "/v1/purchases/"+seg(purchaseID)+"/refunds", params, opts)
}

// ContractStatus is a contract's state.
type ContractStatus string

// Contract statuses.
const (
	ContractDraft   ContractStatus = "draft"
	ContractActive  ContractStatus = "active"
	ContractExpired ContractStatus = "expired"
)

// Contract is a customer's negotiated deal: a custom price and entitlement
// values on the catalogue's keys.
type Contract struct {
	ID            string `json:"id"`
	CustomerID    string `json:"customerId"`
	PriceAmount   *int64 `json:"priceAmount"` // minor unit; nil when not priced
	PriceCurrency string `json:"priceCurrency,omitempty"`
	PriceInterval string `json:"priceInterval,omitempty"` // "month", "year" or ""
	// Entitlements by key, in a plan's shape (a boolean or {included, …}).
	Entitlements        map[string]Entitlement `json:"entitlements,omitempty"`
	BasePlanKey         string                 `json:"basePlanKey,omitempty"`
	CommittedVolume     *int64                 `json:"committedVolume"`
	BillingContactEmail string                 `json:"billingContactEmail,omitempty"`
	InvoiceTerms        string                 `json:"invoiceTerms,omitempty"`
	Status              ContractStatus         `json:"status"`
	StartsAt            *time.Time             `json:"startsAt"`
	EndsAt              *time.Time             `json:"endsAt"`
	Notes               string                 `json:"notes,omitempty"`
	CreatedAt           *time.Time             `json:"createdAt,omitempty"`
	UpdatedAt           *time.Time             `json:"updatedAt,omitempty"`
	// Raw is the contract's JSON as received.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON reads a contract and keeps its raw JSON.
func (ct *Contract) UnmarshalJSON(b []byte) error {
	type plain Contract
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*ct = Contract(v)
	ct.Raw = cloneRaw(b)
	return nil
}

// ContractParams are the terms Contracts.Set writes; zero fields are not sent.
type ContractParams struct {
	PriceAmount         *int64                 `json:"priceAmount,omitempty"`
	PriceCurrency       string                 `json:"priceCurrency,omitempty"`
	PriceInterval       string                 `json:"priceInterval,omitempty"` // "month" or "year"
	Entitlements        map[string]Entitlement `json:"entitlements,omitempty"`
	BasePlanKey         string                 `json:"basePlanKey,omitempty"`
	CommittedVolume     *int64                 `json:"committedVolume,omitempty"`
	BillingContactEmail string                 `json:"billingContactEmail,omitempty"`
	InvoiceTerms        string                 `json:"invoiceTerms,omitempty"`
	Status              ContractStatus         `json:"status,omitempty"`
	StartsAt            *time.Time             `json:"startsAt,omitempty"`
	EndsAt              *time.Time             `json:"endsAt,omitempty"`
	Notes               string                 `json:"notes,omitempty"`
}

// ContractsService reads and writes customers' contracts (platform only).
// Get it as Client.Contracts.
type ContractsService struct{ c *Client }

func (s ContractsService) path(op string, opts []CallOption) (string, error) {
	if err := s.c.needPlatform(op); err != nil {
		return "", err
	}
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return "", err
	}
	return "/v1/contracts/" + seg(pc.customerID), nil
}

// Get returns the customer's contract, or nil and no error when it has
// none (GET /v1/contracts/{customerId}; the platform answers 404).
func (s ContractsService) Get(ctx context.Context, opts ...CallOption) (*Contract, error) {
	path, err := s.path("Contracts.Get", opts)
	if err != nil {
		return nil, err
	}
	var out struct {
		Contract *Contract `json:"contract"`
	}
	if err := s.c.do(ctx, "GET", path, false, nil, &out); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return out.Contract, nil
}

// Set creates or replaces the customer's contract and returns it
// (PUT /v1/contracts/{customerId}). It is idempotent.
func (s ContractsService) Set(ctx context.Context, params *ContractParams, opts ...CallOption) (*Contract, error) {
	path, err := s.path("Contracts.Set", opts)
	if err != nil {
		return nil, err
	}
	if params == nil {
		return nil, &ValidationError{Field: "params", Reason: "must not be nil"}
	}
	switch params.PriceInterval {
	case "", "month", "year":
	default:
		return nil, &ValidationError{Field: "priceInterval", Reason: `must be "month" or "year"`}
	}
	var out struct {
		Contract *Contract `json:"contract"`
	}
	if err := s.c.do(ctx, "PUT", path, false, params, &out); err != nil {
		return nil, err
	}
	if out.Contract == nil {
		return nil, &Error{Method: "PUT", Path: path, StatusCode: 200, Message: "decoding the response: no contract in the answer", unexpected: true}
	}
	return out.Contract, nil
}

// Delete removes the customer's contract and reports whether there was one
// (DELETE /v1/contracts/{customerId}). It is idempotent.
func (s ContractsService) Delete(ctx context.Context, opts ...CallOption) (bool, error) {
	path, err := s.path("Contracts.Delete", opts)
	if err != nil {
		return false, err
	}
	var out struct {
		Deleted bool `json:"deleted"`
	}
	if err := s.c.do(ctx, "DELETE", path, false, nil, &out); err != nil {
		return false, err
	}
	return out.Deleted, nil
}

// AuditLog is one entry of the platform's append-only audit log.
type AuditLog struct {
	ID           string          `json:"id"`
	Action       string          `json:"action"`
	ActorType    string          `json:"actorType"`
	ActorID      string          `json:"actorId,omitempty"`
	ActorLabel   string          `json:"actorLabel,omitempty"`
	KeyType      string          `json:"keyType,omitempty"`
	Mode         string          `json:"mode,omitempty"`
	ResourceType string          `json:"resourceType,omitempty"`
	ResourceID   string          `json:"resourceId,omitempty"`
	RequestID    string          `json:"requestId,omitempty"`
	Metadata     json.RawMessage `json:"metadata,omitempty"`
	CreatedAt    time.Time       `json:"createdAt"`
}

// AuditListParams filter the audit log; empty fields do not filter.
type AuditListParams struct {
	Action       string `url:"action,omitempty"`
	ResourceType string `url:"resourceType,omitempty"`
	ResourceID   string `url:"resourceId,omitempty"`
	ActorID      string `url:"actorId,omitempty"`
	// Cursor continues after a page (AuditPage.NextCursor).
	Cursor string `url:"cursor,omitempty"`
	// Limit is the page size; 0 lets the platform choose.
	Limit int `url:"limit,omitempty"`
}

// AuditPage is one page of the audit log.
type AuditPage struct {
	Logs       []AuditLog `json:"logs"`
	HasMore    bool       `json:"hasMore"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// AuditService reads the audit log (platform only). Get it as Client.Audit.
type AuditService struct{ c *Client }

// List returns one page of the audit log
// (GET /v1/audit?action=&resourceType=&resourceId=&actorId=&cursor=&limit=).
// params may be nil. See All to walk every page.
func (s AuditService) List(ctx context.Context, params *AuditListParams) (*AuditPage, error) {
	if err := s.c.needPlatform("Audit.List"); err != nil {
		return nil, err
	}
	p := AuditListParams{}
	if params != nil {
		p = *params
	}
	if p.Limit < 0 {
		return nil, &ValidationError{Field: "limit", Reason: "must not be negative"}
	}
	var page AuditPage
	if err := s.c.do(ctx, "GET", route("/v1/audit", p), false, nil, &page); err != nil {
		return nil, err
	}
	return &page, nil
}

// All iterates over the audit log entries matching params, page after page
// from params.Cursor (one request per page, made as the loop reaches it):
//
//	for entry, err := range c.Audit.All(ctx, &guapocado.AuditListParams{Action: "usage.consume"}) {
//		if err != nil { … } // the loop ends after an error
//		…
//	}
//
// A failed page is yielded once as an error and ends the iteration; so does
// a page that says it has more without a new cursor.
func (s AuditService) All(ctx context.Context, params *AuditListParams) iter.Seq2[AuditLog, error] {
	return func(yield func(AuditLog, error) bool) {
		p := AuditListParams{}
		if params != nil {
			p = *params
		}
		seen := map[string]bool{p.Cursor: true}
		for {
			page, err := s.List(ctx, &p)
			if err != nil {
				yield(AuditLog{}, err)
				return
			}
			for _, l := range page.Logs {
				if !yield(l, nil) {
					return
				}
			}
			if !page.HasMore {
				return
			}
			if seen[page.NextCursor] {
				yield(AuditLog{}, &Error{Method: "GET", Path: "/v1/audit", StatusCode: 200,
					Message: "the page has more entries but no new nextCursor", unexpected: true})
				return
			}
			seen[page.NextCursor] = true
			p.Cursor = page.NextCursor
		}
	}
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
	// webhook). Keep it secret: String never shows it.
	SigningSecret string
}

// String describes the endpoint without its signing secret.
func (w WebhookEndpoint) String() string {
	events := "[" + strings.Join(w.Events, " ") + "]"
	if w.AllEvents {
		events = "*"
	}
	return "WebhookEndpoint{ID:" + w.ID + " Status:" + w.Status + " URL:" + w.URL +
		" Events:" + events + " SigningSecret:[redacted]}"
}

// UnmarshalJSON reads {id, status, url, events:"*"|[…], signingSecret}.
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
	*w = WebhookEndpoint{ID: v.ID, Status: v.Status, URL: v.URL, SigningSecret: v.SigningSecret}
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

// WebhookEndpointsService registers webhook receivers (platform only). Get
// it as Client.WebhookEndpoints.
type WebhookEndpointsService struct{ c *Client }

// Register registers (or, with the same RegistrationKey, updates) a webhook
// receiver and returns it with its signing secret
// (POST /v1/webhook-endpoints/register). It is idempotent.
func (s WebhookEndpointsService) Register(ctx context.Context, params *WebhookEndpointParams) (*WebhookEndpoint, error) {
	if err := s.c.needPlatform("WebhookEndpoints.Register"); err != nil {
		return nil, err
	}
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
	if err := s.c.do(ctx, "POST", "/v1/webhook-endpoints/register", false, &in, &w); err != nil {
		return nil, err
	}
	return &w, nil
}
