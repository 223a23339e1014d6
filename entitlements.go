package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
)

// Limit is a limit entitlement (seats, projects…) for a customer.
type Limit struct {
	CustomerID string `json:"customerId"`
	// Key is the limit the answer is of.
	Key string `json:"key,omitempty"`
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
		Key                  string      `json:"key"`
		Limit                json.Number `json:"limit"`
		Included             json.Number `json:"included"`
		Purchased            json.Number `json:"purchased"`
		ExpansionAllowed     bool        `json:"expansionAllowed"`
		AutoExpansionEnabled bool        `json:"autoExpansionEnabled"`
	}
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	if raw.Limit == "" {
		return errors.New("no limit in the answer") // {} or null
	}
	*l = Limit{CustomerID: raw.CustomerID, Key: raw.Key, ExpansionAllowed: raw.ExpansionAllowed, AutoExpansionEnabled: raw.AutoExpansionEnabled}
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

// fill names the customer and limit where the answer left them out.
func (l *Limit) fill(customerID, key string) {
	if l.CustomerID == "" {
		l.CustomerID = customerID
	}
	if l.Key == "" {
		l.Key = key
	}
}

// LimitSettings are a limit's customer settings; nil fields are left as they are.
type LimitSettings struct {
	// Purchased is the number of units bought on top of the plan (>= 0).
	Purchased *int64
	// AutoExpansionEnabled lets the limit grow on demand.
	AutoExpansionEnabled *bool
}

// LimitsService configures limits. Get it as Limits of either client; read
// a limit with Billing.Limit.
type LimitsService struct{ c *core }

// keyBody is the body of the calls about one key.
type keyBody struct{ wireCommon }

// hasAnswer is Has's answer: {customerId, allowed} from the plugin, a bare
// boolean from the platform.
type hasAnswer struct{ Allowed bool }

