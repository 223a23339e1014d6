package guapocado

// A request-bound client: the Middleware hands its handler, and makes its
// own later calls through, a copy of the client whose every call that names
// a customer names the one the request's first billing answer named. The
// copy's mode wraps the client's: it adds ForCustomer(customer) in front of
// the call's own options, so a call's explicit ForCustomer still wins.

// boundMode renders the calls of a request-bound copy.
type boundMode struct {
	mode
	customer string
}

func (m boundMode) render(a *action, r *callArgs) (wire, error) {
	if a.customer == customerNone {
		return m.mode.render(a, r)
	}
	args := *r
	args.opts = make([]CallOption, 0, len(r.opts)+1)
	args.opts = append(append(args.opts, ForCustomer(m.customer)), r.opts...)
	return m.mode.render(a, &args)
}

// boundBilling is boundTo's copy, in one allocation.
type boundBilling struct {
	Billing
	core core
}

// boundTo returns a copy of b whose calls act for customer by default. It
// shares b's session (a ForRequest copy's cookies or token), transport and
// retry policy.
func (b *Billing) boundTo(customer string) *Billing {
	bb := &boundBilling{Billing: *b, core: *b.core}
	inner := b.mode
	if m, ok := inner.(boundMode); ok {
		inner = m.mode
	}
	bb.core.mode = boundMode{mode: inner, customer: customer}
	bb.Billing.bind(&bb.core)
	return &bb.Billing
}

// isPlatform reports whether b is a platform client's (NewAPIClient).
func (b *Billing) isPlatform() bool {
	m := b.mode
	if bm, ok := m.(boundMode); ok {
		m = bm.mode
	}
	_, ok := m.(platformMode)
	return ok
}

// IsPlatform reports whether b belongs to a platform client (NewAPIClient),
// which names the customer of each call, rather than a session client
// (NewClient), whose session decides it. Code over *Billing, such as a read
// model, uses it to know whether ForCustomer selects the customer.
func (b *Billing) IsPlatform() bool { return b.isPlatform() }
