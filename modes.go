package guapocado

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
)

// A mode turns an action into a request for one kind of client: the
// session mode for a Better Auth app (NewClient), the platform mode for
// the platform API (NewAPIClient). Every difference between the two
// clients' requests is decided here, once; service methods hold none.
type mode interface {
	render(a *action, r *callArgs) (wire, error)
}

// callArgs is what a service method hands the pipeline: the action's
// arguments, in no mode's shape yet.
type callArgs struct {
	key   string // the key the call is about: "key" in a session body, {key} in a platform path
	id    string // {id} in a platform path (a purchase or subscription)
	in    any    // the body (nil for none); a body embedding wireCommon gets the mode's fields
	query any    // a caller's query parameters, a struct with url tags (withQuery, query.go); never cached
	opts  []CallOption
}

// wire is an action made into one client's request.
type wire struct {
	method   string
	path     string // relative to the client's base URL, with its query
	write    bool   // not idempotent and without an idempotency key
	keyed    bool   // carries an idempotency key: retried like a read
	idemKey  string
	customer string // the customer a platform request names ("" on a session)
	body     any    // the request body, nil for none
}

// wireCommon holds the body fields that a mode fills in; a request body
// embeds it. Every field is omitted when empty.
type wireCommon struct {
	Key            string           `json:"key,omitempty"`
	CustomerID     string           `json:"customerId,omitempty"`
	ID             string           `json:"id,omitempty"`
	Customer       *CustomerProfile `json:"customer,omitempty"`
	IdempotencyKey string           `json:"idempotencyKey,omitempty"`
}

func (w *wireCommon) common() *wireCommon { return w }

// commonBody is a body that embeds wireCommon.
type commonBody interface{ common() *wireCommon }

// platformShaped is a body whose platform form differs beyond wireCommon
// (the context call sends every list and flag explicitly).
type platformShaped interface{ shapeForPlatform() }

// sessionMode renders the Better Auth plugin's routes.
type sessionMode struct {
	webhookPath string
}

func (m sessionMode) render(a *action, r *callArgs) (wire, error) {
	w := wire{method: a.session.method, path: a.session.path, write: a.write, body: r.in}
	if w.path == webhookPathToken {
		w.path = m.webhookPath
	}
	cc, err := serviceCallOptions(r.opts)
	if err != nil {
		return w, err
	}
	if cc.idem {
		return w, &ValidationError{Field: "idempotencyKey", Reason: "the plugin drops idempotency keys; use a platform client (NewAPIClient)"}
	}
	body, _ := r.in.(commonBody)
	if cc.customer {
		if body == nil {
			return w, &ValidationError{Field: "customerId", Reason: a.name + " takes no customer"}
		}
		body.common().CustomerID = cc.customerID
	}
	if body != nil {
		cm := body.common()
		if cm.Customer != nil {
			return w, &ValidationError{Field: "customer", Reason: "a session's customer is synced from its user; a name, email or metadata can be sent by a platform client only"}
		}
		cm.Key = r.key
	}
	return w, nil
}

// platformMode renders the platform API's routes.
type platformMode struct {
	customerID string // WithCustomerID
}

func (m platformMode) render(a *action, r *callArgs) (wire, error) {
	w := wire{method: a.platform.method}
	cc, err := serviceCallOptions(r.opts)
	if err != nil {
		return w, err
	}
	// The customer.
	if a.customer == customerNone {
		if cc.customer {
			return w, &ValidationError{Field: "customerId", Reason: a.name + " takes no customer"}
		}
	} else {
		w.customer = m.customerID
		if cc.customer {
			w.customer = cc.customerID
		}
		if w.customer == "" {
			return w, &ValidationError{Field: "customerId", Reason: "no customer: give the client a default (WithCustomerID) or pass ForCustomer"}
		}
	}
	// The idempotency key.
	switch {
	case cc.idem && a.idem == keyRefused:
		return w, &ValidationError{Field: "idempotencyKey", Reason: "this call takes no idempotency key"}
	case cc.idem:
		if err := checkIdempotencyKey(cc.idemKey); err != nil {
			return w, err
		}
		w.idemKey = cc.idemKey
	case a.idem == keyGenerate:
		w.idemKey = newIdempotencyKey()
	case a.idem == keyRequired:
		return w, &ValidationError{Field: "idempotencyKey", Reason: "a refund needs a stable key: pass WithIdempotencyKey"}
	}
	w.keyed = w.idemKey != ""
	w.write = a.write && !w.keyed

	// The path and query.
	path := a.platform.path
	if strings.IndexByte(path, '{') >= 0 {
		path = strings.Replace(path, "{key}", seg(r.key), 1)
		path = strings.Replace(path, "{id}", seg(r.id), 1)
		path = strings.Replace(path, "{customer}", seg(w.customer), 1)
	}
	var cq any
	if a.customer == customerField && w.method == "GET" {
		cq = customerQuery{CustomerID: w.customer}
	}
	if path, err = withQuery(path, r.query, cq); err != nil {
		return w, err
	}
	w.path = path

	// The body: none on a GET, where the customer is in the query.
	if w.method == "GET" || w.method == "DELETE" {
		return w, nil
	}
	w.body = r.in
	if s, ok := r.in.(platformShaped); ok {
		s.shapeForPlatform()
	}
	if body, ok := r.in.(commonBody); ok {
		cm := body.common()
		cm.Key = "" // in the path
		switch a.customer {
		case customerField:
			if w.method != "GET" {
				cm.CustomerID = w.customer
			}
		case customerObject:
			p := CustomerProfile{}
			if cm.Customer != nil {
				p = *cm.Customer
			}
			p.ID = w.customer
			cm.Customer = &p
		case customerAsID:
			cm.ID = w.customer
		}
		if w.keyed {
			cm.IdempotencyKey = w.idemKey
		}
	}
	return w, nil
}

// seg escapes one path segment.
func seg(s string) string { return url.PathEscape(s) }

// newIdempotencyKey returns a random key: "gsdk_" and 128 random bits in hex.
func newIdempotencyKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24)
	return "gsdk_" + hex.EncodeToString(b[:])
}
