package guapocado

import "context"

// Customer is a billing customer.
type Customer struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	// Metadata and any other fields the server sends are kept here.
	Metadata map[string]any `json:"metadata,omitempty"`
}

// CustomerRef names the session's active customer.
type CustomerRef struct {
	CustomerID string `json:"customerId"`
}

// CustomerService reads and syncs the session's billing customer. Get it as
// Client.Customer.
type CustomerService struct{ c *Client }

// Sync creates or updates the billing customer of the session from its user
// (name, email) and returns it (POST {base}/guapocado/customer). It is
// idempotent. ForCustomer syncs another customer id. On a platform client it
// creates or updates the customer id alone (POST /v1/customers {id}); see
// Create to send a name, email or metadata.
func (s CustomerService) Sync(ctx context.Context, opts ...CallOption) (*Customer, error) {
	if s.c.platform() {
		return s.platformSync(ctx, opts)
	}
	cust, err := customerOf(opts)
	if err != nil {
		return nil, err
	}
	in := struct {
		CustomerID string `json:"customerId,omitempty"`
	}{cust}
	var out struct {
		CustomerID string    `json:"customerId"`
		Customer   *Customer `json:"customer"`
	}
	if err := s.c.do(ctx, "POST", "/guapocado/customer", false, &in, &out); err != nil {
		return nil, err
	}
	cu := out.Customer
	if cu == nil {
		cu = &Customer{}
	}
	if cu.ID == "" {
		cu.ID = out.CustomerID
	}
	return cu, nil
}

// ID returns the session's active customer id, or nil and no error when the
// session is signed in but has no active organization or team
// (GET {base}/guapocado/customer; the server answers null). On a platform
// client it returns the default customer (WithCustomerID), or nil, without
// a request.
func (s CustomerService) ID(ctx context.Context) (*CustomerRef, error) {
	if s.c.platform() {
		if s.c.cfg.customerID == "" {
			return nil, nil
		}
		return &CustomerRef{CustomerID: s.c.cfg.customerID}, nil
	}
	var ref *CustomerRef
	if err := s.c.do(ctx, "GET", "/guapocado/customer", false, nil, &ref); err != nil {
		return nil, err
	}
	return ref, nil
}
