package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
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

// UnmarshalJSON reads a plan and keeps its raw JSON, in one pass over one
// copy of it (plandecode.go).
func (p *Plan) UnmarshalJSON(b []byte) error {
	raw := cloneRaw(b)
	if decodePlanFast(p, raw) == nil {
		return nil
	}
	type plain Plan
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*p = Plan(v)
	p.Raw = raw
	return nil
}

// MarshalJSON writes what the plan's fields say, over the JSON it was
// decoded from: fields the SDK does not know are kept, an unchanged plan is
// written back exactly as received, and an edited field is written as
// edited.
func (p Plan) MarshalJSON() ([]byte, error) {
	type plain Plan
	return marshalOverRaw(p.Raw, plain(p), func(b []byte) (any, error) {
		var v Plan
		err := json.Unmarshal(b, &v)
		return plain(v), err
	})
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

// MarshalJSON writes the config's fields over the JSON it was decoded from
// (see Plan.MarshalJSON).
func (c PlanConfig) MarshalJSON() ([]byte, error) {
	type plain PlanConfig
	return marshalOverRaw(c.Raw, plain(c), func(b []byte) (any, error) {
		var v PlanConfig
		err := json.Unmarshal(b, &v)
		return plain(v), err
	})
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

// MarshalJSON writes the pricing's fields over the JSON it was decoded from
// (see Plan.MarshalJSON).
func (p Pricing) MarshalJSON() ([]byte, error) {
	type plain Pricing
	return marshalOverRaw(p.Raw, plain(p), func(b []byte) (any, error) {
		var v Pricing
		err := json.Unmarshal(b, &v)
		return plain(v), err
	})
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

// MarshalJSON writes the entitlement as a boolean or an object, over the
// JSON it was decoded from (see Plan.MarshalJSON).
func (e Entitlement) MarshalJSON() ([]byte, error) {
	return marshalOverRaw(e.Raw, entitlementFields(e), func(b []byte) (any, error) {
		var v Entitlement
		err := v.UnmarshalJSON(b)
		return entitlementFields(v), err
	})
}

// entitlementFields is what an entitlement's fields say, in its JSON shape.
func entitlementFields(e Entitlement) any {
	if e.IsFeature {
		return e.Enabled
	}
	return struct {
		Included  int64             `json:"included"`
		Overage   *EntitlementTerms `json:"overage,omitempty"`
		Expansion *EntitlementTerms `json:"expansion,omitempty"`
	}{e.Included, e.Overage, e.Expansion}
}

// marshalOverRaw marshals fields (a value's known fields) over raw, the
// JSON the value was decoded from, which decode reads back into fields.
// Unchanged, the value is written back exactly as raw; changed, the JSON
// object keeps raw's unknown keys and raw's text for unchanged fields, and
// takes the changed fields (or drops the cleared ones).
func marshalOverRaw(raw json.RawMessage, fields any, decode func([]byte) (any, error)) ([]byte, error) {
	now, err := json.Marshal(fields)
	if err != nil || len(raw) == 0 {
		return now, err
	}
	was, err := decode(raw)
	if err != nil {
		return now, nil // raw was not this shape: the fields are all there is
	}
	wasJSON, err := json.Marshal(was)
	if err != nil {
		return now, nil
	}
	if bytes.Equal(now, wasJSON) {
		return raw, nil
	}
	var rawObj, nowObj, wasObj map[string]json.RawMessage
	if json.Unmarshal(raw, &rawObj) != nil || json.Unmarshal(now, &nowObj) != nil || json.Unmarshal(wasJSON, &wasObj) != nil || rawObj == nil {
		return now, nil // not objects (a feature flag changed): the fields say it all
	}
	for k := range wasObj {
		if _, ok := nowObj[k]; !ok {
			delete(rawObj, k) // cleared
		}
	}
	for k, v := range nowObj {
		if w, ok := wasObj[k]; ok && bytes.Equal(w, v) {
			continue // unchanged: keep the text received
		}
		rawObj[k] = v
	}
	return json.Marshal(rawObj)
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

func (co *Checkout) fill(customerID, _ string) {
	if co.CustomerID == "" {
		co.CustomerID = customerID
	}
}

func (co *Checkout) check() error {
	if co.URL == "" {
		return errors.New("no url in the answer")
	}
	return nil
}

// CheckoutParams describe a checkout.
type CheckoutParams struct {
	// ProductKey is the plan or one-time product to buy.
	ProductKey string
	// SuccessURL and CancelURL are absolute http(s) URLs the checkout
	// returns to.
	SuccessURL string
	CancelURL  string
}

// PlansService reads the plan catalogue. Get it as Plans of either client.
type PlansService struct{ c *core }

// List returns the catalogue (session: GET {base}/guapocado/plans;
// platform: GET /v1/plans).
func (s PlansService) List(ctx context.Context) ([]Plan, error) {
	var out plansAnswer
	if err := s.c.call(ctx, &actPlansList, &callArgs{}, &out); err != nil {
		return nil, err
	}
	return out.Plans, nil
}

// SubscriptionService reads and changes the customer's subscription. Get it
// as Subscription of either client.
type SubscriptionService struct{ c *core }

// currentAnswer is Subscription.Current's answer: {customerId,
// subscription} from the plugin; {subscriptions:[…]} from the platform, of
// which the current one is the first active, trialing, past_due or
// incomplete subscription, else the first, else none.
type currentAnswer struct{ sub *Subscription }

func (a *currentAnswer) UnmarshalJSON(b []byte) error {
	var v struct {
		Subscription  *Subscription  `json:"subscription"`
		Subscriptions []Subscription `json:"subscriptions"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	a.sub = v.Subscription
	for i := range v.Subscriptions {
		switch v.Subscriptions[i].Status {
		case StatusActive, StatusTrialing, StatusPastDue, StatusIncomplete:
			a.sub = &v.Subscriptions[i]
			return nil
		}
	}
	if a.sub == nil && len(v.Subscriptions) > 0 {
		a.sub = &v.Subscriptions[0]
	}
	return nil
}

// Current returns the customer's subscription, or nil and no error when it
// has none (session: POST {base}/guapocado/subscription; platform:
// GET /v1/subscriptions?customerId=&limit=100, page after page until the
// first active, trialing, past_due or incomplete subscription, else the
// first subscription listed).
func (s SubscriptionService) Current(ctx context.Context, opts ...CallOption) (*Subscription, error) {
	if _, ok := s.c.mode.(platformMode); ok {
		return s.c.platformCurrent(ctx, opts)
	}
	var out currentAnswer
	if err := s.c.call(ctx, &actSubscriptionCurrent, &callArgs{in: &keyBody{}, opts: opts}, &out); err != nil {
		return nil, err
	}
	return out.sub, nil
}

// changeAnswer is Subscription.Change's answer: {customerId, subscription}
// from the plugin; the subscription, bare or wrapped, from the platform.
type changeAnswer struct{ SubscriptionChange }

func (a *changeAnswer) UnmarshalJSON(b []byte) error {
	var wrapped struct {
		Subscription *SubscriptionChange `json:"subscription"`
	}
	if err := json.Unmarshal(b, &wrapped); err != nil {
		return err
	}
	if wrapped.Subscription != nil {
		a.SubscriptionChange = *wrapped.Subscription
		return nil
	}
	if err := json.Unmarshal(b, &a.SubscriptionChange); err != nil {
		return err
	}
	if a.ID == "" && a.PlanKey == "" {
		return errNoSubscription
	}
	return nil
}

var errNoSubscription = errors.New("no subscription in the answer")

func (a *changeAnswer) fill(customerID, _ string) {
	if a.CustomerID == "" {
		a.CustomerID = customerID
	}
}

// Change moves the customer to the recurring plan planKey (session:
// POST {base}/guapocado/subscription/change; platform:
// POST /v1/subscriptions/change). Changing to the current plan is a no-op
// reported by Changed false, so the call is idempotent. An unknown plan is
// ErrNotFound; a one-time product is ErrInvalidRequest.
func (s SubscriptionService) Change(ctx context.Context, planKey string, opts ...CallOption) (*SubscriptionChange, error) {
	if err := checkKey("planKey", planKey); err != nil {
		return nil, err
	}
	in := struct {
		wireCommon
		PlanKey string `json:"planKey"`
	}{PlanKey: planKey}
	var out changeAnswer
	if err := s.c.call(ctx, &actSubscriptionChange, &callArgs{in: &in, opts: opts}, &out); err != nil {
		return nil, err
	}
	return &out.SubscriptionChange, nil
}

// CheckoutService starts checkouts. Get it as Checkout of either client.
type CheckoutService struct{ c *core }

// Create starts a checkout of params.ProductKey and returns the URL to send
// the user to (session: POST {base}/guapocado/checkout; platform:
// POST /v1/checkout). It is not idempotent: it is retried only where the
// request provably never reached the server, and may fail with
// ErrOutcomeUnknown.
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
	in := struct {
		wireCommon
		ProductKey string `json:"productKey"`
		SuccessURL string `json:"successUrl"`
		CancelURL  string `json:"cancelUrl"`
	}{ProductKey: params.ProductKey, SuccessURL: params.SuccessURL, CancelURL: params.CancelURL}
	var co Checkout
	if err := s.c.call(ctx, &actCheckout, &callArgs{in: &in, opts: opts}, &co); err != nil {
		return nil, err
	}
	return &co, nil
}