func (h *hasAnswer) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if bytes.Equal(b, []byte("null")) {
		return errors.New("null answer")
	}
	if len(b) > 0 && b[0] != '{' {
		return json.Unmarshal(b, &h.Allowed)
	}
	var v struct {
		Allowed *bool `json:"allowed"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	if v.Allowed == nil {
		return errors.New("no allowed in the answer")
	}
	h.Allowed = *v.Allowed
	return nil
}

// Has reports whether the customer is entitled to the feature key
// (session: POST {base}/guapocado/has; platform:
// GET /v1/entitlements/{key}/has?customerId=). Errors: ErrNotFound for an
// unknown key, and the session errors (ErrUnauthorized, ErrNoCustomer,
// ErrOriginRejected).
func (b *Billing) Has(ctx context.Context, key string, opts ...CallOption) (bool, error) {
	if err := checkKey("key", key); err != nil {
		return false, err
	}
	var out hasAnswer
	if err := b.call(ctx, &actHas, &callArgs{key: key, in: &keyBody{}, opts: opts}, &out); err != nil {
		return false, err
	}
	return out.Allowed, nil
}

// Limit returns the customer's limit key (session: POST {base}/guapocado/limit;
// platform: GET /v1/entitlements/{key}/limit?customerId=).
func (b *Billing) Limit(ctx context.Context, key string, opts ...CallOption) (*Limit, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	var l Limit
	if err := b.call(ctx, &actLimit, &callArgs{key: key, in: &keyBody{}, opts: opts}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// Configure changes the customer's settings of the limit key and returns the
// limit (session: POST {base}/guapocado/limit/settings; platform:
// POST /v1/entitlements/{key}/limit/settings). Buying units on a plan that
// does not allow expansion fails with ErrInvalidRequest. It is idempotent.
func (s LimitsService) Configure(ctx context.Context, key string, settings LimitSettings, opts ...CallOption) (*Limit, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	if p := settings.Purchased; p != nil && (*p < 0 || *p > maxAmount) {
		return nil, &ValidationError{Field: "purchased", Reason: "must be between 0 and 2^53"}
	}
	in := struct {
		wireCommon
		Purchased            *int64 `json:"purchased,omitempty"`
		AutoExpansionEnabled *bool  `json:"autoExpansionEnabled,omitempty"`
	}{Purchased: settings.Purchased, AutoExpansionEnabled: settings.AutoExpansionEnabled}
	var l Limit
	if err := s.c.call(ctx, &actLimitSettings, &callArgs{key: key, in: &in, opts: opts}, &l); err != nil {
		return nil, err
	}
	return &l, nil
}

// SnapshotParams chooses what Billing.Snapshot returns.
type SnapshotParams struct {
	Features []string // feature keys to check
	Usage    []string // meter keys to read
	Limits   []string // limit keys to read
	// IncludePlans and IncludeSubscription default to true when nil.
	IncludePlans        *bool
	IncludeSubscription *bool
	// Debug asks a Better Auth app for its timings (Snapshot.Debug); the
	// platform has no counterpart and ignores it.
	Debug bool
	// Customer is the customer's name, email and metadata, which the
	// platform creates or updates with the snapshot (as the upstream server
	// SDK's context call does). Platform client only: a session's customer
	// is synced from its user, and a session client refuses it. Its ID is
	// ignored: the call's customer is used.
	Customer *CustomerProfile
}

// Snapshot is everything a page needs about a customer's billing, in one
// answer: the customer, the requested features, meters and limits, the
// plans and the subscription.
type Snapshot struct {
	CustomerID   string           `json:"customerId"`
	Customer     *Customer        `json:"customer,omitempty"`
	Features     map[string]bool  `json:"features"`
	Usage        map[string]Usage `json:"usage"`
	Limits       map[string]Limit `json:"limits"`
	Plans        []Plan           `json:"plans"`
	Subscription *Subscription    `json:"subscription"`
	// Debug holds the server's timings when SnapshotParams.Debug was set.
	Debug *SnapshotDebug `json:"_debug,omitempty"`
}

// SnapshotDebug is the server's timing report.
type SnapshotDebug struct {
	TotalMs float64            `json:"totalMs"`
	Timings map[string]float64 `json:"timings"`
}

// fill names the customer (the platform leaves it out) and each meter and
// limit by its key.
func (bc *Snapshot) fill(customerID, _ string) {
	if bc.CustomerID == "" {
		bc.CustomerID = customerID
	}
	for k, u := range bc.Usage {
		u.fill(bc.CustomerID, k)
		bc.Usage[k] = u
	}
	for k, l := range bc.Limits {
		l.fill(bc.CustomerID, k)
		bc.Limits[k] = l
	}
}

// check refuses an answer with none of a snapshot's fields ({} or null).
func (bc *Snapshot) check() error {
	if bc.CustomerID == "" && bc.Features == nil && bc.Usage == nil && bc.Limits == nil && bc.Plans == nil {
		return errors.New("no snapshot in the answer")
	}
	return nil
}

// snapshotBody is the body of the context call. A session sends only what
// was asked for; the platform wants every list and flag.
type snapshotBody struct {
	wireCommon
	Features            []string `json:"features,omitempty"`
	Usage               []string `json:"usage,omitempty"`
	Limits              []string `json:"limits,omitempty"`
	IncludePlans        *bool    `json:"includePlans,omitempty"`
	IncludeSubscription *bool    `json:"includeSubscription,omitempty"`
	Debug               bool     `json:"debug,omitempty"`
	platform            bool     // shaped for the platform
}

var (
	jsonTrue  = true
	jsonFalse = false
)

func (s *snapshotBody) shapeForPlatform() {
	orEmpty := func(l *[]string) {
		if *l == nil {
			*l = []string{}
		}
	}
	orEmpty(&s.Features)
	orEmpty(&s.Usage)
	orEmpty(&s.Limits)
	orTrue := func(b **bool) {
		if *b == nil || **b {
			*b = &jsonTrue
		} else {
			*b = &jsonFalse
		}
	}
	orTrue(&s.IncludePlans)
	orTrue(&s.IncludeSubscription)
	s.Debug = false
	s.platform = true
}

// MarshalJSON writes the platform's explicit false flags and empty lists
// (the platform shape sets them; omitempty would drop them).
func (s *snapshotBody) MarshalJSON() ([]byte, error) {
	type plain snapshotBody
	if !s.platform { // the session shape: omit what was not asked
		return json.Marshal((*plain)(s))
	}
	return json.Marshal(struct {
		*wireCommon
		Features            []string `json:"features"`
		Usage               []string `json:"usage"`
		Limits              []string `json:"limits"`
		IncludePlans        bool     `json:"includePlans"`
		IncludeSubscription bool     `json:"includeSubscription"`
	}{&s.wireCommon, s.Features, s.Usage, s.Limits, *s.IncludePlans, *s.IncludeSubscription})
}

// Snapshot returns the customer, the requested features, meters and
// limits, and by default the plans and subscription, in one call (session:
// POST {base}/guapocado/context; platform: POST /v1/context). params may be
// nil.
func (b *Billing) Snapshot(ctx context.Context, params *SnapshotParams, opts ...CallOption) (*Snapshot, error) {
	if params == nil {
		params = &SnapshotParams{}
	}
	for _, l := range [...]struct {
		field string
		keys  []string
	}{{"features", params.Features}, {"usage", params.Usage}, {"limits", params.Limits}} {
		if err := checkKeys(l.field, l.keys); err != nil {
			return nil, err
		}
	}
	in := snapshotBody{Features: params.Features, Usage: params.Usage, Limits: params.Limits,
		IncludePlans: params.IncludePlans, IncludeSubscription: params.IncludeSubscription, Debug: params.Debug}
	in.Customer = params.Customer
	var sa snapshotAnswer
	if err := b.call(ctx, &actSnapshot, &callArgs{in: &in, opts: opts}, &sa); err != nil {
		return nil, err
	}
	sa.Snapshot.Plans = sa.Plans
	return &sa.Snapshot, nil
}
