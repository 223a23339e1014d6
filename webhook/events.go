package webhook

import (
	"bytes"
	"encoding/json"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Customer is the customer in a customer.updated event.
//
// The platform sends metadata as a JSON string holding an object
// ("metadata": "{\"plan\":\"pro\"}"); an object is also seen. Both are
// read leniently, never as an error: an object, or a string holding a JSON
// object, is decoded into Metadata; anything else (a string that is not a
// JSON object, an array, a number) leaves Metadata nil and is kept in
// MetadataRaw, as the string's text or, for other JSON values, as their
// JSON text. Absent or null metadata leaves both empty.
type Customer struct {
	ID               string         `json:"id"`
	StripeCustomerID string         `json:"stripeCustomerId,omitempty"`
	Name             string         `json:"name,omitempty"`
	Email            string         `json:"email,omitempty"`
	Metadata         map[string]any `json:"metadata,omitempty"`
	MetadataRaw      string         `json:"-"`
	CreatedAt        *time.Time     `json:"createdAt,omitempty"`
	UpdatedAt        *time.Time     `json:"updatedAt,omitempty"`
}

// UnmarshalJSON decodes the customer, reading metadata leniently (see
// Customer) by guapocado.Customer's rule.
func (c *Customer) UnmarshalJSON(b []byte) error {
	type plain Customer
	var v struct {
		plain
		Metadata json.RawMessage `json:"metadata"` // shadows plain's
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	var meta guapocado.Customer
	if err := json.Unmarshal(b, &meta); err != nil {
		return err
	}
	*c = Customer(v.plain)
	c.Metadata, c.MetadataRaw = meta.Metadata, meta.MetadataRaw
	return nil
}

// CustomerUpdated is the data of a customer.updated event.
type CustomerUpdated struct {
	Customer Customer `json:"customer"`
}

// Subscription is the subscription in a subscription.updated event.
type Subscription struct {
	ID                   string     `json:"id"`
	CustomerID           string     `json:"customerId"`
	StripeSubscriptionID string     `json:"stripeSubscriptionId,omitempty"`
	PlanKey              string     `json:"planKey"`
	Status               string     `json:"status"`
	CurrentPeriodStart   *time.Time `json:"currentPeriodStart,omitempty"`
	CurrentPeriodEnd     *time.Time `json:"currentPeriodEnd,omitempty"`
	CancelAtPeriodEnd    bool       `json:"cancelAtPeriodEnd"`
}

// SubscriptionUpdated is the data of a subscription.updated event:
// {subscription:{…}}. A flat {customerId, planKey, …} (as in hand-made test
// events) is read as the subscription itself.
type SubscriptionUpdated struct {
	Subscription Subscription `json:"subscription"`
}

// UnmarshalJSON accepts {subscription:{…}} and the flat form.
func (s *SubscriptionUpdated) UnmarshalJSON(b []byte) error {
	var w struct {
		Subscription *Subscription `json:"subscription"`
	}
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	if w.Subscription != nil {
		s.Subscription = *w.Subscription
		return nil
	}
	return json.Unmarshal(b, &s.Subscription)
}

// Grant is an entitlement granted by a purchase or a subscription.
type Grant struct {
	EntitlementKey string `json:"entitlementKey"`
	GrantType      string `json:"grantType"` // feature, meter_credit, limit_increment
	Amount         int64  `json:"amount"`
}

// PurchaseCompleted is the data of a purchase.completed event.
type PurchaseCompleted struct {
	Purchase guapocado.Purchase `json:"purchase"`
	Grants   []Grant            `json:"grants"`
}

// PurchaseUpdated is the data of a purchase.updated event.
type PurchaseUpdated struct {
	Purchase guapocado.Purchase `json:"purchase"`
}

// EntitlementsUpdated is the data of an entitlements.updated event. Reason
// is "purchase.completed" (PurchaseID set) or "subscription.updated"
// (SubscriptionID set).
type EntitlementsUpdated struct {
	CustomerID     string  `json:"customerId"`
	Reason         string  `json:"reason"`
	PurchaseID     string  `json:"purchaseId,omitempty"`
	SubscriptionID string  `json:"subscriptionId,omitempty"`
	ProductKey     string  `json:"productKey"`
	Grants         []Grant `json:"grants,omitempty"`
}

// Invoice is the invoice in an invoice.updated event. Amounts are in the
// currency's smallest unit.
type Invoice struct {
	ID               string     `json:"id"`
	CustomerID       string     `json:"customerId"`
	StripeInvoiceID  string     `json:"stripeInvoiceId,omitempty"`
	SubscriptionID   string     `json:"subscriptionId,omitempty"`
	Status           string     `json:"status"`
	AmountDue        int64      `json:"amountDue"`
	AmountPaid       int64      `json:"amountPaid"`
	Currency         string     `json:"currency"`
	PeriodStart      *time.Time `json:"periodStart,omitempty"`
	PeriodEnd        *time.Time `json:"periodEnd,omitempty"`
	HostedInvoiceURL string     `json:"hostedInvoiceUrl,omitempty"`
	PDFURL           string     `json:"pdfUrl,omitempty"`
}

// InvoiceUpdated is the data of an invoice.updated event.
type InvoiceUpdated struct {
	Invoice Invoice `json:"invoice"`
}

// UsageUpdated is the data of a usage.updated event. Two shapes are read:
// the flat one, {customerId, key, balance, included, consumed, overage,
// overageAllowed, overageEnabled, resets}, and the platform SDK's, whose
// balance is the meter's whole balance object: {customerId, key,
// balance:{balance, included, consumed, overage, …}}. Both fill the same
// fields. Raw keeps the data as sent, so fields added by the platform are
// not lost (and a receiver can tell an absent balance from a balance of 0).
type UsageUpdated struct {
	CustomerID     string          `json:"customerId"`
	Key            string          `json:"key"`
	Balance        float64         `json:"balance"`
	Included       float64         `json:"included"`
	Consumed       float64         `json:"consumed"`
	Overage        float64         `json:"overage"`
	OverageAllowed bool            `json:"overageAllowed"`
	OverageEnabled bool            `json:"overageEnabled"`
	Resets         *time.Time      `json:"resets,omitempty"`
	Raw            json.RawMessage `json:"-"`
}

// usageBalance is the nested balance object of a usage.updated event.
type usageBalance struct {
	CustomerID     string     `json:"customerId"`
	Key            string     `json:"key"`
	Balance        float64    `json:"balance"`
	Included       float64    `json:"included"`
	Consumed       float64    `json:"consumed"`
	Overage        float64    `json:"overage"`
	OverageAllowed bool       `json:"overageAllowed"`
	OverageEnabled bool       `json:"overageEnabled"`
	Resets         *time.Time `json:"resets"`
}

// UnmarshalJSON decodes either shape (see UsageUpdated) and keeps the data
// in Raw.
func (u *UsageUpdated) UnmarshalJSON(b []byte) error {
	type plain UsageUpdated
	var v struct {
		plain
		Balance json.RawMessage `json:"balance"` // shadows plain's: a number or an object
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*u = UsageUpdated(v.plain)
	switch raw := bytes.TrimSpace(v.Balance); {
	case len(raw) > 0 && raw[0] == '{':
		var n usageBalance
		if err := json.Unmarshal(raw, &n); err != nil {
			return err
		}
		u.Balance, u.Included, u.Consumed, u.Overage = n.Balance, n.Included, n.Consumed, n.Overage
		u.OverageAllowed, u.OverageEnabled, u.Resets = n.OverageAllowed, n.OverageEnabled, n.Resets
		if u.CustomerID == "" {
			u.CustomerID = n.CustomerID
		}
		if u.Key == "" {
			u.Key = n.Key
		}
	case len(raw) > 0 && string(raw) != "null":
		if err := json.Unmarshal(raw, &u.Balance); err != nil {
			return err
		}
	}
	u.Raw = bytes.Clone(b)
	return nil
}
