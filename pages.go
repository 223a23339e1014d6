package guapocado

import (
	"context"
	"crypto/sha256"
	"fmt"
	"iter"
)

// pageFetch fetches the page after cursor ("" for the first): its items,
// whether more follow, and the cursor of the next page.
type pageFetch[T any] func(cursor string) (items []T, more bool, next string, err error)

const (
	// DefaultMaxPages bounds the pages one iteration (the All methods)
	// fetches when its params set no MaxPages: 10,000 pages, a million
	// items at a page size of 100.
	DefaultMaxPages = 10_000
	// MaxEmptyPages bounds the pages in a row that hold no item yet say
	// more follow: a listing that keeps answering so is not advancing.
	MaxEmptyPages = 10
)

// PageLimitError ends an iteration (the All methods) that reached one of
// its bounds: MaxPages pages fetched (DefaultMaxPages unless the params
// set another), or MaxEmptyPages empty pages in a row that said more
// follow. The items before it were yielded. It matches
// ErrUnexpectedResponse when the empty pages were the reason.
type PageLimitError struct {
	Path       string // the listing, e.g. "/v1/audit"
	Pages      int    // pages fetched
	EmptyPages int    // empty pages in a row at the end
	MaxPages   int    // the bound on pages in force
}

// Error says which bound was reached.
func (e *PageLimitError) Error() string {
	if e.EmptyPages >= MaxEmptyPages {
		return fmt.Sprintf("guapocado: GET %s: %d empty pages in a row said more follow; stopped after %d pages", e.Path, e.EmptyPages, e.Pages)
	}
	return fmt.Sprintf("guapocado: GET %s: stopped at the bound of %d pages (set MaxPages in the params to go further)", e.Path, e.MaxPages)
}

// Is makes a run of empty pages match ErrUnexpectedResponse.
func (e *PageLimitError) Is(target error) bool {
	return target == ErrUnexpectedResponse && e.EmptyPages >= MaxEmptyPages
}

// pages iterates over the items of the pages fetch returns, from the page
// after start, one request per page made as the loop reaches it. A failed
// page is yielded once as an error and ends the iteration; so does a page
// that says it has more without a new cursor (path names the listing in
// that error), and a *PageLimitError at maxPages pages (0:
// DefaultMaxPages) or MaxEmptyPages empty pages in a row. The cursors seen
// are remembered by their SHA-256, so a listing of long cursors costs 32
// bytes a page. A break in the caller's loop fetches nothing more.
func pages[T any](path, start string, maxPages int, fetch pageFetch[T]) iter.Seq2[T, error] {
	if maxPages <= 0 {
		maxPages = DefaultMaxPages
	}
	return func(yield func(T, error) bool) {
		var zero T
		cursor := start
		seen := map[[sha256.Size]byte]struct{}{sha256.Sum256([]byte(cursor)): {}}
		empty := 0
		for fetched := 1; ; fetched++ {
			items, more, next, err := fetch(cursor)
			if err != nil {
				yield(zero, err)
				return
			}
			for _, it := range items {
				if !yield(it, nil) {
					return
				}
			}
			if !more {
				return
			}
			if len(items) == 0 {
				empty++
			} else {
				empty = 0
			}
			if empty >= MaxEmptyPages || fetched >= maxPages {
				yield(zero, &PageLimitError{Path: path, Pages: fetched, EmptyPages: empty, MaxPages: maxPages})
				return
			}
			h := sha256.Sum256([]byte(next))
			if _, dup := seen[h]; dup {
				yield(zero, &Error{Method: "GET", Path: path, StatusCode: 200,
					Message: "the page has more entries but no new nextCursor", unexpected: true})
				return
			}
			seen[h] = struct{}{}
			cursor = next
		}
	}
}

// checkLimit refuses a negative page size.
func checkLimit(limit int) error {
	if limit < 0 {
		return &ValidationError{Field: "limit", Reason: "must not be negative"}
	}
	return nil
}

// All iterates over the platform's customers from params.Cursor (params
// may be nil; params.Limit is the page size), one request per page
// (GET /v1/customers?cursor=&limit=) made as the loop reaches it; breaking
// out of the loop fetches no more pages:
//
//	for cust, err := range api.Customer.All(ctx, nil) {
//		if err != nil { … } // the loop ends after an error
//		…
//	}
//
// A failed page is yielded once as an error and ends the iteration. Iteration is bounded: see
// PageLimitError.
func (s APICustomerService) All(ctx context.Context, params *ListParams) iter.Seq2[Customer, error] {
	p := ListParams{}
	if params != nil {
		p = *params
	}
	return pages("/v1/customers", p.Cursor, p.MaxPages, func(cursor string) ([]Customer, bool, string, error) {
		q := p
		q.Cursor = cursor
		page, err := s.List(ctx, &q)
		if err != nil {
			return nil, false, "", err
		}
		return page.Customers, page.HasMore, page.NextCursor, nil
	})
}

