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

// reportedUsage is what a request's handler reported for MeterAfter.
type reportedUsage struct {
	mu      sync.Mutex
	keys    []string // MeterAfter's keys, in order
	totals  []int64
	discard bool // a HEAD request: accepted, not charged
	settled bool
}

func newReportedUsage(after []meterAfter, discard bool) *reportedUsage {
	ru := &reportedUsage{keys: make([]string, len(after)), totals: make([]int64, len(after)), discard: discard}
	for i, a := range after {
		ru.keys[i] = a.key
	}
	return ru
}

// close ends the reporting and returns the totals to charge (nil for a
// HEAD request).
func (ru *reportedUsage) close() []int64 {
	ru.mu.Lock()
	defer ru.mu.Unlock()
	ru.settled = true
	if ru.discard {
		return nil
	}
	return ru.totals
}

// ReportUsage records that the handler of the request whose context is ctx
// used amount (> 0) units of the meter key, which the request's Middleware
// must meter with MeterAfter(key, …). After the handler returns the
// middleware consumes the total reported for each key, in one call, for
// the request's customer (see MeterAfter). It is safe to call from several
// goroutines; reports made after the handler returned are refused.
//
// Errors: a *ValidationError for an amount out of range (or a total above
// 2^53), ErrNotMetered when the middleware does not meter key for this
// request or has already settled its usage. On a HEAD request reports are
// accepted and dropped: HEAD is never charged.
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
