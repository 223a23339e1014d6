package guapocado

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrNotMetered is returned by ReportUsage when the context is not of a
// request that Middleware meters with MeterAfter for that key, or when the
// request's usage was already settled (the handler had returned).
var ErrNotMetered = errors.New("guapocado: usage not metered here")

// reportedUsage is what a request's handler reported for MeterAfter,
// against what the middleware reserved for it.
type reportedUsage struct {
	mu       sync.Mutex
	keys     []string // MeterAfter's keys, in order
	reserved []int64  // nil on an uncharged request
	totals   []int64
	settled  bool
}

func newReportedUsage(after []meterAfter, reserved []int64) *reportedUsage {
	ru := &reportedUsage{keys: make([]string, len(after)), totals: make([]int64, len(after)), reserved: reserved}
	for i, a := range after {
		ru.keys[i] = a.key
	}
	return ru
}

// close ends the reporting and returns the reservations and the totals
// reported (both nil on an uncharged request, whose reports are dropped).
func (ru *reportedUsage) close() (reserved, reported []int64) {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.settled = true
	if ru.reserved == nil {
		return nil, nil
	}
	return ru.reserved, ru.totals
}

// Allowance is what a handler behind MeterAfter may still use of one
// meter in the current request (AllowanceFromContext).
type Allowance struct {
	// Key is the meter.
	Key string
	// Charged is false on a request the middleware does not charge
	// (OPTIONS, or HEAD under FreeHEAD): nothing was reserved and
	// nothing reported is charged.
	Charged bool
	// Reserved is the units taken from the balance before the handler.
	Reserved int64
	// Reported is the total the handler reported so far (ReportUsage).
	Reported int64
	// Remaining is Reserved less Reported, never below 0: the units the
	// handler may still use with payment guaranteed. Usage beyond it is
	// charged only as far as the balance allows after the handler (see
	// MeterAfter).
	Remaining int64
}

// AllowanceFromContext returns what the handler of the request whose
// context is ctx may still use of the meter key, which the request's
// Middleware meters with MeterAfter, and whether there is such a meter.
// Read it before each unit of work whose cost may exceed what is left:
// a handler that stays within Remaining is always paid for in full.
func AllowanceFromContext(ctx context.Context, key string) (Allowance, bool) {
	v, _ := ctx.Value(requestValuesKey{}).(*requestValues)
	if v == nil || v.meters == nil {
		return Allowance{}, false
	}
	ru := v.meters
	ru.mu.Lock()
	defer ru.mu.Unlock()
	for i, k := range ru.keys {
		if k != key {
			continue
		}
		a := Allowance{Key: key, Charged: ru.reserved != nil, Reported: ru.totals[i]}
		if a.Charged {
			a.Reserved = ru.reserved[i]
			a.Remaining = max(a.Reserved-a.Reported, 0)
		}
		return a, true
	}
	return Allowance{}, false
}

// ReportUsage records that the handler of the request whose context is ctx
// used amount (> 0) units of the meter key, which the request's Middleware
// must meter with MeterAfter(key, …). After the handler returns the
// middleware settles the total reported for each key against the
// reservation it took before the handler, for the request's customer (see
// MeterAfter; AllowanceFromContext tells what is left of the reservation).
// It is safe to call from several goroutines; reports made after the
// handler returned are refused.
//
// Errors: a *ValidationError for an amount out of range (or a total above
// 2^53), ErrNotMetered when the middleware does not meter key for this
// request or has already settled its usage. On an uncharged request
// (OPTIONS, or HEAD under FreeHEAD) reports are accepted and dropped.
func ReportUsage(ctx context.Context, key string, amount int64) error {
	if err := checkAmount(amount); err != nil {
		return err
	}
	v, _ := ctx.Value(requestValuesKey{}).(*requestValues)
	if v == nil || v.meters == nil {
		return fmt.Errorf("%w: no Middleware with MeterAfter(%q) serves this request", ErrNotMetered, key)
	}
	ru := v.meters
	ru.mu.Lock()
	defer ru.mu.Unlock()
	if ru.settled {
		return fmt.Errorf("%w: the request's usage was settled when its handler returned", ErrNotMetered)
	}
	for i, k := range ru.keys {
		if k != key {
			continue
		}
		if ru.totals[i] > maxAmount-amount {
			return &ValidationError{Field: "amount", Reason: "the total reported for " + key + " would exceed 2^53"}
		}
		ru.totals[i] += amount
		return nil
	}
	return fmt.Errorf("%w: the Middleware has no MeterAfter(%q)", ErrNotMetered, key)
}