// purchasePage is one page of purchases.
type purchasePage struct {
	Purchases  []Purchase `json:"purchases"`
	HasMore    bool       `json:"hasMore"`
	NextCursor string     `json:"nextCursor,omitempty"`
}

// All iterates over the customer's one-time purchases (the client's
// default customer, or ForCustomer's), newest first, from params.Cursor
// (params may be nil), one request per page
// (GET /v1/purchases?customerId=&cursor=&limit=) made as the loop reaches
// it; breaking out of the loop fetches no more pages. A failed page is
// yielded once as an error and ends the iteration; a call refused before
// the network (no customer) is yielded as a *ValidationError. Iteration is
// bounded: see PageLimitError.
func (s PurchasesService) All(ctx context.Context, params *ListParams, opts ...CallOption) iter.Seq2[Purchase, error] {
	p := ListParams{}
	if params != nil {
		p = *params
	}
	return pages("/v1/purchases", p.Cursor, p.MaxPages, func(cursor string) ([]Purchase, bool, string, error) {
		if err := checkLimit(p.Limit); err != nil {
			return nil, false, "", err
		}
		var page purchasePage
		if err := s.c.call(ctx, &actPurchasesList, &callArgs{query: ListParams{Cursor: cursor, Limit: p.Limit}, opts: opts}, &page); err != nil {
			return nil, false, "", err
		}
		return page.Purchases, page.HasMore, page.NextCursor, nil
	})
}

// subscriptionPage is one page of subscriptions.
type subscriptionPage struct {
	Subscriptions []Subscription `json:"subscriptions"`
	HasMore       bool           `json:"hasMore"`
	NextCursor    string         `json:"nextCursor,omitempty"`
}

// All iterates over the customer's subscriptions, current and past (the
// client's default customer, or ForCustomer's), as the platform orders
// them (newest first), from params.Cursor (params may be nil), one request
// per page (GET /v1/subscriptions?customerId=&cursor=&limit=) made as the
// loop reaches it; breaking out of the loop fetches no more pages. A failed
// page is yielded once as an error and ends the iteration. Iteration is
// bounded: see PageLimitError.
func (s APISubscriptionService) All(ctx context.Context, params *ListParams, opts ...CallOption) iter.Seq2[Subscription, error] {
	p := ListParams{}
	if params != nil {
		p = *params
	}
	return s.c.subscriptions(ctx, &actSubscriptionsList, p, opts)
}

// subscriptions pages GET /v1/subscriptions for the action a.
func (c *core) subscriptions(ctx context.Context, a *action, p ListParams, opts []CallOption) iter.Seq2[Subscription, error] {
	return pages("/v1/subscriptions", p.Cursor, p.MaxPages, func(cursor string) ([]Subscription, bool, string, error) {
		if err := checkLimit(p.Limit); err != nil {
			return nil, false, "", err
		}
		var page subscriptionPage
		if err := c.call(ctx, a, &callArgs{query: ListParams{Cursor: cursor, Limit: p.Limit}, opts: opts}, &page); err != nil {
			return nil, false, "", err
		}
		return page.Subscriptions, page.HasMore, page.NextCursor, nil
	})
}

// currentStatus reports whether a subscription in status st is the
// customer's current one.
func currentStatus(st SubscriptionStatus) bool {
	switch st {
	case StatusActive, StatusTrialing, StatusPastDue, StatusIncomplete:
		return true
	}
	return false
}

// platformCurrent is Subscription.Current on the platform: the first
// current subscription of the pages of GET /v1/subscriptions (fetched
// until one is found), else the first subscription, else nil.
func (c *core) platformCurrent(ctx context.Context, opts []CallOption) (*Subscription, error) {
	var first *Subscription
	for sub, err := range c.subscriptions(ctx, &actSubscriptionCurrent, ListParams{Limit: 100}, opts) {
		if err != nil {
			return nil, err
		}
		if currentStatus(sub.Status) {
			return &sub, nil
		}
		if first == nil {
			first = &sub
		}
	}
	return first, nil
}
