package guapocado

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Reserve and settle: the middleware's charges before the handler
// (ConsumeUsage's units, MeterAfter's reservations) and their settling
// after it (the refund rule, the unused part of a reservation refunded,
// usage beyond it charged as far as the balance allows).

// UnpaidUsageError is what OnBillingError gets when a handler behind
// MeterAfter reported more than its reservation and the customer's balance
// could not pay for all of it. The handler's answer was already sent.
//
// Reported = Reserved + Charged + Unpaid: the reservation was paid before
// the handler, Charged of the excess was consumed after it, and Unpaid
// units were served without payment. It matches ErrInsufficientBalance.
type UnpaidUsageError struct {
	Customer string // the request's customer
	Key      string // the meter
	Reported int64  // units the handler reported
	Reserved int64  // units taken before the handler
	Charged  int64  // units of the excess consumed after the handler
	Unpaid   int64  // units served that could not be charged
	Err      error  // the last refusal of the billing server
}

// Error names the customer, the meter and the amounts.
func (e *UnpaidUsageError) Error() string {
	return "guapocado: Middleware: " + strconv.FormatInt(e.Unpaid, 10) + " " + e.Key +
		" unpaid for customer " + e.Customer + ": the handler reported " + strconv.FormatInt(e.Reported, 10) +
		" (" + strconv.FormatInt(e.Reserved, 10) + " reserved before it, " + strconv.FormatInt(e.Charged, 10) +
		" more charged after it): " + e.Err.Error()
}

// Unwrap returns the billing server's refusal.
func (e *UnpaidUsageError) Unwrap() error { return e.Err }

// Is makes an UnpaidUsageError match ErrInsufficientBalance.
func (e *UnpaidUsageError) Is(target error) bool { return target == ErrInsufficientBalance }

// charge is one consume the middleware made before the handler.
type charge struct {
	key    string
	amount int64
}

// take makes a charged request's consumes before the handler: ConsumeUsage's
// units, then each MeterAfter's reservation. It returns the client bound to
// the customer the first answer named and the reservations, or answers the
// request (ok false) after giving back what it took.
func (m *middleware) take(w http.ResponseWriter, r *http.Request, gc *Billing, vals *requestValues) (_ *Billing, reserved []int64, ok bool) {
	mc := m.mc
	ctx := r.Context()
	var took []charge
	consume := func(key string, amount int64) (*Usage, bool) {
		sent, cctx := time.Now(), ctx
		if mc.readModel != nil {
			cctx = WithServerTime(ctx, &sent) // the answer's Date orders its write-back
		}
		u, err := gc.Usage.Consume(cctx, key, amount)
		if err == nil && vals.customer == "" && u.CustomerID == "" {
			// Charged, but for whom? Nothing more can be done for this customer.
			m.report(r, errors.New("guapocado: Middleware: the consume's answer names no customer"))
			m.write(w, r, http.StatusBadGateway, &MiddlewareError{Code: CodeBillingError, Key: key, Message: "The billing check failed."})
			return nil, false
		}
		if err != nil {
			m.giveBack(r, gc, vals.customer, took)
			m.fail(w, r, err, key, amount)
			return nil, false
		}
		m.observeUsage(ctx, u, sent)
		if vals.customer == "" {
			gc = gc.boundTo(u.CustomerID)
			vals.customer = u.CustomerID
		}
		took = append(took, charge{key, amount})
		return u, true
	}
	if mc.meter != "" {
		u, ok := consume(mc.meter, mc.amount)
		if !ok {
			return gc, nil, false
		}
		vals.usage = u
	}
	if len(mc.after) > 0 {
		reserved = make([]int64, len(mc.after))
	}
	for i, a := range mc.after {
		if _, ok := consume(a.key, a.reserve); !ok {
			return gc, nil, false
		}
		reserved[i] = a.reserve
	}
	return gc, reserved, true
}

