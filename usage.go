package guapocado

import (
	"context"
	"errors"
	"time"
)

// Usage is a metered feature's balance for a customer: the card's
// <customerId, balance, resets> and the figures behind it.
type Usage struct {
	CustomerID string `json:"customerId"`
	// Key is the meter the balance is of.
	Key string `json:"key,omitempty"`
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

// fill names the customer and meter where the answer left them out.
func (u *Usage) fill(customerID, key string) {
	if u.CustomerID == "" {
		u.CustomerID = customerID
	}
	if u.Key == "" {
		u.Key = key
	}
}

func (u *Usage) prepare() { u.Balance = unset }

// check refuses an answer without a balance: {} and null decode without an
// error.
func (u *Usage) check() error {
	if u.Balance == unset {
		return errors.New("no balance in the answer")
	}
	return nil
}

// UsageService reads and moves metered usage. Get it as Usage of either
// client.
type UsageService struct{ c *core }

// usageBody is the body of the usage calls.
type usageBody struct {
	wireCommon
	Amount int64 `json:"amount,omitempty"`
}

// Balance returns the customer's balance of the meter key
// (session: POST {base}/guapocado/usage/balance; platform:
// GET /v1/usage/{key}/balance?customerId=). Errors: ErrNotFound for an
// unknown key, and the session errors (ErrUnauthorized, ErrNoCustomer,
// ErrOriginRejected).
func (s UsageService) Balance(ctx context.Context, key string, opts ...CallOption) (*Usage, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	var u Usage
	if err := s.c.call(ctx, &actUsageBalance, &callArgs{key: key, in: &usageBody{}, opts: opts}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Consume takes amount (> 0, at most 2^53) from the meter key and returns
// the balance after it (session: POST {base}/guapocado/usage/consume;
// platform: POST /v1/usage/{key}/consume). Beyond the balance it fails with
// ErrInsufficientBalance unless overage is allowed and enabled.
//
// On a session client Consume is not idempotent (the plugin drops
// idempotency keys): it is retried only where the request provably never
// reached the server. When the request may have been applied but its
// answer was lost, the error matches ErrOutcomeUnknown: read the balance
// before repeating the call.
//
// On a platform client the call carries an idempotency key, random per call
// or set with WithIdempotencyKey, sent unchanged on every attempt: it is
// retried like a read and applied at most once per key. If the retries run
// out after a request was sent, the error matches ErrOutcomeUnknown and
// Error.IdempotencyKey is the key to repeat the call with.
func (s UsageService) Consume(ctx context.Context, key string, amount int64, opts ...CallOption) (*Usage, error) {
	return s.move(ctx, &actUsageConsume, key, amount, opts)
}

// Refund gives amount (> 0, at most 2^53) back to the meter key and returns
// the balance after it (session: POST {base}/guapocado/usage/refund;
// platform: POST /v1/usage/{key}/refund). Like Consume it is not idempotent
// on a session client, carries an idempotency key on a platform client, and
// may fail with ErrOutcomeUnknown.
func (s UsageService) Refund(ctx context.Context, key string, amount int64, opts ...CallOption) (*Usage, error) {
	return s.move(ctx, &actUsageRefund, key, amount, opts)
}

func (s UsageService) move(ctx context.Context, a *action, key string, amount int64, opts []CallOption) (*Usage, error) {
	if err := checkAmount(amount); err != nil {
		return nil, err
	}
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	var u Usage
	if err := s.c.call(ctx, a, &callArgs{key: key, in: &usageBody{Amount: amount}, opts: opts}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// Configure sets the customer's settings of the meter key and returns its
// balance (session: POST {base}/guapocado/usage/settings; platform:
// POST /v1/usage/{key}/settings). It is idempotent.
func (s UsageService) Configure(ctx context.Context, key string, settings UsageSettings, opts ...CallOption) (*Usage, error) {
	if err := checkKey("key", key); err != nil {
		return nil, err
	}
	in := struct {
		wireCommon
		OverageEnabled bool `json:"overageEnabled"`
	}{OverageEnabled: settings.OverageEnabled}
	var u Usage
	if err := s.c.call(ctx, &actUsageSettings, &callArgs{key: key, in: &in, opts: opts}, &u); err != nil {
		return nil, err
	}
	return &u, nil
}
