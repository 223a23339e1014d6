package guapocado

import "time"

// Purchase is a one-time purchase, as listed by Purchases.List and carried
// by the purchase webhook events (package webhook). Amounts are in the
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
