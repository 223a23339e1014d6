package readmodel

import (
	"context"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// The writes: each goes to the server, and its answer is written back, so
// the next read of the same customer returns what the write left (read
// your own writes) without a request. opts are passed on (for example
// guapocado.WithIdempotencyKey on a platform client); the read model adds
// ForCustomer(customerID) in front of them on a platform client.

// Consume takes amount from customerID's meter key (Usage.Consume) and
// stores the balance the server answers.
func (rm *ReadModel) Consume(ctx context.Context, customerID, key string, amount int64, opts ...guapocado.CallOption) (*guapocado.Usage, error) {
	return rm.usageWrite(ctx, customerID, key, func(ctx context.Context, o []guapocado.CallOption) (*guapocado.Usage, error) {
		return rm.b.Usage.Consume(ctx, key, amount, o...)
	}, opts)
}

// Refund gives amount back to customerID's meter key (Usage.Refund) and
// stores the balance the server answers.
func (rm *ReadModel) Refund(ctx context.Context, customerID, key string, amount int64, opts ...guapocado.CallOption) (*guapocado.Usage, error) {
	return rm.usageWrite(ctx, customerID, key, func(ctx context.Context, o []guapocado.CallOption) (*guapocado.Usage, error) {
		return rm.b.Usage.Refund(ctx, key, amount, o...)
	}, opts)
}

// ConfigureUsage sets customerID's settings of the meter key
// (Usage.Configure) and stores the balance the server answers.
func (rm *ReadModel) ConfigureUsage(ctx context.Context, customerID, key string, settings guapocado.UsageSettings, opts ...guapocado.CallOption) (*guapocado.Usage, error) {
	return rm.usageWrite(ctx, customerID, key, func(ctx context.Context, o []guapocado.CallOption) (*guapocado.Usage, error) {
		return rm.b.Usage.Configure(ctx, key, settings, o...)
	}, opts)
}

func (rm *ReadModel) usageWrite(ctx context.Context, customerID, key string, call func(context.Context, []guapocado.CallOption) (*guapocado.Usage, error), opts []guapocado.CallOption) (*guapocado.Usage, error) {
	if err := checkCustomer(customerID); err != nil {
		return nil, err
	}
	sctx, clock := rm.askServer(ctx)
	u, err := call(sctx, append(rm.opts(customerID), opts...))
	if err != nil {
		return nil, err
	}
	owner := customerID
	if !rm.platform && u.CustomerID != "" {
		owner = u.CustomerID
	}
	rm.writeBack(ctx, owner, kUsage, u.Key, u, clock)
	return u, rm.sameCustomer(customerID, u.CustomerID)
}

// ConfigureLimit sets customerID's settings of the limit key
// (Limits.Configure) and stores the limit the server answers.
func (rm *ReadModel) ConfigureLimit(ctx context.Context, customerID, key string, settings guapocado.LimitSettings, opts ...guapocado.CallOption) (*guapocado.Limit, error) {
	if err := checkCustomer(customerID); err != nil {
		return nil, err
	}
	sctx, clock := rm.askServer(ctx)
	l, err := rm.b.Limits.Configure(sctx, key, settings, append(rm.opts(customerID), opts...)...)
	if err != nil {
		return nil, err
	}
	sent := clock.at()
	owner := customerID
	if !rm.platform && l.CustomerID != "" {
		owner = l.CustomerID
	}
	rm.write(ctx, owner, kLimit, l.Key, l, sent)
	return l, rm.sameCustomer(customerID, l.CustomerID)
}

// ChangePlan moves customerID to the plan planKey (Subscription.Change),
// stores the subscription the server answers, and, when the plan changed,
// drops the customer's stored features, limits and balances, which the
// plan decides (the next read of each asks the server).
func (rm *ReadModel) ChangePlan(ctx context.Context, customerID, planKey string, opts ...guapocado.CallOption) (*guapocado.SubscriptionChange, error) {
	if err := checkCustomer(customerID); err != nil {
		return nil, err
	}
	sctx, clock := rm.askServer(ctx)
	ch, err := rm.b.Subscription.Change(sctx, planKey, append(rm.opts(customerID), opts...)...)
	if err != nil {
		return nil, err
	}
	sent := clock.at()
	owner := customerID
	if !rm.platform && ch.CustomerID != "" {
		owner = ch.CustomerID
	}
	if ch.Changed {
		if err := rm.invalidate(ctx, owner, sent, kFeature, kLimit, kUsage); err != nil {
			rm.report(err)
		}
	}
	sub := ch.Subscription
	rm.write(ctx, owner, kSubscription, nameCurrent, &sub, sent)
	return ch, rm.sameCustomer(customerID, ch.CustomerID)
}

// Observe writes back an answer obtained outside the read model, as of
// asOf (the server's time of the answer, its Date, as
// guapocado.WithServerTime records it; else the moment its request was
// sent): a *guapocado.Usage, a
// *guapocado.Limit, a *guapocado.Snapshot (every part; its plans and
// subscription only when set) or a *guapocado.Subscription. Other values
// are ignored. The middleware (guapocado.WithReadModel) calls it with its
// answers.
func (rm *ReadModel) Observe(ctx context.Context, answer any, asOf time.Time) {
	switch v := answer.(type) {
	case *guapocado.Usage:
		if v != nil && v.CustomerID != "" && v.Key != "" {
			rm.write(ctx, v.CustomerID, kUsage, v.Key, v, asOf)
		}
	case *guapocado.Limit:
		if v != nil && v.CustomerID != "" && v.Key != "" {
			rm.write(ctx, v.CustomerID, kLimit, v.Key, v, asOf)
		}
	case *guapocado.Subscription:
		if v != nil && v.CustomerID != "" {
			rm.write(ctx, v.CustomerID, kSubscription, nameCurrent, v, asOf)
		}
	case *guapocado.Snapshot:
		if v != nil {
			rm.recordSnapshot(ctx, v, len(v.Plans) > 0, v.Subscription != nil, asOf, -1)
		}
	}
}

// LocalFeature answers Has for customerID from fresh local state only,
// without I/O on a MemoryStore: ok is false when the answer is missing or
// stale. It implements guapocado.ReadModel for the middleware.
func (rm *ReadModel) LocalFeature(customerID, key string) (allowed, ok bool) {
	now := rm.nowNs()
	e, fresh := rm.lookup(ckey{customer: customerID, name: key, kind: kFeature}, now)
	if !fresh {
		if e, _ = rm.load(context.Background(), ckey{customer: customerID, name: key, kind: kFeature}, now); e == nil || !rm.fresh(e, kFeature, now) {
			return false, false
		}
	}
	return e.allowed, true
}

// LocalUsage answers a balance for customerID from fresh local state only;
// ok is false when it is missing or stale. It implements guapocado.ReadModel.
func (rm *ReadModel) LocalUsage(customerID, key string) (guapocado.Usage, bool) {
	now := rm.nowNs()
	k := ckey{customer: customerID, name: key, kind: kUsage}
	e, fresh := rm.lookup(k, now)
	if !fresh {
		if e, _ = rm.load(context.Background(), k, now); e == nil || !rm.fresh(e, kUsage, now) {
			return guapocado.Usage{}, false
		}
	}
	return *e.val.(*guapocado.Usage), true
}

var _ guapocado.ReadModel = (*ReadModel)(nil)

// Customer is a read model bound to one customer: the same calls without
// the customer id. Get one with [ReadModel.For].
type Customer struct {
	rm *ReadModel
	id string
}

// For returns the read model's calls bound to customerID.
func (rm *ReadModel) For(customerID string) Customer { return Customer{rm: rm, id: customerID} }

// ID is the bound customer.
func (c Customer) ID() string { return c.id }

// Has is [ReadModel.Has] for the bound customer.
func (c Customer) Has(ctx context.Context, key string) (bool, Meta, error) {
	return c.rm.Has(ctx, c.id, key)
}

// Limit is [ReadModel.Limit] for the bound customer.
func (c Customer) Limit(ctx context.Context, key string) (*guapocado.Limit, Meta, error) {
	return c.rm.Limit(ctx, c.id, key)
}

// Balance is [ReadModel.Balance] for the bound customer.
func (c Customer) Balance(ctx context.Context, key string) (*guapocado.Usage, Meta, error) {
	return c.rm.Balance(ctx, c.id, key)
}

// Subscription is [ReadModel.Subscription] for the bound customer.
func (c Customer) Subscription(ctx context.Context) (*guapocado.Subscription, Meta, error) {
	return c.rm.Subscription(ctx, c.id)
}

// Snapshot is [ReadModel.Snapshot] for the bound customer.
func (c Customer) Snapshot(ctx context.Context, params *guapocado.SnapshotParams) (*guapocado.Snapshot, Meta, error) {
	return c.rm.Snapshot(ctx, c.id, params)
}

// Consume is [ReadModel.Consume] for the bound customer.
func (c Customer) Consume(ctx context.Context, key string, amount int64, opts ...guapocado.CallOption) (*guapocado.Usage, error) {
	return c.rm.Consume(ctx, c.id, key, amount, opts...)
}

// Refund is [ReadModel.Refund] for the bound customer.
func (c Customer) Refund(ctx context.Context, key string, amount int64, opts ...guapocado.CallOption) (*guapocado.Usage, error) {
	return c.rm.Refund(ctx, c.id, key, amount, opts...)
}
