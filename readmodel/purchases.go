package readmodel

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// ErrPurchasesPlatformOnly is returned by [ReadModel.Purchases] on a read
// model over a session client when the customer's purchase list is not in
// the store: only the platform API lists purchases.
var ErrPurchasesPlatformOnly = errors.New("readmodel: a customer's purchases are listed by the platform API only (a read model over an APIClient)")

// kindPurchaseList names the record that says a customer's whole purchase
// list was loaded from the server, as of its SourceTime: from then on the
// store holds every purchase of the customer (webhooks add the new ones).
const kindPurchaseList = "purchase-list"

// Purchases returns customerID's one-time purchases, newest first (by
// completion time; pending ones, not completed yet, first; then by id). It
// serves them from the store while the customer's list is fresh (MaxAge of
// [KindPurchase]): the purchases stored by the purchase webhooks and by
// the last load of the list. Otherwise, on a platform client, it loads the
// whole list (GET /v1/purchases?customerId=, every page), writes each
// purchase back (a purchase event newer than the request stays) and
// returns it. On a session client, which cannot list purchases, it fails
// with [ErrPurchasesPlatformOnly] when the list is not in the store. The
// slice is the caller's.
func (rm *ReadModel) Purchases(ctx context.Context, customerID string) ([]guapocado.Purchase, Meta, error) {
	if err := checkCustomer(customerID); err != nil {
		return nil, Meta{}, err
	}
	now := rm.nowNs()
	ps, asOf, ok, err := rm.localPurchases(ctx, customerID, now)
	if err != nil {
		return nil, Meta{}, err
	}
	if ok {
		return ps, Meta{Local: true, AsOf: time.Unix(0, asOf).UTC(), Age: age(now, asOf)}, nil
	}
	if !rm.platform {
		return nil, Meta{}, ErrPurchasesPlatformOnly
	}
	sent := rm.now()
	ps, err = rm.fetchPurchases(ctx, customerID)
	if err != nil {
		return nil, Meta{}, err
	}
	complete := true
	for i := range ps {
		if _, err := rm.write(ctx, customerID, kPurchase, ps[i].ID, &ps[i], sent); err != nil {
			complete = false
		}
	}
	if complete { // the list is marked whole only when every purchase was stored
		_, err := rm.store.Put(context.WithoutCancel(ctx), Record{Key: Key(customerID, kindPurchaseList, nameAll),
			Value: []byte(`{}`), SourceTime: sent, WrittenAt: rm.now()})
		if err != nil {
			rm.report(fmt.Errorf("readmodel: store the purchase list of %q: %w", customerID, err))
		}
	}
	sortPurchases(ps)
	return ps, rm.serverMeta(sent), nil
}

// localPurchases returns the stored purchases of customer when the list is
// whole and fresh. A failing store is reported and counts as a miss.
func (rm *ReadModel) localPurchases(ctx context.Context, customer string, now int64) ([]guapocado.Purchase, int64, bool, error) {
	storeErr := func(what string, err error) error {
		if cerr := ctx.Err(); cerr != nil {
			return cerr
		}
		rm.report(fmt.Errorf("readmodel: read %s of %q from the store (asking the server instead): %w", what, customer, err))
		return nil
	}
	marker, found, err := rm.store.Get(ctx, Key(customer, kindPurchaseList, nameAll))
	if err != nil {
		return nil, 0, false, storeErr("the purchase list", err)
	}
	if !found {
		return nil, 0, false, nil
	}
	asOf := agesFrom(unixNano(marker.SourceTime), unixNano(marker.WrittenAt))
	if now-asOf > rm.maxAge[kPurchase] {
		return nil, 0, false, nil
	}
	recs, err := rm.store.List(ctx, KindPrefix(customer, string(KindPurchase)))
	if err != nil {
		return nil, 0, false, storeErr("the purchases", err)
	}
	ps := make([]guapocado.Purchase, 0, len(recs))
	for _, rec := range recs {
		var p guapocado.Purchase
		if err := json.Unmarshal(rec.Value, &p); err != nil {
			rm.report(fmt.Errorf("readmodel: stored purchase %q does not decode (read from the server instead): %w", rec.Key, err))
			return nil, 0, false, nil
		}
		ps = append(ps, p)
	}
	sortPurchases(ps)
	return ps, asOf, true, nil
}

// purchasePage is one page of GET /v1/purchases.
type purchasePage struct {
	Purchases  []guapocado.Purchase `json:"purchases"`
	HasMore    bool                 `json:"hasMore"`
	NextCursor string               `json:"nextCursor"`
}

// fetchPurchases lists every purchase of customer, page by page.
func (rm *ReadModel) fetchPurchases(ctx context.Context, customer string) ([]guapocado.Purchase, error) {
	out := []guapocado.Purchase{}
	seen := map[string]bool{}
	cursor := ""
	for {
		q := url.Values{"customerId": {customer}, "limit": {"100"}}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		var page purchasePage
		if err := rm.b.Do(ctx, "GET", "/v1/purchases?"+q.Encode(), nil, &page); err != nil {
			return nil, err
		}
		out = append(out, page.Purchases...)
		if !page.HasMore {
			return out, nil
		}
		if page.NextCursor == "" || seen[page.NextCursor] {
			return nil, fmt.Errorf("readmodel: the purchases of %q: a page says more follow but gives no new cursor", customer)
		}
		seen[page.NextCursor] = true
		cursor = page.NextCursor
	}
}

// sortPurchases orders purchases newest first: not completed (pending)
// first, then by completion time descending, then by id descending.
func sortPurchases(ps []guapocado.Purchase) {
	slices.SortStableFunc(ps, func(a, b guapocado.Purchase) int {
		switch {
		case a.CompletedAt == nil && b.CompletedAt != nil:
			return -1
		case a.CompletedAt != nil && b.CompletedAt == nil:
			return 1
		case a.CompletedAt != nil && !a.CompletedAt.Equal(*b.CompletedAt):
			return b.CompletedAt.Compare(*a.CompletedAt)
		}
		return cmp.Compare(b.ID, a.ID)
	})
}

// Purchases is [ReadModel.Purchases] for the bound customer.
func (c Customer) Purchases(ctx context.Context) ([]guapocado.Purchase, Meta, error) {
	return c.rm.Purchases(ctx, c.id)
}
