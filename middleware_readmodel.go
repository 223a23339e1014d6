package guapocado

import (
	"context"
	"time"
)

// ReadModel is a local read model the Middleware consults before asking
// the billing server (WithReadModel). Package
// github.com/guapocado/guapocado-go/readmodel's *ReadModel implements it.
type ReadModel interface {
	// LocalFeature answers whether customerID has the feature key from
	// fresh local state; ok is false when it cannot.
	LocalFeature(customerID, key string) (allowed, ok bool)
	// LocalUsage answers customerID's balance of the meter key from fresh
	// local state; ok is false when it cannot.
	LocalUsage(customerID, key string) (u Usage, ok bool)
	// Observe records an answer the middleware got from the server (a
	// *Snapshot or a *Usage) as of asOf, the server's time of the answer
	// (its Date), or the moment its request was sent when it had none.
	Observe(ctx context.Context, answer any, asOf time.Time)
}

// WithReadModel makes the Middleware answer its checks (RequireFeature,
// and the balances an uncharged request is checked for) from rm when the request's customer is known
// before any billing call (a platform client's CustomerFrom or CustomerID)
// and every answer is fresh there: such a request makes no billing request
// for its checks. Otherwise the checks go to the server as without it, and
// the answers are recorded in rm; so are the balances of the consumes,
// which always go to the server. On a session client only the session's
// answer names the customer, so the checks always go to the server.
func WithReadModel(rm ReadModel) MiddlewareOption {
	return func(mc *middlewareConfig) {
		if rm == nil {
			mc.bad(&ValidationError{Field: "WithReadModel", Reason: "nil read model"})
			return
		}
		mc.readModel = rm
	}
}

// checkSnapshot is the middleware's check request: from the read model
// when it can answer everything, else one Snapshot, recorded in it.
func (m *middleware) checkSnapshot(ctx context.Context, gc *Billing, customer string, features, usage []string) (*Snapshot, error) {
	rm := m.mc.readModel
	if rm == nil {
		return gc.Snapshot(ctx, &SnapshotParams{Features: features, Usage: usage,
			IncludePlans: jsonFalsePtr, IncludeSubscription: jsonFalsePtr})
	}
	if customer != "" {
		if snap, ok := localChecks(rm, customer, features, usage); ok {
			return snap, nil
		}
	}
	sent := time.Now() // replaced by the answer's Date: the server's clock orders write-backs
	snap, err := gc.Snapshot(WithServerTime(ctx, &sent), &SnapshotParams{Features: features, Usage: usage,
		IncludePlans: jsonFalsePtr, IncludeSubscription: jsonFalsePtr})
	if err == nil {
		rm.Observe(ctx, snap, sent)
	}
	return snap, err
}

func localChecks(rm ReadModel, customer string, features, usage []string) (*Snapshot, bool) {
	snap := &Snapshot{CustomerID: customer, Features: make(map[string]bool, len(features))}
	for _, f := range features {
		ok, fresh := rm.LocalFeature(customer, f)
		if !fresh {
			return nil, false
		}
		snap.Features[f] = ok
	}
	if len(usage) > 0 {
		snap.Usage = make(map[string]Usage, len(usage))
		for _, k := range usage {
			u, fresh := rm.LocalUsage(customer, k)
			if !fresh {
				return nil, false
			}
			snap.Usage[k] = u
		}
	}
	return snap, true
}

// observeUsage records a consume's answer in the read model, if any.
func (m *middleware) observeUsage(ctx context.Context, u *Usage, sent time.Time) {
	if rm := m.mc.readModel; rm != nil && u != nil {
		rm.Observe(ctx, u, sent)
	}
}
