package guapocado

import (
	"context"
	"encoding/json"
	"errors"
)

// The platform API routes of the services a session client also has. Each
// service method checks its arguments, then calls the function here when
// the client is a platform client (NewAPIClient). The answers are decoded
// into the same result types; the platform omits customerId from most of
// them, so the customer the call named is filled in.

// platformUsage: GET /v1/usage/{key}/balance?customerId=, or
// POST /v1/usage/{key}/consume|refund {customerId, amount, idempotencyKey}.
func (s UsageService) platformUsage(ctx context.Context, op, key string, amount int64, opts []CallOption) (*Usage, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	var u Usage
	if op == "balance" {
		pc, err := s.c.platformOptions(opts, true, keyRefused)
		if err != nil {
			return nil, err
		}
		if err := s.c.do(ctx, "GET", route("/v1/usage/"+seg(key)+"/balance", customerQuery{CustomerID: pc.customerID}), false, nil, &u); err != nil {
			return nil, err
		}
		return fillUsage(&u, pc.customerID), nil
	}
	pc, err := s.c.platformOptions(opts, true, keyGenerate)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID     string `json:"customerId"`
		Amount         int64  `json:"amount"`
		IdempotencyKey string `json:"idempotencyKey"`
	}{pc.customerID, amount, pc.idemKey}
	if err := s.c.keyedPost(ctx, "/v1/usage/"+seg(key)+"/"+op, pc.idemKey, &in, &u); err != nil {
		return nil, err
	}
	return fillUsage(&u, pc.customerID), nil
}

// platformConfigure: POST /v1/usage/{key}/settings {customerId, overageEnabled}.
func (s UsageService) platformConfigure(ctx context.Context, key string, settings UsageSettings, opts []CallOption) (*Usage, error) {
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID     string `json:"customerId"`
		OverageEnabled bool   `json:"overageEnabled"`
	}{pc.customerID, settings.OverageEnabled}
	var u Usage
	if err := s.c.do(ctx, "POST", "/v1/usage/"+seg(key)+"/settings", false, &in, &u); err != nil {
		return nil, err
	}
	return fillUsage(&u, pc.customerID), nil
}

// keyedPost sends a platform write carrying idempotencyKey. The key makes
// every attempt the same request, applied at most once, so it is retried
// like a read; when the last attempt was sent and its answer lost, the
// error still matches ErrOutcomeUnknown, and carries the key to repeat the
// call with safely.
func (c *Client) keyedPost(ctx context.Context, path, idemKey string, in, out any) error {
	err := c.send(ctx, &callState{keyed: true, method: "POST"}, path, in, out)
	var e *Error
	if errors.As(err, &e) {
		e.IdempotencyKey = idemKey
	}
	return err
}

func fillUsage(u *Usage, customerID string) *Usage {
	if u.CustomerID == "" {
		u.CustomerID = customerID
	}
	return u
}

func fillLimit(l *Limit, customerID string) *Limit {
	if l.CustomerID == "" {
		l.CustomerID = customerID
	}
	return l
}

// platformHas: GET /v1/entitlements/{key}/has?customerId= → a bare boolean.
func (c *Client) platformHas(ctx context.Context, key string, opts []CallOption) (bool, error) {
	pc, err := c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return false, err
	}
	var allowed bool
	if err := c.do(ctx, "GET", route("/v1/entitlements/"+seg(key)+"/has", customerQuery{CustomerID: pc.customerID}), false, nil, &allowed); err != nil {
		return false, err
	}
	return allowed, nil
}

// platformLimit: GET /v1/entitlements/{key}/limit?customerId=.
func (c *Client) platformLimit(ctx context.Context, key string, opts []CallOption) (*Limit, error) {
	pc, err := c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	var l Limit
	if err := c.do(ctx, "GET", route("/v1/entitlements/"+seg(key)+"/limit", customerQuery{CustomerID: pc.customerID}), false, nil, &l); err != nil {
		return nil, err
	}
	return fillLimit(&l, pc.customerID), nil
}

// platformConfigure: POST /v1/entitlements/{key}/limit/settings
// {customerId, purchased?, autoExpansionEnabled?}.
func (s LimitsService) platformConfigure(ctx context.Context, key string, settings LimitSettings, opts []CallOption) (*Limit, error) {
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID           string `json:"customerId"`
		Purchased            *int64 `json:"purchased,omitempty"`
		AutoExpansionEnabled *bool  `json:"autoExpansionEnabled,omitempty"`
	}{pc.customerID, settings.Purchased, settings.AutoExpansionEnabled}
	var l Limit
	if err := s.c.do(ctx, "POST", "/v1/entitlements/"+seg(key)+"/limit/settings", false, &in, &l); err != nil {
		return nil, err
	}
	return fillLimit(&l, pc.customerID), nil
}