// giveBack refunds what take consumed for a request it then refused.
func (m *middleware) giveBack(r *http.Request, gc *Billing, customer string, took []charge) {
	if len(took) == 0 {
		return
	}
	ctx, cancel := m.settleContext(r)
	defer cancel()
	for _, t := range took {
		if _, err := gc.Usage.Refund(ctx, t.key, t.amount); err != nil {
			m.report(r, fmt.Errorf("guapocado: Middleware: refunding %d %s to customer %s after a later check refused the request: %w", t.amount, t.key, customer, err))
		}
	}
}

// settleContext is the context of the calls after the handler (or after a
// refusal): it outlives the request's cancellation, bounded in time.
func (m *middleware) settleContext(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(r.Context()), m.mc.settleLimit)
}

// settle runs once after the handler: the refund rule, then each
// MeterAfter's reservation against what the handler reported.
func (m *middleware) settle(r *http.Request, gc *Billing, vals *requestValues, status int, panicked any) {
	mc := m.mc
	failed := mc.refundRule != nil && mc.refundRule(status, panicked)
	var reserved, reported []int64
	if vals.meters != nil {
		reserved, reported = vals.meters.close()
	}
	work := failed && vals.usage != nil
	for i := range reserved {
		if reserved[i] != reported[i] || failed && reserved[i] > 0 {
			work = true
		}
	}
	if !work {
		return
	}
	ctx, cancel := m.settleContext(r)
	defer cancel()
	if failed && vals.usage != nil {
		if _, err := gc.Usage.Refund(ctx, mc.meter, mc.amount); err != nil {
			m.report(r, fmt.Errorf("guapocado: Middleware: refunding %d %s to customer %s after the handler failed: %w", mc.amount, mc.meter, vals.customer, err))
		}
	}
	for i, a := range mc.after {
		if reserved[i] == 0 {
			continue // an uncharged request reserved nothing
		}
		used := reported[i]
		if failed {
			used = 0 // a failed handler is not charged: its reservation goes back
		}
		switch {
		case used < reserved[i]:
			if _, err := gc.Usage.Refund(ctx, a.key, reserved[i]-used); err != nil {
				m.report(r, fmt.Errorf("guapocado: Middleware: refunding the unused %d of %d %s reserved for customer %s: %w",
					reserved[i]-used, reserved[i], a.key, vals.customer, err))
			}
		case used > reserved[i]:
			charged, err := chargeExcess(ctx, gc, a.key, used-reserved[i])
			switch {
			case err == nil:
			case errors.Is(err, ErrInsufficientBalance):
				m.report(r, &UnpaidUsageError{Customer: vals.customer, Key: a.key, Reported: used, Reserved: reserved[i],
					Charged: charged, Unpaid: used - reserved[i] - charged, Err: err})
			default:
				m.report(r, fmt.Errorf("guapocado: Middleware: consuming %d %s reported by the handler for customer %s (%d reserved before it, %d of the %d more charged): %w",
					used, a.key, vals.customer, reserved[i], charged, used-reserved[i], err))
			}
		}
	}
}

// maxExcessTries bounds chargeExcess's consumes: concurrent requests can
// shrink the balance between its balance read and its consume.
const maxExcessTries = 3

// chargeExcess consumes excess units of key, or as many as the balance
// holds when the whole excess is refused for the balance. It returns the
// units charged and, when not all were, the last refusal (matching
// ErrInsufficientBalance when the balance was the reason).
func chargeExcess(ctx context.Context, gc *Billing, key string, excess int64) (charged int64, err error) {
	want := excess
	var refusal error // the whole excess refused for the balance
	for range maxExcessTries {
		_, err = gc.Usage.Consume(ctx, key, want)
		if err == nil {
			charged += want
			if charged == excess {
				return charged, nil
			}
			return charged, refusal // the balance held less than the excess: the rest is unpaid
		}
		if !errors.Is(err, ErrInsufficientBalance) {
			return charged, err
		}
		refusal = err
		u, berr := gc.Usage.Balance(ctx, key)
		if berr != nil {
			return charged, errors.Join(err, berr)
		}
		if u.Balance <= 0 {
			return charged, err
		}
		want = min(u.Balance, excess-charged)
	}
	return charged, err
}
