package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"time"
)

// Plan is a product of the catalogue: a recurring plan or a one-time pack.
// The plan config is open-ended: Raw keeps the plan exactly as the server
// sent it, and marshalling a Plan writes Raw back, so nothing is lost.
type Plan struct {
	ID              string     `json:"id"`
	Key             string     `json:"key"`
	Name            string     `json:"name,omitempty"`
	Config          PlanConfig `json:"config"`
	StripeProductID string     `json:"stripeProductId,omitempty"`
	StripePriceID   string     `json:"stripePriceId,omitempty"`
	CreatedAt       *time.Time `json:"createdAt,omitempty"`
	UpdatedAt       *time.Time `json:"updatedAt,omitempty"`
	// Raw is the plan's JSON as received.
	Raw json.RawMessage `json:"-"`
}

// PlanConfig is a plan's configuration.
type PlanConfig struct {
	Pricing *Pricing `json:"pricing,omitempty"`
	// Entitlements by key: a feature (Feature true) or a meter or limit
	// (Included, and Overage or Expansion terms).
	Entitlements map[string]Entitlement `json:"entitlements,omitempty"`
	// Raw is the config's JSON as received (fields beyond pricing and
	// entitlements live only here).
	Raw json.RawMessage `json:"-"`
}

// Pricing is how a plan is priced.
type Pricing struct {
	// Mode is "recurring", "one_time", or another mode (e.g. "custom").
	Mode      string `json:"mode"`
	Type      string `json:"type,omitempty"`
	Amount    *int64 `json:"amount,omitempty"` // in the currency's minor unit
	Currency  string `json:"currency,omitempty"`
	Frequency string `json:"frequency,omitempty"` // "month" or "year"
	// Interval is the deprecated name of Frequency.
	Interval string `json:"interval,omitempty"`
	// Raw is the pricing's JSON as received (e.g. a "contact" for custom pricing).
	Raw json.RawMessage `json:"-"`
}

// Entitlement is one entry of a plan's entitlements: either a feature flag
// (the JSON is a bare boolean) or a quantity (the JSON is an object).
type Entitlement struct {
	// IsFeature is true when the entitlement is a bare boolean, whose value
	// is Enabled.
	IsFeature bool
	Enabled   bool
	// Included units, for meters and limits.
	Included  int64
	Overage   *EntitlementTerms
	Expansion *EntitlementTerms
	// Raw is the entitlement's JSON as received.
	Raw json.RawMessage
}

// EntitlementTerms are the price of units beyond the included ones.
type EntitlementTerms struct {
	Allowed  bool   `json:"allowed"`
	Unit     int64  `json:"unit,omitempty"`
	Amount   int64  `json:"amount,omitempty"`
	Currency string `json:"currency,omitempty"`
}

func cloneRaw(b []byte) json.RawMessage { return append(json.RawMessage(nil), b...) }

// UnmarshalJSON reads a plan and keeps its raw JSON.
func (p *Plan) UnmarshalJSON(b []byte) error {
	type plain Plan
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Plan(v)
	p.Raw = cloneRaw(b)
	return nil
}

// MarshalJSON writes the plan as received, or its fields when it was not
// decoded from JSON.
func (p Plan) MarshalJSON() ([]byte, error) {
	if len(p.Raw) > 0 {
		return p.Raw, nil
	}
	type plain Plan
	return json.Marshal(plain(p))
}

// UnmarshalJSON reads a plan config and keeps its raw JSON.
func (c *PlanConfig) UnmarshalJSON(b []byte) error {
	type plain PlanConfig
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = PlanConfig(v)
	c.Raw = cloneRaw(b)
	return nil
}

// MarshalJSON writes the config as received, or its fields.
func (c PlanConfig) MarshalJSON() ([]byte, error) {
	if len(c.Raw) > 0 {
		return c.Raw, nil
	}
	type plain PlanConfig
	return json.Marshal(plain(c))
}

