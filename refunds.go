package guapocado

import (
	"context"
	"encoding/json"
	"time"
)

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
	// AmountRefunded is the purchase's total refunded so far, after this
	// refund, where the platform reports it.
	AmountRefunded int64 `json:"amountRefunded,omitempty"`
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

// refundBody is the body of a refund.
type refundBody struct {
	wireCommon
	Mode   RefundMode `json:"mode,omitempty"`
	Reason string     `json:"reason,omitempty"`
}

// refundAnswer is {refund}.
type refundAnswer struct {
	Refund *Refund `json:"refund"`
}

// refund sends the refund action a of the purchase or subscription id.
func (c *core) refund(ctx context.Context, a *action, field, id string, params *RefundParams, opts []CallOption) (*Refund, error) {
	if err := checkKey(field, id); err != nil {
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
	var out refundAnswer
	if err := c.call(ctx, a, &callArgs{id: id, in: &refundBody{Mode: p.Mode, Reason: p.Reason}, opts: opts}, &out); err != nil {
		return nil, err
	}
	if out.Refund == nil {
		return nil, &Error{Method: a.platform.method, Path: "/v1/…/refunds", StatusCode: 200,
			Message: "decoding the response: no refund in the answer", unexpected: true}
	}
	return out.Refund, nil
}

// APISubscriptionService is the platform client's Subscription: Current,
// Change, and Refund.
type APISubscriptionService struct{ SubscriptionService }

// Refund refunds a payment of the subscription id
// (POST /v1/subscriptions/{id}/refunds). It requires WithIdempotencyKey:
// the platform refunds a key at most once, so the call is retried like a
// read and a repeat with the same key returns the same refund.
func (s APISubscriptionService) Refund(ctx context.Context, subscriptionID string, params *RefundParams, opts ...CallOption) (*Refund, error) {
	return s.c.refund(ctx, &actSubscriptionRefund, "subscriptionId", subscriptionID, params, opts)
}
