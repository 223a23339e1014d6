package readmodel

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/webhook"
)

// Event is a verified webhook event (package webhook's).
type Event = webhook.Event

// Project applies one verified event to the store, then runs the hooks
// ([WithHooks]): the entry for events that arrive through a queue rather
// than HTTP ([ReadModel.WebhookHandler] calls it too). An event with an id
// is processed at least once and, unless an instance is slower than the
// claim's lease, once: the id is claimed in the store ([Store.Claim], for
// [WithClaimLease]) before the projection and the hooks, and recorded as
// completed ([Store.Complete], for [WithClaimTTL]) after them. A repeated
// delivery, to this instance or to another sharing the store, of a
// completed event returns nil without doing anything; of an event claimed
// but not completed it returns [ErrEventInProgress] (the handler answers
// 500, so the sender retries), until the lease has passed and the delivery
// takes the event over, as after a crash. When the projection or a hook
// fails the claim is released and the error returned, so a retry processes
// the event.
//
// Every write is last-write-wins by the event's createdAt:
//
//	usage.updated         the balance of customerId's meter key
//	subscription.updated  the current subscription; a change of plan or status drops the customer's features, limits and balances
//	entitlements.updated  drops the customer's features, limits and balances
//	purchase.completed    the purchase (drops features, limits and balances when it granted something)
//	purchase.updated      the purchase
//	customer.updated      the customer
//	invoice.updated       the invoice
//
// Dropping writes tombstones as of createdAt, so an answer fetched before
// the event cannot come back. Other types only run OnEvent. An event
// without createdAt counts as the oldest possible one: its writes lose to
// everything stored, and what it stores ages from the moment it was
// stored. Data of the wrong shape returns an error matching
// webhook.ErrMalformedPayload.
func (rm *ReadModel) Project(ctx context.Context, ev *Event) error {
	if ev == nil {
		return invalid("Project: nil event")
	}
	id := claimID(ev.ID)
	if ev.ID != "" {
		first, err := rm.store.Claim(ctx, id, rm.lease)
		if err != nil {
			return fmt.Errorf("readmodel: claim event: %w", err)
		}
		if !first {
			done, err := rm.store.Completed(ctx, id)
			if err != nil {
				return fmt.Errorf("readmodel: claim event: %w", err)
			}
			if !done {
				return ErrEventInProgress
			}
			rm.count(func(s *handlerStats) { s.duplicates++ })
			return nil
		}
	}
	if err := rm.project(ctx, ev); err != nil {
		if ev.ID != "" {
			if rerr := rm.store.Release(context.WithoutCancel(ctx), id); rerr != nil {
				rm.report(fmt.Errorf("readmodel: release the claim of a failed event: %w", rerr))
			}
		}
		rm.count(func(s *handlerStats) { s.failed++ })
		return err
	}
	if ev.ID != "" {
		// Until this succeeds the event is not done anywhere: a redelivery
		// answers ErrEventInProgress, and after the lease another instance
		// processes it again.
		if err := rm.store.Complete(context.WithoutCancel(ctx), id, rm.claimTTL); err != nil {
			rm.count(func(s *handlerStats) { s.failed++ })
			return fmt.Errorf("readmodel: record the event as processed: %w", err)
		}
	}
	rm.count(func(s *handlerStats) { s.processed++; s.last = rm.now() })
	return nil
}

func claimID(id string) string { return "webhook-event:" + id }

// sourceOf is the event's time for last-write-wins: createdAt, or the
// oldest storable time when it has none.
func sourceOf(ev *Event) time.Time {
	if ev.CreatedAt.IsZero() || ValidateTime(ev.CreatedAt) != nil {
		return minTime
	}
	return ev.CreatedAt
}

var entitlementKinds = []uint8{kFeature, kLimit, kUsage}

// hasBalance reports whether a usage.updated event carries a balance (a
// number, 0 included, or the nested balance object).
func hasBalance(d *UsageUpdated) bool {
	var v struct {
		Balance json.RawMessage `json:"balance"`
	}
	if json.Unmarshal(d.Raw, &v) != nil {
		return false
	}
	b := bytes.TrimSpace(v.Balance)
	return len(b) > 0 && string(b) != "null"
}

