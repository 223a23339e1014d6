package guapocado

import "context"

// WebhookService reads the app's webhook receiver. Get it as Client.Webhook.
type WebhookService struct{ c *Client }

// Status returns the registration of the Better Auth app's webhook receiver
// (GET {base}/guap, see WithWebhookPath). It needs no session. Each call makes
// the plugin (re)register the receiver with the platform, so call it when
// checking a deployment, not per request. A receiver that is not configured
// answers Enabled false.
func (s WebhookService) Status(ctx context.Context) (*WebhookStatus, error) {
	var st WebhookStatus
	if err := s.c.do(ctx, "GET", s.c.cfg.webhookPath, false, nil, &st); err != nil {
		return nil, err
	}
	return &st, nil
}
