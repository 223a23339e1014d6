package guapocado

import "context"

// PurchasesService lists and refunds one-time purchases. Get it as
// APIClient.Purchases.
type PurchasesService struct{ c *core }

// List returns the customer's one-time purchases, newest first, at most
// 100: the first page (GET /v1/purchases?customerId=&limit=100). See All to
// walk every page.
func (s PurchasesService) List(ctx context.Context, opts ...CallOption) ([]Purchase, error) {
	var out purchasePage
	if err := s.c.call(ctx, &actPurchasesList, &callArgs{query: ListParams{Limit: 100}, opts: opts}, &out); err != nil {
		return nil, err
	}
	return out.Purchases, nil
}

// Refund refunds the purchase id (POST /v1/purchases/{id}/refunds). It
// requires WithIdempotencyKey: the platform refunds a key at most once, so
// the call is retried like a read and a repeat with the same key returns
// the same refund.
func (s PurchasesService) Refund(ctx context.Context, purchaseID string, params *RefundParams, opts ...CallOption) (*Refund, error) {
	return s.c.refund(ctx, &actPurchaseRefund, "purchaseId", purchaseID, params, opts)
}
