package readmodel

import (
	"context"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Names of the single records of a customer.
const (
	nameCurrent = "current" // KindSubscription
	nameProfile = "profile" // KindCustomer
	nameAll     = "all"     // KindPlans (customer "")
)

func checkCustomer(id string) error {
	if id == "" {
		return &guapocado.ValidationError{Field: "customerId", Reason: "must not be empty"}
	}
	return nil
}

func checkName(field, key string) error {
	if key == "" {
		return &guapocado.ValidationError{Field: field, Reason: "must not be empty"}
	}
	return nil
}

// opts are the call options that make a call act for customer: ForCustomer
// on a platform client, nothing on a session client (its session decides).
func (rm *ReadModel) opts(customer string) []guapocado.CallOption {
	if rm.platform {
		return []guapocado.CallOption{guapocado.ForCustomer(customer)}
	}
	return nil
}

// sameCustomer checks a session answer's customer against the one asked
// about.
func (rm *ReadModel) sameCustomer(asked, answered string) error {
	if rm.platform || answered == "" || answered == asked {
		return nil
	}
	return ErrCustomerMismatch
}

// Has reports whether customerID is entitled to the feature key: from the
// store while fresh (no request, no allocation on the cached path), else
// from the server (platform: GET /v1/entitlements/{key}/has; session: the
// snapshot, whose answer names the customer), written back.
func (rm *ReadModel) Has(ctx context.Context, customerID, key string) (bool, Meta, error) {
	now := rm.nowNs()
	if e, fresh := rm.lookup(ckey{customer: customerID, name: key, kind: kFeature}, now); fresh {
		return e.allowed, rm.meta(e, now, true), nil
	}
	return rm.hasSlow(ctx, customerID, key, now)
}

func (rm *ReadModel) hasSlow(ctx context.Context, customerID, key string, now int64) (bool, Meta, error) {
	if err := checkCustomer(customerID); err != nil {
		return false, Meta{}, err
	}
	if err := checkName("key", key); err != nil {
		return false, Meta{}, err
	}
	k := ckey{customer: customerID, name: key, kind: kFeature}
	e, err := rm.load(ctx, k, now)
	if err != nil {
		return false, Meta{}, err
	}
	if e != nil && rm.fresh(e, kFeature, now) {
		return e.allowed, rm.meta(e, now, true), nil
	}
	sctx, clock := rm.askServer(ctx)
	if !rm.platform {
		snap, err := rm.b.Snapshot(sctx, &guapocado.SnapshotParams{Features: []string{key},
			IncludePlans: guapocado.Ptr(false), IncludeSubscription: guapocado.Ptr(false)})
		if err != nil {
			return false, Meta{}, err
		}
		sent := clock.at()
		rm.recordSnapshot(ctx, snap, false, false, sent, clock.seen)
		if err := rm.sameCustomer(customerID, snap.CustomerID); err != nil {
			return false, Meta{}, err
		}
		return snap.Features[key], rm.serverMeta(sent), nil
	}
	ok, err := rm.b.Has(sctx, key, rm.opts(customerID)...)
	if err != nil {
		return false, Meta{}, err
	}
	sent := clock.at()
	rm.write(ctx, customerID, kFeature, key, ok, sent)
	return ok, rm.serverMeta(sent), nil
}

// serverMeta is the Meta of an answer the server gave at sent (its clock).
func (rm *ReadModel) serverMeta(sent time.Time) Meta {
	return Meta{AsOf: sent.UTC(), Age: age(rm.nowNs(), unixNano(sent))}
}

// Limit returns customerID's limit key: from the store while fresh, else
// from the server (Billing.Limit), written back. The result is a copy.
func (rm *ReadModel) Limit(ctx context.Context, customerID, key string) (*guapocado.Limit, Meta, error) {
	v, m, err := rm.read(ctx, ckey{customer: customerID, name: key, kind: kLimit}, func(ctx context.Context, _ *serverClock) (any, string, error) {
		l, err := rm.b.Limit(ctx, key, rm.opts(customerID)...)
		if err != nil {
			return nil, "", err
		}
		return l, l.CustomerID, nil
	})
	if err != nil {
		return nil, m, err
	}
	l := *v.(*guapocado.Limit)
	return &l, m, nil
}

// Balance returns customerID's usage balance of the meter key: from the
// store while fresh (and not past its reset time), else from the server
// (Usage.Balance), written back. The result is a copy.
func (rm *ReadModel) Balance(ctx context.Context, customerID, key string) (*guapocado.Usage, Meta, error) {
	v, m, err := rm.read(ctx, ckey{customer: customerID, name: key, kind: kUsage}, func(ctx context.Context, _ *serverClock) (any, string, error) {
		u, err := rm.b.Usage.Balance(ctx, key, rm.opts(customerID)...)
		if err != nil {
			return nil, "", err
		}
		return u, u.CustomerID, nil
	})
	if err != nil {
		return nil, m, err
	}
	u := *v.(*guapocado.Usage)
	return &u, m, nil
}

// Subscription returns customerID's current subscription, nil when it has
// none: from the store while fresh, else from the server
// (Subscription.Current on a platform client, the snapshot on a session
// client), written back.
func (rm *ReadModel) Subscription(ctx context.Context, customerID string) (*guapocado.Subscription, Meta, error) {
	v, m, err := rm.read(ctx, ckey{customer: customerID, name: nameCurrent, kind: kSubscription}, func(ctx context.Context, clock *serverClock) (any, string, error) {
		if !rm.platform {
			snap, err := rm.b.Snapshot(ctx, &guapocado.SnapshotParams{IncludePlans: guapocado.Ptr(false)})
			if err != nil {
				return nil, "", err
			}
			rm.recordSnapshot(ctx, snap, false, true, clock.at(), clock.seen)
			return snap.Subscription, snap.CustomerID, errRecorded
		}
		s, err := rm.b.Subscription.Current(ctx, rm.opts(customerID)...)
		if err != nil {
			return nil, "", err
		}
		return s, customerID, nil
	})
	if err != nil {
		return nil, m, err
	}
	s, _ := v.(*guapocado.Subscription)
	if s == nil {
		return nil, m, nil
	}
	c := *s
	return &c, m, nil
}

// Plans returns the plan catalogue: from the store while fresh, else from
// the server (Plans.List), written back. The slice is the caller's.
func (rm *ReadModel) Plans(ctx context.Context) ([]guapocado.Plan, Meta, error) {
	v, m, err := rm.read(ctx, ckey{name: nameAll, kind: kPlans}, func(ctx context.Context, _ *serverClock) (any, string, error) {
		p, err := rm.b.Plans.List(ctx)
		return p, "", err
	})
	if err != nil {
		return nil, m, err
	}
	return append([]guapocado.Plan(nil), v.([]guapocado.Plan)...), m, nil
}

// errRecorded tells read that fetch already wrote its answer back.
var errRecorded = &recordedMarker{}

type recordedMarker struct{}

func (*recordedMarker) Error() string { return "recorded" }

// read is the shared path of the reads other than Has: the fresh cache or
// store, else fetch (which returns the answer and the customer it names),
// written back as of the server's time of its answer (see askServer).
// fetch must send its request with the context it is given.
func (rm *ReadModel) read(ctx context.Context, k ckey, fetch func(context.Context, *serverClock) (any, string, error)) (any, Meta, error) {
	now := rm.nowNs()
	if k.kind != kPlans {
		if err := checkCustomer(k.customer); err != nil {
			return nil, Meta{}, err
		}
	}
	if err := checkName("key", k.name); err != nil {
		return nil, Meta{}, err
	}
	e, err := rm.load(ctx, k, now)
	if err != nil {
		return nil, Meta{}, err
	}
	if e != nil && rm.fresh(e, k.kind, now) {
		return e.val, rm.meta(e, now, true), nil
	}
	sctx, clock := rm.askServer(ctx)
	v, answered, err := fetch(sctx, clock)
	sent := clock.at()
	recorded := err == errRecorded
	if err != nil && !recorded {
		return nil, Meta{}, err
	}
	if !rm.platform && answered == "" && k.kind != kPlans {
		answered = k.customer
	}
	if !recorded {
		owner := k.customer
		if !rm.platform && answered != "" {
			owner = answered
		}
		rm.writeBack(ctx, owner, k.kind, k.name, v, clock)
	}
	if err := rm.sameCustomer(k.customer, answered); err != nil {
		return nil, Meta{}, err
	}
	return v, rm.serverMeta(sent), nil
}

// Snapshot answers params (see guapocado.SnapshotParams; Debug and
// Customer are not served locally) for customerID: from the store when
// every part is there and fresh (features, meters, limits, the customer,
// and the plans and the subscription unless excluded), else with one
// snapshot request to the server, whose every part is written back. Meta
// is the oldest part's. params may be nil.
func (rm *ReadModel) Snapshot(ctx context.Context, customerID string, params *guapocado.SnapshotParams) (*guapocado.Snapshot, Meta, error) {
	if err := checkCustomer(customerID); err != nil {
		return nil, Meta{}, err
	}
	if params == nil {
		params = &guapocado.SnapshotParams{}
	}
	if !params.Debug && params.Customer == nil {
		if snap, m, ok, err := rm.localSnapshot(ctx, customerID, params); err != nil {
			return nil, Meta{}, err
		} else if ok {
			return snap, m, nil
		}
	}
	return rm.Load(ctx, customerID, params)
}

// Load asks the server for params' snapshot of customerID (one request),
// writes every part back, and returns it: the way to fill the read model
// for a customer in one call. On a session client customerID may be empty:
// the answer's CustomerID names the session's customer.
func (rm *ReadModel) Load(ctx context.Context, customerID string, params *guapocado.SnapshotParams) (*guapocado.Snapshot, Meta, error) {
	if customerID == "" && rm.platform {
		return nil, Meta{}, checkCustomer(customerID)
	}
	if params == nil {
		params = &guapocado.SnapshotParams{}
	}
	var opts []guapocado.CallOption
	if customerID != "" {
		opts = rm.opts(customerID)
	}
	sctx, clock := rm.askServer(ctx)
	snap, err := rm.b.Snapshot(sctx, params, opts...)
	if err != nil {
		return nil, Meta{}, err
	}
	sent := clock.at()
	if snap.CustomerID == "" {
		snap.CustomerID = customerID
	}
	rm.recordSnapshot(ctx, snap, params.IncludePlans == nil || *params.IncludePlans,
		params.IncludeSubscription == nil || *params.IncludeSubscription, sent, clock.seen)
	if customerID != "" {
		if err := rm.sameCustomer(customerID, snap.CustomerID); err != nil {
			return nil, Meta{}, err
		}
	}
	return snap, rm.serverMeta(sent), nil
}

// recordSnapshot writes every part of a snapshot answer back.
// source is the answer's time, seen what its request had seen (-1 when
// unknown), as writeAt takes them.
func (rm *ReadModel) recordSnapshot(ctx context.Context, snap *guapocado.Snapshot, plans, sub bool, source time.Time, seen int64) {
	c := snap.CustomerID
	if c == "" {
		return
	}
	for k, v := range snap.Features {
		rm.writeAt(ctx, c, kFeature, k, v, source, seen)
	}
	for k, u := range snap.Usage {
		rm.writeAt(ctx, c, kUsage, k, &u, source, seen)
	}
	for k, l := range snap.Limits {
		rm.writeAt(ctx, c, kLimit, k, &l, source, seen)
	}
	if snap.Customer != nil {
		rm.writeAt(ctx, c, kCustomer, nameProfile, snap.Customer, source, seen)
	}
	if plans {
		rm.writeAt(ctx, "", kPlans, nameAll, snap.Plans, source, seen)
	}
	if sub {
		rm.writeAt(ctx, c, kSubscription, nameCurrent, snap.Subscription, source, seen)
	}
}

// localSnapshot composes params' snapshot from fresh stored parts.
func (rm *ReadModel) localSnapshot(ctx context.Context, c string, p *guapocado.SnapshotParams) (*guapocado.Snapshot, Meta, bool, error) {
	now := rm.nowNs()
	oldest := now
	get := func(kind uint8, name string) (*entry, bool, error) {
		e, err := rm.load(ctx, ckey{customer: c, name: name, kind: kind}, now)
		if err != nil || e == nil || !rm.fresh(e, kind, now) {
			return nil, false, err
		}
		oldest = min(oldest, e.asOf)
		return e, true, nil
	}
	snap := &guapocado.Snapshot{CustomerID: c, Features: map[string]bool{}, Usage: map[string]guapocado.Usage{},
		Limits: map[string]guapocado.Limit{}, Plans: []guapocado.Plan{}}
	for _, k := range p.Features {
		e, ok, err := get(kFeature, k)
		if !ok {
			return nil, Meta{}, false, err
		}
		snap.Features[k] = e.allowed
	}
	for _, k := range p.Usage {
		e, ok, err := get(kUsage, k)
		if !ok {
			return nil, Meta{}, false, err
		}
		snap.Usage[k] = *e.val.(*guapocado.Usage)
	}
	for _, k := range p.Limits {
		e, ok, err := get(kLimit, k)
		if !ok {
			return nil, Meta{}, false, err
		}
		snap.Limits[k] = *e.val.(*guapocado.Limit)
	}
	e, ok, err := get(kCustomer, nameProfile)
	if !ok {
		return nil, Meta{}, false, err
	}
	cust := *e.val.(*guapocado.Customer)
	snap.Customer = &cust
	if p.IncludePlans == nil || *p.IncludePlans {
		e, ok, err := get2(rm, ctx, now, &oldest)
		if !ok {
			return nil, Meta{}, false, err
		}
		snap.Plans = append([]guapocado.Plan(nil), e.val.([]guapocado.Plan)...)
	}
	if p.IncludeSubscription == nil || *p.IncludeSubscription {
		e, ok, err := get(kSubscription, nameCurrent)
		if !ok {
			return nil, Meta{}, false, err
		}
		if s, _ := e.val.(*guapocado.Subscription); s != nil {
			cp := *s
			snap.Subscription = &cp
		}
	}
	return snap, Meta{Local: true, AsOf: time.Unix(0, oldest).UTC(), Age: age(now, oldest)}, true, nil
}

// get2 reads the plans (a record of no customer).
func get2(rm *ReadModel, ctx context.Context, now int64, oldest *int64) (*entry, bool, error) {
	e, err := rm.load(ctx, ckey{name: nameAll, kind: kPlans}, now)
	if err != nil || e == nil || !rm.fresh(e, kPlans, now) {
		return nil, false, err
	}
	*oldest = min(*oldest, e.asOf)
	return e, true, nil
}