// platformContext: POST /v1/context {customer:{id}, features, usage,
// limits, includePlans, includeSubscription}. ContextParams.Debug has no
// platform counterpart and is not sent.
func (c *Client) platformContext(ctx context.Context, params *ContextParams, opts []CallOption) (*BillingContext, error) {
	pc, err := c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	orEmpty := func(l []string) []string {
		if l == nil {
			return []string{}
		}
		return l
	}
	orTrue := func(b *bool) bool { return b == nil || *b }
	in := struct {
		Customer struct {
			ID string `json:"id"`
		} `json:"customer"`
		Features            []string `json:"features"`
		Usage               []string `json:"usage"`
		Limits              []string `json:"limits"`
		IncludePlans        bool     `json:"includePlans"`
		IncludeSubscription bool     `json:"includeSubscription"`
	}{Features: orEmpty(params.Features), Usage: orEmpty(params.Usage), Limits: orEmpty(params.Limits),
		IncludePlans: orTrue(params.IncludePlans), IncludeSubscription: orTrue(params.IncludeSubscription)}
	in.Customer.ID = pc.customerID
	var bc BillingContext
	if err := c.do(ctx, "POST", "/v1/context", false, &in, &bc); err != nil {
		return nil, err
	}
	if bc.CustomerID == "" {
		bc.CustomerID = pc.customerID
	}
	for k, u := range bc.Usage {
		bc.Usage[k] = *fillUsage(&u, bc.CustomerID)
	}
	for k, l := range bc.Limits {
		bc.Limits[k] = *fillLimit(&l, bc.CustomerID)
	}
	return &bc, nil
}

// platformSync: POST /v1/customers {id} → 201 Customer.
func (s CustomerService) platformSync(ctx context.Context, opts []CallOption) (*Customer, error) {
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	return s.create(ctx, &CustomerParams{ID: pc.customerID})
}

// create: POST /v1/customers {id, name?, email?, stripeCustomerId?, metadata?}.
func (s CustomerService) create(ctx context.Context, p *CustomerParams) (*Customer, error) {
	var cu Customer
	if err := s.c.do(ctx, "POST", "/v1/customers", false, p, &cu); err != nil {
		return nil, err
	}
	if cu.ID == "" {
		cu.ID = p.ID
	}
	return &cu, nil
}

// platformCurrent: GET /v1/subscriptions?customerId=&limit=10; the current
// subscription is the first active, trialing, past_due or incomplete one,
// else the first, else none.
func (s SubscriptionService) platformCurrent(ctx context.Context, opts []CallOption) (*Subscription, error) {
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	var out struct {
		Subscriptions []Subscription `json:"subscriptions"`
	}
	if err := s.c.do(ctx, "GET", route("/v1/subscriptions", customerQuery{CustomerID: pc.customerID, Limit: 10}), false, nil, &out); err != nil {
		return nil, err
	}
	for i := range out.Subscriptions {
		switch out.Subscriptions[i].Status {
		case StatusActive, StatusTrialing, StatusPastDue, StatusIncomplete:
			return &out.Subscriptions[i], nil
		}
	}
	if len(out.Subscriptions) > 0 {
		return &out.Subscriptions[0], nil
	}
	return nil, nil
}

// platformChange: POST /v1/subscriptions/change {customerId, planKey} → the
// subscription with changed (bare, or wrapped in {subscription}).
func (s SubscriptionService) platformChange(ctx context.Context, planKey string, opts []CallOption) (*SubscriptionChange, error) {
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID string `json:"customerId"`
		PlanKey    string `json:"planKey"`
	}{pc.customerID, planKey}
	var raw json.RawMessage
	if err := s.c.do(ctx, "POST", "/v1/subscriptions/change", false, &in, &raw); err != nil {
		return nil, err
	}
	var wrapped struct {
		Subscription *SubscriptionChange `json:"subscription"`
	}
	var sc SubscriptionChange
	err = json.Unmarshal(raw, &wrapped)
	if err == nil && wrapped.Subscription != nil {
		sc = *wrapped.Subscription
	} else if err = json.Unmarshal(raw, &sc); err == nil && sc.ID == "" && sc.PlanKey == "" {
		err = errNoSubscription
	}
	if err != nil {
		return nil, &Error{Method: "POST", Path: "/v1/subscriptions/change", StatusCode: 200,
			Message: "decoding the response: " + decodeMessage(err), Snippet: snippet(raw), unexpected: true}
	}
	if sc.CustomerID == "" {
		sc.CustomerID = pc.customerID
	}
	return &sc, nil
}

// platformCheckout: POST /v1/checkout {productKey, successUrl, cancelUrl,
// customerId} → {url}.
func (s CheckoutService) platformCheckout(ctx context.Context, params *CheckoutParams, opts []CallOption) (*Checkout, error) {
	pc, err := s.c.platformOptions(opts, true, keyRefused)
	if err != nil {
		return nil, err
	}
	in := struct {
		ProductKey string `json:"productKey"`
		SuccessURL string `json:"successUrl"`
		CancelURL  string `json:"cancelUrl"`
		CustomerID string `json:"customerId"`
	}{params.ProductKey, params.SuccessURL, params.CancelURL, pc.customerID}
	var co Checkout
	// A write: the platform takes no idempotency key for checkout.
	if err := s.c.do(ctx, "POST", "/v1/checkout", true, &in, &co); err != nil {
		return nil, err
	}
	if co.CustomerID == "" {
		co.CustomerID = pc.customerID
	}
	return &co, nil
}
