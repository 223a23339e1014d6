package guapocado

import "strings"

// A CallOption changes one call.
type CallOption func(*callConfig)

// callConfig holds a call's options.
type callConfig struct {
	customerID string
	customer   bool // ForCustomer was given
	idemKey    string
	idem       bool // WithIdempotencyKey was given
	idempotent bool // Idempotent was given (Do only)
}

// ForCustomer makes the call act for the customer id.
//
// On a session client it overrides the session's active customer (the
// body's customerId). The plugin does not check that the session may act
// for that customer: offer it only to trusted callers.
//
// On a platform client it overrides the client's default customer
// (WithCustomerID), and the customer a Middleware bound the handler's
// client to (CustomerID, CustomerFrom, CustomerIDFromContext).
//
// WithCustomerID, ForCustomer, CustomerID, CustomerFrom and
// CustomerIDFromContext each name a customer; which to use when:
// [Naming the customer].
//
// [Naming the customer]: https://pkg.go.dev/github.com/guapocado/guapocado-go#hdr-Naming_the_customer
func ForCustomer(id string) CallOption {
	return func(cc *callConfig) { cc.customerID, cc.customer = id, true }
}

// WithIdempotencyKey sends key as the call's idempotency key: the platform
// applies a key at most once and answers a repeat with the stored result.
// The platform client's Usage.Consume and Usage.Refund take it (and
// otherwise generate a random key per call); APIClient.Purchases.Refund and
// APIClient.Subscription.Refund require it. Derive it from the work it
// stands for ("job-42-item-7") so a job that is restarted repeats the same
// keys and charges nothing twice. Keys are at most 255 bytes of printable
// ASCII. Other calls, and every call of a session client (the plugin drops
// idempotency keys), refuse it with a *ValidationError.
func WithIdempotencyKey(key string) CallOption {
	return func(cc *callConfig) { cc.idemKey, cc.idem = key, true }
}

// callOptions applies opts and checks the customer they name.
func callOptions(opts []CallOption) (callConfig, error) {
	if len(opts) == 0 {
		return callConfig{}, nil // most calls: nothing escapes to the options
	}
	var cc callConfig
	for _, o := range opts {
		if o != nil {
			o(&cc)
		}
	}
	if cc.customer {
		if err := checkCustomerID(cc.customerID); err != nil {
			return cc, err
		}
	}
	return cc, nil
}

// serviceCallOptions is callOptions for a service method, which knows its
// own class and refuses Idempotent.
func serviceCallOptions(opts []CallOption) (callConfig, error) {
	cc, err := callOptions(opts)
	if err == nil && cc.idempotent {
		return cc, &ValidationError{Field: "opts", Reason: "Idempotent is for Do; a service method knows whether it is idempotent"}
	}
	return cc, err
}

// maxIdempotencyKey is the longest idempotency key accepted.
const maxIdempotencyKey = 255

func checkIdempotencyKey(k string) error {
	if strings.TrimSpace(k) == "" {
		return &ValidationError{Field: "idempotencyKey", Reason: "must not be empty"}
	}
	if len(k) > maxIdempotencyKey {
		return &ValidationError{Field: "idempotencyKey", Reason: "must be at most 255 bytes"}
	}
	for i := 0; i < len(k); i++ {
		if k[i] < ' ' || k[i] > '~' {
			return &ValidationError{Field: "idempotencyKey", Reason: "must be printable ASCII"}
		}
	}
	return nil
}
