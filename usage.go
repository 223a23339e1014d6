package guapocado

import (
	"context"
	"time"
)

// Usage is a metered feature's balance for a customer: the card's
// <customerId, balance, resets> and the figures behind it.
type Usage struct {
	CustomerID string `json:"customerId"`
	// Balance left before overage: max(Included-Consumed, 0).
	Balance  int64 `json:"balance"`
	Included int64 `json:"included"`
	Consumed int64 `json:"consumed"`
	// Overage consumed beyond Included.
	Overage int64 `json:"overage"`
	// OverageAllowed: the plan permits overage. OverageEnabled: the customer
	// turned it on (UsageService.Configure). Consumption beyond the balance
	// needs both.
	OverageAllowed bool `json:"overageAllowed"`
	OverageEnabled bool `json:"overageEnabled"`
	// Resets is when the meter next resets; nil for a meter that never resets.
	Resets *time.Time `json:"resets"`
}

// UsageSettings are a meter's customer settings.
type UsageSettings struct {
	// OverageEnabled lets consumption go beyond the balance where the plan
	// allows overage.
	OverageEnabled bool
}

// UsageService reads and moves metered usage. Get it as Client.Usage.
type UsageService struct{ c *Client }

type keyAmountBody struct {
	Key        string `json:"key"`
	Amount     int64  `json:"amount,omitempty"`
	CustomerID string `json:"customerId,omitempty"`
}

// Balance returns the customer's balance of the meter key
// (POST {base}/guapocado/usage/balance; platform client:
// GET /v1/usage/{key}/balance?customerId=). Errors: ErrNotFound for an
// unknown key, and the session errors (ErrUnauthorized, ErrNoCustomer,
// ErrOriginRejected).
func (s UsageService) Balance(ctx context.Context, key string, opts ...CallOption) (*Usage, error) {
	if s.c.platform() {
		return s.platformUsage(ctx, "balance", key, 0, opts)
	}
	return s.keyCall(ctx, "/guapocado/usage/balance", key, 0, false, opts)
}

// Consume takes amount (> 0, at most 2^53) from the meter key and returns the
// balance after it (POST {base}/guapocado/usage/consume). Beyond the balance
// it fails with ErrInsufficientBalance unless overage is allowed and enabled.
//
// Consume is not idempotent through the plugin: it is retried only where the
// request provably never reached the server. When the connection breaks after
// the request was sent, the error matches ErrOutcomeUnknown: read the balance
// before repeating the call.
//
// On a platform client (POST /v1/usage/{key}/consume) the call carries an
// idempotency key, random per call or set with WithIdempotencyKey, and sent
// unchanged on every attempt: it is retried like a read and is applied at
// most once per key. If the retries run out after a request was sent, the
// error matches ErrOutcomeUnknown and Error.IdempotencyKey is the key to
// repeat the call with.
func (s UsageService) Consume(ctx context.Context, key string, amount int64, opts ...CallOption) (*Usage, error) {
	if err := checkAmount(amount); err != nil {
		return nil, err
	}
	if s.c.platform() {
		return s.platformUsage(ctx, "consume", key, amount, opts)
	}
	return s.keyCall(ctx, "/guapocado/usage/consume", key, amount, true, opts)
}

// Refund gives amount (> 0, at most 2^53) back to the meter key and returns
// the balance after it (POST {base}/guapocado/usage/refund). Like Consume it
// is not idempotent and may fail with ErrOutcomeUnknown. On a platform
// client (POST /v1/usage/{key}/refund) it carries an idempotency key like
// Consume.
func (s UsageService) Refund(ctx context.Context, key string, amount int64, opts ...CallOption) (*Usage, error) {
	if err := checkAmount(amount); err != nil {
		return nil, err
	}
	if s.c.platform() {
		return s.platformUsage(ctx, "refund", key, amount, opts)
	}
	return s.keyCall(ctx, "/guapocado/usage/refund", key, amount, true, opts)
}

// Configure sets the customer's settings of the meter key and returns its
// balance (POST {base}/guapocado/usage/settings; platform client:
// POST /v1/usage/{key}/settings). It is idempotent.
func (s UsageService) Configure(ctx context.Context, key string, settings UsageSettings, opts ...CallOption) (*Usage, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	if s.c.platform() {
		return s.platformConfigure(ctx, key, settings, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		Key            string `json:"key"`
		OverageEnabled bool   `json:"overageEnabled"`
		CustomerID     string `json:"customerId,omitempty"`
	}{key, settings.OverageEnabled, cust}
	var u Usage
	if err := s.c.do(ctx, "POST", "/guapocado/usage/settings", false, &in, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

func (s UsageService) keyCall(ctx context.Context, path, key string, amount int64, write bool, opts []CallOption) (*Usage, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := keyAmountBody{Key: key, Amount: amount, CustomerID: cust}
	var u Usage
	if err := s.c.do(ctx, "POST", path, write, &in, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
