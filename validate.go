package guapocado

import (
	"net/url"
	"strings"
)

// maxAmount is the largest amount sent: the server reads amounts as JSON
// numbers (float64) and silently rounds integers above 2^53.
const maxAmount = 1 << 53

// checkKey refuses an empty or blank key or id, and the dot segments "."
// and "..": keys and ids are path segments on platform routes, and
// url.PathEscape leaves dots alone ("/v1/purchases/../refunds" would name
// another route), while it escapes "/" (so "a/b" stays one segment).
func checkKey(field, key string) error {
	if key == "" {
		return &ValidationError{Field: field, Reason: "must not be empty"}
	}
	if strings.TrimSpace(key) == "" {
		return &ValidationError{Field: field, Reason: "must not be blank"}
	}
	if key == "." || key == ".." {
		return &ValidationError{Field: field, Reason: "must not be \".\" or \"..\" (a dot segment in a URL path)"}
	}
	return nil
}

// checkCustomerID checks a customer id given to ForCustomer or
// WithCustomerID: not blank, and not a dot segment (platform routes such as
// /v1/contracts/{customerId} carry it in the path).
func checkCustomerID(id string) error {
	if strings.TrimSpace(id) == "" {
		return &ValidationError{Field: "customerId", Reason: "ForCustomer needs a non-empty id"}
	}
	return checkKey("customerId", id)
}

func checkAmount(amount int64) error {
	if amount <= 0 {
		return &ValidationError{Field: "amount", Reason: "must be greater than 0"}
	}
	if amount > maxAmount {
		return &ValidationError{Field: "amount", Reason: "must be at most 2^53 (9007199254740992); the server would round it"}
	}
	return nil
}

func checkKeys(field string, keys []string) error {
	for _, k := range keys {
		if err := checkKey(field, k); err != nil {
			return err
		}
	}
	return nil
}

// checkAbsoluteURL checks a URL the platform or a browser will visit
// (checkout return URLs, webhook receivers): absolute, http or https, with
// a host.
func checkAbsoluteURL(field, s string) error {
	if strings.TrimSpace(s) == "" {
		return &ValidationError{Field: field, Reason: "must not be empty"}
	}
	u, err := url.Parse(s)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return &ValidationError{Field: field, Reason: "must be an absolute URL"}
	}
	// The checkout page sends the buyer's browser there: javascript:, data:
	// and other schemes are refused.
	if u.Scheme != "http" && u.Scheme != "https" {
		return &ValidationError{Field: field, Reason: "must be an http or https URL"}
	}
	return nil
}
