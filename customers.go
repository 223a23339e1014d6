package guapocado

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
)

// Customer is a billing customer.
type Customer struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Metadata is the customer's metadata: a JSON object, or a JSON string
	// holding one (as the platform's webhooks send it).
	Metadata map[string]any `json:"metadata,omitempty"`
	// MetadataRaw keeps metadata that is not a JSON object (a plain
	// string, an array, a number), as the string's text or the value's
	// JSON; Metadata is then nil. It is written back as a JSON string.
	MetadataRaw string `json:"-"`
}

// CustomerRef names the session's active customer.
type CustomerRef struct {
	CustomerID string `json:"customerId"`
}

// CustomerProfile is what the platform keeps about a customer besides its
// id: SnapshotParams.Customer sends it with a snapshot.
type CustomerProfile struct {
	// ID is set by the call (its customer); a value given here is ignored.
	ID       string         `json:"id"`
	Name     string         `json:"name,omitempty"`
	Email    string         `json:"email,omitempty"`
	Metadata map[string]any `json:"metadata,omitempty"`
}

// CustomerService syncs the billing customer. Get it as Customer of either
// client.
type CustomerService struct{ c *core }

// customerAnswer is Sync's answer: {customerId, customer} from the plugin, the
// customer itself from the platform.
type customerAnswer struct{ Customer }

func (a *customerAnswer) UnmarshalJSON(b []byte) error {
	var v struct {
		CustomerID string          `json:"customerId"`
		Customer   json.RawMessage `json:"customer"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	body := v.Customer
	if len(body) == 0 && v.CustomerID == "" {
		body = b // the platform's bare customer
	}
	if len(body) > 0 && !bytes.Equal(bytes.TrimSpace(body), []byte("null")) {
		if err := json.Unmarshal(body, &a.Customer); err != nil {
			return err
		}
	}
	if a.ID == "" {
		a.ID = v.CustomerID
	}
	return nil
}

func (a *customerAnswer) fill(customerID, _ string) {
	if a.ID == "" {
		a.ID = customerID
	}
}

func (a *customerAnswer) check() error {
	if a.ID == "" {
		return errors.New("no customer id in the answer")
	}
	return nil
}

// Sync creates or updates the billing customer and returns it. It is
// idempotent. On a session client the customer is the session's (or
// ForCustomer's), synced from its user's name and email
// (POST {base}/guapocado/customer). On a platform client it creates or
// updates the call's customer id alone (POST /v1/customers {id}); see
// APICustomerService.Create to send a name, email or metadata.
func (s CustomerService) Sync(ctx context.Context, opts ...CallOption) (*Customer, error) {
	var out customerAnswer
	if err := s.c.call(ctx, &actCustomerSync, &callArgs{in: &keyBody{}, opts: opts}, &out); err != nil {
		return nil, err
	}
	return &out.Customer, nil
}

// SessionCustomerService is the session client's Customer: Sync, and the
// session's active customer id.
type SessionCustomerService struct{ CustomerService }

// ID returns the session's active customer id, or nil and no error when the
// session is signed in but has no active organization or team
// (GET {base}/guapocado/customer; the server answers null).
func (s SessionCustomerService) ID(ctx context.Context) (*CustomerRef, error) {
	var ref *CustomerRef
	if err := s.c.call(ctx, &actCustomerID, &callArgs{}, &ref); err != nil {
		return nil, err
	}
	return ref, nil
}

// APICustomerService is the platform client's Customer: Sync, and Create
// with a name, email or metadata.
type APICustomerService struct{ CustomerService }

// CustomerParams describe a customer for APICustomerService.Create.
type CustomerParams struct {
	// ID is the customer's id (your organization's or user's id); empty
	// lets the platform assign one.
	ID               string         `json:"id,omitempty"`
	Name             string         `json:"name,omitempty"`
	Email            string         `json:"email,omitempty"`
	StripeCustomerID string         `json:"stripeCustomerId,omitempty"`
	Metadata         map[string]any `json:"metadata,omitempty"`
}

// Create creates or updates a customer with a name, email, Stripe customer
// id or metadata and returns it (POST /v1/customers). Without an ID the
// platform assigns one, returned in Customer.ID. params may be nil.
func (s APICustomerService) Create(ctx context.Context, params *CustomerParams) (*Customer, error) {
	p := CustomerParams{}
	if params != nil {
		p = *params
	}
	if p.ID != "" && strings.TrimSpace(p.ID) == "" {
		return nil, &ValidationError{Field: "id", Reason: "must not be blank"}
	}
	var out customerAnswer
	if err := s.c.call(ctx, &actCustomerCreate, &callArgs{in: &p}, &out); err != nil {
		return nil, err
	}
	return &out.Customer, nil
}

// CustomerPage is one page of customers.
type CustomerPage struct {
	Customers  []Customer `json:"customers"`
	HasMore    bool       `json:"hasMore"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// List returns one page of the platform's customers
// (GET /v1/customers?cursor=&limit=). params may be nil. See All to walk
// every page.
func (s APICustomerService) List(ctx context.Context, params *ListParams) (*CustomerPage, error) {
	p := ListParams{}
	if params != nil {
		p = *params
	}
	if err := checkLimit(p.Limit); err != nil {
		return nil, err
	}
	var page CustomerPage
	if err := s.c.call(ctx, &actCustomersList, &callArgs{query: p}, &page); err != nil {
		return nil, err
	}
	return &page, nil
}
