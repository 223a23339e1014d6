package readmodel

import (
	"context"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/webhook"
)

// The data of each event type, as the typed hooks receive it (package
// webhook's types).
type (
	CustomerUpdated     = webhook.CustomerUpdated
	SubscriptionUpdated = webhook.SubscriptionUpdated
	PurchaseCompleted   = webhook.PurchaseCompleted
	PurchaseUpdated     = webhook.PurchaseUpdated
	EntitlementsUpdated = webhook.EntitlementsUpdated
	InvoiceUpdated      = webhook.InvoiceUpdated
	UsageUpdated        = webhook.UsageUpdated
)

// Hooks are called by [ReadModel.Project] (and so by the webhook handler)
// after an event was projected into the store, once per processed event:
// a repeated delivery, which the store's claim recognises, fires nothing.
// There are two tiers:
//
//   - The event hooks fire for every processed event of their type,
//     whatever its last-write-wins outcome (an event older than what the
//     store holds still fires them, although it changed nothing): OnEvent
//     for every type, unknown ones included; one typed hook per event type
//     (OnCustomerUpdated … OnUsageUpdated) with the event's data decoded;
//     and OnPurchase for every processed purchase.completed.
//   - The transition hooks OnSubscribe, OnCancel and OnPlanChange fire
//     only when the event's write won (it was not older than what the store
//     holds): they report a change of the stored subscription, so a late
//     or repeated event does not report it again.
//
// They run in this order: the transition hooks and OnPurchase, the typed
// hook of the event's type, OnEvent. A hook that returns an error makes
// Project fail: the webhook handler then answers 500, forgets the event
// id, and the sender's retry runs the projection and the hooks again, the
// ones that had already run included (write hooks to be idempotent, for
// example keyed by ev.ID).
type Hooks struct {
	// OnEvent is called for every event.
	OnEvent func(ctx context.Context, ev *Event) error

	// OnCustomerUpdated: a customer.updated event.
	OnCustomerUpdated func(ctx context.Context, ev *Event, d *CustomerUpdated) error
	// OnSubscriptionUpdated: a subscription.updated event.
	OnSubscriptionUpdated func(ctx context.Context, ev *Event, d *SubscriptionUpdated) error
	// OnPurchaseCompleted: a purchase.completed event (OnPurchase fires for
	// it too).
	OnPurchaseCompleted func(ctx context.Context, ev *Event, d *PurchaseCompleted) error
	// OnPurchaseUpdated: a purchase.updated event (a refund, any update).
	OnPurchaseUpdated func(ctx context.Context, ev *Event, d *PurchaseUpdated) error
	// OnEntitlementsUpdated: an entitlements.updated event.
	OnEntitlementsUpdated func(ctx context.Context, ev *Event, d *EntitlementsUpdated) error
	// OnInvoiceUpdated: an invoice.updated event.
	OnInvoiceUpdated func(ctx context.Context, ev *Event, d *InvoiceUpdated) error
	// OnUsageUpdated: a usage.updated event (either shape of its data).
	OnUsageUpdated func(ctx context.Context, ev *Event, d *UsageUpdated) error

	// OnSubscribe: the customer's subscription became active (from none or
	// from another status). previous is nil when none was stored.
	OnSubscribe func(ctx context.Context, ev *Event, sub, previous *guapocado.Subscription) error
	// OnCancel: the subscription became canceled.
	OnCancel func(ctx context.Context, ev *Event, sub, previous *guapocado.Subscription) error
	// OnPlanChange: a stored subscription's plan changed.
	OnPlanChange func(ctx context.Context, ev *Event, sub, previous *guapocado.Subscription) error
	// OnPurchase: a purchase completed: every processed purchase.completed
	// event, even when a newer update of the same purchase (a refund)
	// arrived first.
	OnPurchase func(ctx context.Context, ev *Event, p *PurchaseCompleted) error
}

// runEventHooks runs the typed hook of ev's type, then OnEvent.
func (rm *ReadModel) runEventHooks(ctx context.Context, ev *Event) error {
	h := rm.hooks
	var err error
	switch ev.Type {
	case webhook.EventCustomerUpdated:
		err = runTyped(ctx, ev, (*Event).CustomerUpdated, h.OnCustomerUpdated)
	case webhook.EventSubscriptionUpdated:
		err = runTyped(ctx, ev, (*Event).SubscriptionUpdated, h.OnSubscriptionUpdated)
	case webhook.EventPurchaseCompleted:
		err = runTyped(ctx, ev, (*Event).PurchaseCompleted, h.OnPurchaseCompleted)
	case webhook.EventPurchaseUpdated:
		err = runTyped(ctx, ev, (*Event).PurchaseUpdated, h.OnPurchaseUpdated)
	case webhook.EventEntitlementsUpdated:
		err = runTyped(ctx, ev, (*Event).EntitlementsUpdated, h.OnEntitlementsUpdated)
	case webhook.EventInvoiceUpdated:
		err = runTyped(ctx, ev, (*Event).InvoiceUpdated, h.OnInvoiceUpdated)
	case webhook.EventUsageUpdated:
		err = runTyped(ctx, ev, (*Event).UsageUpdated, h.OnUsageUpdated)
	}
	if err != nil {
		return err
	}
	if h.OnEvent != nil {
		return h.OnEvent(ctx, ev)
	}
	return nil
}

// runTyped decodes ev's data for fn and calls it; nothing when fn is nil.
func runTyped[T any](ctx context.Context, ev *Event, decode func(*Event) (*T, error), fn func(context.Context, *Event, *T) error) error {
	if fn == nil {
		return nil
	}
	d, err := decode(ev)
	if err != nil {
		return err
	}
	return fn(ctx, ev, d)
}
