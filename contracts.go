package guapocado

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// ContractStatus is a contract's state.
type ContractStatus string

// Contract statuses.
const (
	ContractDraft   ContractStatus = "draft"
	ContractActive  ContractStatus = "active"
	ContractExpired ContractStatus = "expired"
)

// Contract is a customer's negotiated deal: a custom price and entitlement
// values on the catalogue's keys.
type Contract struct {
	ID            string `json:"id"`
	CustomerID    string `json:"customerId"`
	PriceAmount   *int64 `json:"priceAmount"` // minor unit; nil when not priced
	PriceCurrency string `json:"priceCurrency,omitempty"`
	PriceInterval string `json:"priceInterval,omitempty"` // "month", "year" or ""
	// Entitlements by key, in a plan's shape (a boolean or {included, …}).
	Entitlements        map[string]Entitlement `json:"entitlements,omitempty"`
	BasePlanKey         string                 `json:"basePlanKey,omitempty"`
	CommittedVolume     *int64                 `json:"committedVolume"`
	BillingContactEmail string                 `json:"billingContactEmail,omitempty"`
	InvoiceTerms        string                 `json:"invoiceTerms,omitempty"`
	Status              ContractStatus         `json:"status"`
	StartsAt            *time.Time             `json:"startsAt"`
	EndsAt              *time.Time             `json:"endsAt"`
	Notes               string                 `json:"notes,omitempty"`
	CreatedAt           *time.Time             `json:"createdAt,omitempty"`
	UpdatedAt           *time.Time             `json:"updatedAt,omitempty"`
	// Raw is the contract's JSON as received.
	Raw json.RawMessage `json:"-"`
}

// UnmarshalJSON reads a contract and keeps its raw JSON.
func (ct *Contract) UnmarshalJSON(b []byte) error {
	type plain Contract
	var v plain
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*ct = Contract(v)
	ct.Raw = cloneRaw(b)
	return nil
}

// ContractParams are the terms Contracts.Set writes; zero fields are not sent.
type ContractParams struct {
	PriceAmount         *int64                 `json:"priceAmount,omitempty"`
	PriceCurrency       string                 `json:"priceCurrency,omitempty"`
	PriceInterval       string                 `json:"priceInterval,omitempty"` // "month" or "year"
	Entitlements        map[string]Entitlement `json:"entitlements,omitempty"`
	BasePlanKey         string                 `json:"basePlanKey,omitempty"`
	CommittedVolume     *int64                 `json:"committedVolume,omitempty"`
	BillingContactEmail string                 `json:"billingContactEmail,omitempty"`
	InvoiceTerms        string                 `json:"invoiceTerms,omitempty"`
	Status              ContractStatus         `json:"status,omitempty"`
	StartsAt            *time.Time             `json:"startsAt,omitempty"`
	EndsAt              *time.Time             `json:"endsAt,omitempty"`
	Notes               string                 `json:"notes,omitempty"`
}

// ContractsService reads and writes customers' contracts. Get it as
// APIClient.Contracts.
type ContractsService struct{ c *core }

// contractAnswer is {contract}.
type contractAnswer struct {
	Contract *Contract `json:"contract"`
}

// Get returns the customer's contract, or nil and no error when it has
// none (GET /v1/contracts/{customerId}; the platform answers 404).
func (s ContractsService) Get(ctx context.Context, opts ...CallOption) (*Contract, error) {
	var out contractAnswer
	if err := s.c.call(ctx, &actContractGet, &callArgs{opts: opts}, &out); err != nil {
		if errors.Is(err, ErrNotFound) {
			return nil, nil
		}
		return nil, err
	}
	return out.Contract, nil
}

// Set creates or replaces the customer's contract and returns it
// (PUT /v1/contracts/{customerId}). It is idempotent.
func (s ContractsService) Set(ctx context.Context, params *ContractParams, opts ...CallOption) (*Contract, error) {
	if params == nil {
		return nil, &ValidationError{Field: "params", Reason: "must not be nil"}
	}
	switch params.PriceInterval {
	case "", "month", "year":
	default:
		return nil, &ValidationError{Field: "priceInterval", Reason: `must be "month" or "year"`}
	}
	var out contractAnswer
	if err := s.c.call(ctx, &actContractSet, &callArgs{in: params, opts: opts}, &out); err != nil {
		return nil, err
	}
	if out.Contract == nil {
		return nil, &Error{Method: "PUT", Path: "/v1/contracts/…", StatusCode: 200, Message: "decoding the response: no contract in the answer", unexpected: true}
	}
	return out.Contract, nil
}

// Delete removes the customer's contract and reports whether there was one
// (DELETE /v1/contracts/{customerId}). It is idempotent.
func (s ContractsService) Delete(ctx context.Context, opts ...CallOption) (bool, error) {
	var out struct {
		Deleted bool `json:"deleted"`
	}
	if err := s.c.call(ctx, &actContractDelete, &callArgs{opts: opts}, &out); err != nil {
		return false, err
	}
	return out.Deleted, nil
}