func (rm *ReadModel) project(ctx context.Context, ev *Event) error {
	at := sourceOf(ev)
	switch ev.Type {
	case webhook.EventUsageUpdated:
		d, err := ev.UsageUpdated()
		if err != nil {
			return err
		}
		if d.CustomerID == "" || d.Key == "" {
			return fmt.Errorf("%w: usage.updated without customerId or key", webhook.ErrMalformedPayload)
		}
		if !hasBalance(d) {
			// The event says the balance changed, not to what: drop the
			// stored one, so the next read asks the server.
			if err := rm.invalidateOne(ctx, d.CustomerID, kUsage, d.Key, at); err != nil {
				return err
			}
			break
		}
		u := &guapocado.Usage{CustomerID: d.CustomerID, Key: d.Key, Balance: int64(d.Balance), Included: int64(d.Included),
			Consumed: int64(d.Consumed), Overage: int64(d.Overage), OverageAllowed: d.OverageAllowed,
			OverageEnabled: d.OverageEnabled, Resets: d.Resets}
		if _, err := rm.write(ctx, d.CustomerID, kUsage, d.Key, u, at); err != nil {
			return err
		}
	case webhook.EventSubscriptionUpdated:
		if _, err := ev.SubscriptionUpdated(); err != nil {
			return err
		}
		if err := rm.projectSubscription(ctx, ev, at); err != nil {
			return err
		}
	case webhook.EventEntitlementsUpdated:
		d, err := ev.EntitlementsUpdated()
		if err != nil {
			return err
		}
		if d.CustomerID == "" {
			return fmt.Errorf("%w: entitlements.updated without customerId", webhook.ErrMalformedPayload)
		}
		if err := rm.invalidate(ctx, d.CustomerID, at, entitlementKinds...); err != nil {
			return err
		}
	case webhook.EventPurchaseCompleted:
		d, err := ev.PurchaseCompleted()
		if err != nil {
			return err
		}
		p := d.Purchase
		if p.ID == "" || p.CustomerID == "" {
			return fmt.Errorf("%w: purchase without id or customerId", webhook.ErrMalformedPayload)
		}
		if _, err := rm.write(ctx, p.CustomerID, kPurchase, p.ID, &p, at); err != nil {
			return err
		}
		if len(d.Grants) > 0 {
			if err := rm.invalidate(ctx, p.CustomerID, at, entitlementKinds...); err != nil {
				return err
			}
		}
		if rm.hooks.OnPurchase != nil { // every processed purchase.completed, whatever the race said
			if err := rm.hooks.OnPurchase(ctx, ev, d); err != nil {
				return err
			}
		}
	case webhook.EventPurchaseUpdated:
		d, err := ev.PurchaseUpdated()
		if err != nil {
			return err
		}
		p := d.Purchase
		if p.ID == "" || p.CustomerID == "" {
			return fmt.Errorf("%w: purchase without id or customerId", webhook.ErrMalformedPayload)
		}
		if _, err := rm.write(ctx, p.CustomerID, kPurchase, p.ID, &p, at); err != nil {
			return err
		}
	case webhook.EventCustomerUpdated:
		d, err := ev.CustomerUpdated()
		if err != nil {
			return err
		}
		c := d.Customer
		if c.ID == "" {
			return fmt.Errorf("%w: customer.updated without customer.id", webhook.ErrMalformedPayload)
		}
		if _, err := rm.write(ctx, c.ID, kCustomer, nameProfile, &guapocado.Customer{ID: c.ID, Name: c.Name, Email: c.Email, Metadata: c.Metadata, MetadataRaw: c.MetadataRaw}, at); err != nil {
			return err
		}
	case webhook.EventInvoiceUpdated:
		d, err := ev.InvoiceUpdated()
		if err != nil {
			return err
		}
		if d.Invoice.ID == "" || d.Invoice.CustomerID == "" {
			return fmt.Errorf("%w: invoice without id or customerId", webhook.ErrMalformedPayload)
		}
		if _, err := rm.write(ctx, d.Invoice.CustomerID, kInvoice, d.Invoice.ID, &d.Invoice, at); err != nil {
			return err
		}
	}
	return rm.runEventHooks(ctx, ev)
}

// projectSubscription stores the event's subscription and fires the
// subscription hooks when it won.
func (rm *ReadModel) projectSubscription(ctx context.Context, ev *Event, at time.Time) error {
	var d struct {
		Subscription *guapocado.Subscription `json:"subscription"`
	}
	if err := json.Unmarshal(ev.Data, &d); err != nil || d.Subscription == nil {
		// The flat form of hand-made events.
		d.Subscription = new(guapocado.Subscription)
		if err := json.Unmarshal(ev.Data, d.Subscription); err != nil {
			return fmt.Errorf("%w: subscription.updated data", webhook.ErrMalformedPayload)
		}
	}
	sub := d.Subscription
	if sub.CustomerID == "" {
		return fmt.Errorf("%w: subscription.updated without customerId", webhook.ErrMalformedPayload)
	}
	var previous *guapocado.Subscription
	rec, found, err := rm.store.Get(ctx, Key(sub.CustomerID, string(KindSubscription), nameCurrent))
	if err != nil {
		return err
	}
	if found {
		_ = json.Unmarshal(rec.Value, &previous)
	}
	won, err := rm.write(ctx, sub.CustomerID, kSubscription, nameCurrent, sub, at)
	if err != nil {
		return err
	}
	if !won {
		return nil // older than what is stored: nothing changed, no hook
	}
	if previous == nil || previous.PlanKey != sub.PlanKey || previous.Status != sub.Status {
		if err := rm.invalidate(ctx, sub.CustomerID, at, entitlementKinds...); err != nil {
			return err
		}
	}
	h := rm.hooks
	wasActive := previous != nil && previous.Status == guapocado.StatusActive
	if sub.Status == guapocado.StatusActive && !wasActive && h.OnSubscribe != nil {
		if err := h.OnSubscribe(ctx, ev, sub, previous); err != nil {
			return err
		}
	}
	if sub.Status == guapocado.StatusCanceled && (previous == nil || previous.Status != guapocado.StatusCanceled) && h.OnCancel != nil {
		if err := h.OnCancel(ctx, ev, sub, previous); err != nil {
			return err
		}
	}
	if previous != nil && previous.PlanKey != sub.PlanKey && h.OnPlanChange != nil {
		if err := h.OnPlanChange(ctx, ev, sub, previous); err != nil {
			return err
		}
	}
	return nil
}
