package guapocado

import (
	"context"
	"encoding/json"
	"math"
)

// Limit is a limit entitlement (seats, projects…) for a customer.
type Limit struct {
	CustomerID string `json:"customerId"`
	// Limit = Included + Purchased.
	Limit     int64 `json:"limit"`
	Included  int64 `json:"included"`
	Purchased int64 `json:"purchased"`
	// ExpansionAllowed: the plan lets the customer buy more.
	ExpansionAllowed bool `json:"expansionAllowed"`
	// AutoExpansionEnabled: the customer lets the limit grow on demand.
	AutoExpansionEnabled bool `json:"autoExpansionEnabled"`
}

// UnmarshalJSON reads a limit. The plugin accepts fractional purchased
// amounts from other clients; such values are rounded down here (the SDK
// itself only sends whole numbers).
func (l *Limit) UnmarshalJSON(b []byte) error {
	var raw struct {
		CustomerID           string      `json:"customerId"`
		Limit                json.Number `json:"limit"`
		Included             json.Number `json:"included"`
		Purchased            json.Number `json:"purchased"`
		ExpansionAllowed     bool        `json:"expansionAllowed"`
		AutoExpansionEnabled bool        `json:"autoExpansionEnabled"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	*l = Limit{CustomerID: raw.CustomerID, ExpansionAllowed: raw.ExpansionAllowed, AutoExpansionEnabled: raw.AutoExpansionEnabled}
	for _, f := range [...]struct {
		n   json.Number
		dst *int64
	}{{raw.Limit, &l.Limit}, {raw.Included, &l.Included}, {raw.Purchased, &l.Purchased}} {
		if f.n == "" {
			continue
		}
		if v, err := f.n.Int64(); err == nil {
			*f.dst = v
			continue
		}
		v, err := f.n.Float64()
		if err != nil {
			return err
		}
		*f.dst = int64(math.Floor(v))
	}
	return nil
}

// LimitSettings are a limit's customer settings; nil fields are left as they are.
type LimitSettings struct {
	// Purchased is the number of units bought on top of the plan (>= 0).
	Purchased *int64
	// AutoExpansionEnabled lets the limit grow on demand.
	AutoExpansionEnabled *bool
}

// LimitsService configures limits. Get it as Client.Limits; read a limit
// with Client.Limit.
type LimitsService struct{ c *Client }

type keyBody struct {
	Key        string `json:"key"`
	CustomerID string `json:"customerId,omitempty"`
}

// Has reports whether the customer is entitled to the feature key
// (POST {base}/guapocado/has; platform client:
// GET /v1/entitlements/{key}/has?customerId=). Errors: ErrNotFound for an
// unknown key, and the session errors (ErrUnauthorized, ErrNoCustomer,
// ErrOriginRejected).
func (c *Client) Has(ctx context.Context, key string, opts ...CallOption) (bool, error) {
	if err := checkKey("key", key); err != nil {
		return false, err
	}
	if c.platform() {
		return c.platformHas(ctx, key, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return false, err
	}
	var out struct {
		Allowed bool `json:"allowed"`
	}
	if err := c.do(ctx, "POST", "/guapocado/has", false, &keyBody{key, cust}, &out); err != nil {
		return false, err
	}
	return out.Allowed, nil
}

// Limit returns the customer's limit key (POST {base}/guapocado/limit;
// platform client: GET /v1/entitlements/{key}/limit?customerId=).
func (c *Client) Limit(ctx context.Context, key string, opts ...CallOption) (*Limit, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	if c.platform() {
		return c.platformLimit(ctx, key, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	var l Limit
	if err := c.do(ctx, "POST", "/guapocado/limit", false, &keyBody{key, cust}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Configure changes the customer's settings of the limit key and returns the
// limit (POST {base}/guapocado/limit/settings; platform client:
// POST /v1/entitlements/{key}/limit/settings). Buying units on a plan that
// does not allow expansion fails with ErrInvalidRequest. It is idempotent.
func (s LimitsService) Configure(ctx context.Context, key string, settings LimitSettings, opts ...CallOption) (*Limit, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	if p := settings.Purchased; p != nil && (*p < 0 || *p > maxAmount) {
		return nil, &ValidationError{Field: "purchased", Reason: "must be between 0 and 2^53"}
	}
	if s.c.platform() {
		return s.platformConfigure(ctx, key, settings, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		Key                  string `json:"key"`
		CustomerID           string `json:"customerId,omitempty"`
		Purchased            *int64 `json:"purchased,omitempty"`
		AutoExpansionEnabled *bool  `json:"autoExpansionEnabled,omitempty"`
	}{key, cust, settings.Purchased, settings.AutoExpansionEnabled}
	var l Limit
	if err := s.c.do(ctx, "POST", "/guapocado/limit/settings", false, &in, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// ContextParams chooses what Client.Context returns.
type ContextParams struct {
	Features []string // feature keys to check
	Usage    []string // meter keys to read
	Limits   []string // limit keys to read
	// IncludePlans and IncludeSubscription default to true when nil.
	IncludePlans        *bool
	IncludeSubscription *bool
	// Debug asks the server for timings (BillingContext.Debug).
	Debug bool
}

// BillingContext is everything a page needs about a customer's billing in
// one answer.
type BillingContext struct {
	CustomerID   string           `json:"customerId"`
	Customer     *Customer        `json:"customer,omitempty"`
	Features     map[string]bool  `json:"features"`
	Usage        map[string]Usage `json:"usage"`
	Limits       map[string]Limit `json:"limits"`
	Plans        []Plan           `json:"plans"`
	Subscription *Subscription    `json:"subscription"`
	// Debug holds the server's timings when ContextParams.Debug was set.
	Debug *ContextDebug `json:"_debug,omitempty"`
}

// ContextDebug is the server's timing report.
type ContextDebug struct {
	TotalMs float64            `json:"totalMs"`
	Timings map[string]float64 `json:"timings"`
}

// Context returns the customer, the requested features, meters and limits,
// and by default the plans and subscription, in one call
// (POST {base}/guapocado/context; platform client: POST /v1/context, where
// Debug has no counterpart). params may be nil.
func (c *Client) Context(ctx context.Context, params *ContextParams, opts ...CallOption) (*BillingContext, error) {
	if params == nil {
		params = &ContextParams{}
	}
	for _, l := range [...]struct {
		field string
		keys  []string
	}{{"features", params.Features}, {"usage", params.Usage}, {"limits", params.Limits}} {
		if err := checkKeys(l.field, l.keys); err != nil {
			return nil, err
		}
	}
	if c.platform() {
		return c.platformContext(ctx, params, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID          string   `json:"customerId,omitempty"`
		Features            []string `json:"features,omitempty"`
		Usage               []string `json:"usage,omitempty"`
		Limits              []string `json:"limits,omitempty"`
		IncludePlans        *bool    `json:"includePlans,omitempty"`
		IncludeSubscription *bool    `json:"includeSubscription,omitempty"`
		Debug               bool     `json:"debug,omitempty"`
	}{cust, params.Features, params.Usage, params.Limits, params.IncludePlans, params.IncludeSubscription, params.Debug}
	var bc BillingContext
	if err := c.do(ctx, "POST", "/guapocado/context", false, &in, &bc); err != nil {
		return nil, err
	}
	for k, u := range bc.Usage {
		if u.CustomerID == "" {
			u.CustomerID = bc.CustomerID
			bc.Usage[k] = u
		}
	}
	for k, l := range bc.Limits {
		if l.CustomerID == "" {
			l.CustomerID = bc.CustomerID
			bc.Limits[k] = l
		}
	}
	return &bc, nil
}