// UnmarshalJSON reads pricing and keeps its raw JSON.
func (p *Pricing) UnmarshalJSON(b []byte) error {
	type plain Pricing
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Pricing(v)
	p.Raw = cloneRaw(b)
	return nil
}

// MarshalJSON writes the pricing as received, or its fields.
func (p Pricing) MarshalJSON() ([]byte, error) {
	if len(p.Raw) > 0 {
		return p.Raw, nil
	}
	type plain Pricing
	return json.Marshal(plain(p))
}

// UnmarshalJSON reads a boolean or object entitlement.
func (e *Entitlement) UnmarshalJSON(b []byte) error {
	*e = Entitlement{Raw: cloneRaw(b)}
	t := bytes.TrimSpace(b)
	if len(t) > 0 && (t[0] == 't' || t[0] == 'f') {
		e.IsFeature = true
		return json.Unmarshal(t, &e.Enabled)
	}
	var v struct {
		Included  int64             `json:"included"`
		Overage   *EntitlementTerms `json:"overage"`
		Expansion *EntitlementTerms `json:"expansion"`
	}
	if err := json.Unmarshal(t, &v); err != nil {
		return err
	}
	e.Included, e.Overage, e.Expansion = v.Included, v.Overage, v.Expansion
	return nil
}

// MarshalJSON writes the entitlement as received, or as a boolean or object.
func (e Entitlement) MarshalJSON() ([]byte, error) {
	if len(e.Raw) > 0 {
		return e.Raw, nil
	}
	if e.IsFeature {
		return json.Marshal(e.Enabled)
	}
	return json.Marshal(struct {
		Included  int64             `json:"included"`
		Overage   *EntitlementTerms `json:"overage,omitempty"`
		Expansion *EntitlementTerms `json:"expansion,omitempty"`
	}{e.Included, e.Overage, e.Expansion})
}

// SubscriptionStatus is a subscription's state.
type SubscriptionStatus string

// Subscription statuses.
const (
	StatusActive     SubscriptionStatus = "active"
	StatusTrialing   SubscriptionStatus = "trialing"
	StatusPastDue    SubscriptionStatus = "past_due"
	StatusCanceled   SubscriptionStatus = "canceled"
	StatusUnpaid     SubscriptionStatus = "unpaid"
	StatusIncomplete SubscriptionStatus = "incomplete"
)

// Subscription is a customer's subscription to a recurring plan.
type Subscription struct {
	ID                   string             `json:"id"`
	CustomerID           string             `json:"customerId"`
	PlanKey              string             `json:"planKey"`
	Status               SubscriptionStatus `json:"status"`
	StripeSubscriptionID string             `json:"stripeSubscriptionId,omitempty"`
	CurrentPeriodStart   *time.Time         `json:"currentPeriodStart,omitempty"`
	CurrentPeriodEnd     *time.Time         `json:"currentPeriodEnd,omitempty"`
	CreatedAt            *time.Time         `json:"createdAt,omitempty"`
	UpdatedAt            *time.Time         `json:"updatedAt,omitempty"`
}

// SubscriptionChange is the subscription after a change of plan; Changed is
// false when it already was on that plan.
type SubscriptionChange struct {
	Subscription
	Changed bool `json:"changed"`
}

// Checkout is a checkout session to send the user to.
type Checkout struct {
	CustomerID string `json:"customerId"`
	URL        string `json:"url"`
}

// CheckoutParams describe a checkout.
type CheckoutParams struct {
	// ProductKey is the plan or one-time product to buy.
	ProductKey string
	// SuccessURL and CancelURL are absolute URLs the checkout returns to.
	SuccessURL string
	CancelURL  string
}

// PlansService reads the plan catalogue. Get it as Client.Plans.
type PlansService struct{ c *Client }

// List returns the catalogue (GET {base}/guapocado/plans; platform client:
// GET /v1/plans).
func (s PlansService) List(ctx context.Context) ([]Plan, error) {
	var out struct {
		Plans []Plan `json:"plans"`
	}
	path := "/guapocado/plans"
	if s.c.platform() {
		path = "/v1/plans"
	}
	if err := s.c.do(ctx, "GET", path, false, nil, &out); err != nil {
		return nil, err
	}
	return out.Plans, nil
}

// SubscriptionService reads and changes the customer's subscription. Get it
// as Client.Subscription.
type SubscriptionService struct{ c *Client }

// Current returns the customer's subscription, or nil and no error when it
// has none (POST {base}/guapocado/subscription; platform client:
// GET /v1/subscriptions?customerId=&limit=10, of which the current one is
// the first active, trialing, past_due or incomplete subscription, else the
// first).
func (s SubscriptionService) Current(ctx context.Context, opts ...CallOption) (*Subscription, error) {
	if s.c.platform() {
		return s.platformCurrent(ctx, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID string `json:"customerId,omitempty"`
	}{cust}
	var out struct {
		Subscription *Subscription `json:"subscription"`
	}
	if err := s.c.do(ctx, "POST", "/guapocado/subscription", false, &in, &out); err != nil {
		return nil, err
	}
	return out.Subscription, nil
}

// Change moves the customer to the recurring plan planKey
// (POST {base}/guapocado/subscription/change; platform client:
// POST /v1/subscriptions/change). Changing to the current plan
// is a no-op reported by Changed false, so the call is idempotent. An
// unknown plan is ErrNotFound; a one-time product is ErrInvalidRequest.
func (s SubscriptionService) Change(ctx context.Context, planKey string, opts ...CallOption) (*SubscriptionChange, error) {
	if err := checkKey("planKey", planKey); err != nil {
		return nil, err
	}
	if s.c.platform() {
		return s.platformChange(ctx, planKey, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		PlanKey    string `json:"planKey"`
		CustomerID string `json:"customerId,omitempty"`
	}{planKey, cust}
	var out struct {
		Subscription *SubscriptionChange `json:"subscription"`
	}
	if err := s.c.do(ctx, "POST", "/guapocado/subscription/change", false, &in, &out); err != nil {
		return nil, err
	}
	if out.Subscription == nil {
		return nil, &Error{Method: "POST", Path: s.c.cfg.basePath + "/guapocado/subscription/change", StatusCode: 200,
			Message: "decoding the response: no subscription in the answer", unexpected: true}
	}
	return out.Subscription, nil
}

// CheckoutService starts checkouts. Get it as Client.Checkout.
type CheckoutService struct{ c *Client }

// Create starts a checkout of params.ProductKey and returns the URL to send
// the user to (POST {base}/guapocado/checkout; platform client:
// POST /v1/checkout, which needs a customer). It is not idempotent: it is
// retried only where the request provably never reached the server, and may
// fail with ErrOutcomeUnknown.
func (s CheckoutService) Create(ctx context.Context, params *CheckoutParams, opts ...CallOption) (*Checkout, error) {
	if params == nil {
		return nil, &ValidationError{Field: "params", Reason: "must not be nil"}
	}
	if err := checkKey("productKey", params.ProductKey); err != nil {
		return nil, err
	}
	if err := checkAbsoluteURL("successUrl", params.SuccessURL); err != nil {
		return nil, err
	}
	if err := checkAbsoluteURL("cancelUrl", params.CancelURL); err != nil {
		return nil, err
	}
	if s.c.platform() {
		return s.platformCheckout(ctx, params, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		ProductKey string `json:"productKey"`
		SuccessURL string `json:"successUrl"`
		CancelURL  string `json:"cancelUrl"`
		CustomerID string `json:"customerId,omitempty"`
	}{params.ProductKey, params.SuccessURL, params.CancelURL, cust}
	var co Checkout
	if err := s.c.do(ctx, "POST", "/guapocado/checkout", true, &in, &co); err != nil {
		return nil, err
	}
	return &co, nil
}
