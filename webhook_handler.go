package guapocado

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
)

// ---------------------------------------------------------------------------
// Deduplication

// WebhookDeduper remembers processed event ids. A WebhookHandler calls Seen
// before running a callback and Mark only after the callback succeeded, so a
// failed delivery is processed again when retried. Implementations must be
// safe for concurrent use; one shared by several processes (a database
// table, Redis) should also be the place where those processes agree on who
// processes an event, since the handler's in-flight guard is per process.
type WebhookDeduper interface {
	Seen(ctx context.Context, id string) (bool, error)
	Mark(ctx context.Context, id string) error
}

// WebhookMemoryDeduper is a bounded in-memory WebhookDeduper: it remembers
// the most recently marked ids, forgetting the oldest beyond its capacity.
// It is safe for concurrent use.
type WebhookMemoryDeduper struct {
	mu   sync.Mutex
	cap  int
	ids  []string // ring of marked ids, oldest at next once full
	next int
	set  map[string]struct{}
}

// NewWebhookMemoryDeduper returns a deduper remembering up to capacity ids
// (DefaultWebhookDedupeCapacity when capacity <= 0).
func NewWebhookMemoryDeduper(capacity int) *WebhookMemoryDeduper {
	if capacity <= 0 {
		capacity = DefaultWebhookDedupeCapacity
	}
	return &WebhookMemoryDeduper{cap: capacity, set: make(map[string]struct{})}
}

// Seen reports whether id was marked and not yet forgotten.
func (d *WebhookMemoryDeduper) Seen(_ context.Context, id string) (bool, error) {
	d.mu.Lock()
	_, ok := d.set[id]
	d.mu.Unlock()
	return ok, nil
}

// Mark remembers id, forgetting the oldest id when full.
func (d *WebhookMemoryDeduper) Mark(_ context.Context, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.set[id]; ok {
		return nil
	}
	if len(d.ids) < d.cap {
		d.ids = append(d.ids, id)
	} else {
		delete(d.set, d.ids[d.next])
		d.ids[d.next] = id
		d.next = (d.next + 1) % d.cap
	}
	d.set[id] = struct{}{}
	return nil
}

// Len returns how many ids are remembered.
func (d *WebhookMemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.set)
}

// ---------------------------------------------------------------------------
// Handler

// WebhookHandler is an http.Handler receiving Guapocado webhooks. It
// answers:
//   - 405 to anything but POST;
//   - 413 when the body exceeds the cap (DefaultWebhookMaxBodyBytes);
//   - 400 for an empty body, a missing or malformed signature header, a
//     body that is not an event, or data a typed callback cannot decode;
//   - 401 for a signature that matches no secret or a timestamp outside
//     the tolerance;
//   - 200 {"received":true} once the event was handled, for a duplicate of
//     a handled event, and for a type with no callback and no OnAny;
//   - 500 when a callback or the deduper fails (the sender retries; the
//     event is marked processed only after its callback succeeded) or when
//     no secret is configured.
//
// Deliveries of the same event id are processed one at a time: a second
// one waits for the first and is then answered as a duplicate, or
// processed if the first failed. Register callbacks before serving; each
// event type has at most one callback (the last registered).
type WebhookHandler struct {
	verifier WebhookVerifier
	maxBody  int64
	deduper  WebhookDeduper
	logger   *slog.Logger

	mu       sync.RWMutex
	handlers map[string]func(context.Context, *Event) error
	onAny    func(context.Context, *Event) error

	flightMu sync.Mutex
	flights  map[string]chan struct{}
}

// WebhookWithMaxBodyBytes caps the body read (default
// DefaultWebhookMaxBodyBytes; n <= 0 keeps the default).
func WebhookWithMaxBodyBytes(n int64) WebhookHandlerOption {
	return whHandlerOption(func(h *WebhookHandler) {
		if n > 0 {
			h.maxBody = n
		}
	})
}

// WebhookWithDeduper replaces the in-memory deduper (a
// WebhookMemoryDeduper of DefaultWebhookDedupeCapacity ids). nil disables
// deduplication, for applications that deduplicate in their own storage.
func WebhookWithDeduper(d WebhookDeduper) WebhookHandlerOption {
	return whHandlerOption(func(h *WebhookHandler) { h.deduper = d })
}

// WebhookWithLogger logs rejected deliveries, failed callbacks and
// duplicates to l (silent by default). Logs carry event ids and types,
// never secrets or signatures.
func WebhookWithLogger(l *slog.Logger) WebhookHandlerOption {
	return whHandlerOption(func(h *WebhookHandler) {
		if l != nil {
			h.logger = l
		}
	})
}

// NewWebhookHandler returns a handler verifying deliveries with secret (and
// any WebhookWithSecrets). With an empty secret every delivery is answered
// 500 and nothing is processed.
func NewWebhookHandler(secret string, opts ...WebhookHandlerOption) *WebhookHandler {
	h := &WebhookHandler{
		verifier: WebhookVerifier{Secrets: []string{secret}},
		maxBody:  DefaultWebhookMaxBodyBytes,
		deduper:  NewWebhookMemoryDeduper(DefaultWebhookDedupeCapacity),
		logger:   slog.New(slog.DiscardHandler),
		handlers: make(map[string]func(context.Context, *Event) error),
		flights:  make(map[string]chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.applyWebhookHandler(h)
		}
	}
	return h
}

// On registers fn for events of eventType, replacing any earlier callback
// for that type.
func (h *WebhookHandler) On(eventType string, fn func(ctx context.Context, e *Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn == nil {
		delete(h.handlers, eventType)
		return
	}
	h.handlers[eventType] = fn
}

// OnAny registers fn for events whose type has no callback, including
// types this SDK does not know.
func (h *WebhookHandler) OnAny(fn func(ctx context.Context, e *Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onAny = fn
}

func whOnTyped[T any](h *WebhookHandler, typ string, decode func(*Event) (*T, error), fn func(context.Context, *Event, *T) error) {
	if fn == nil {
		h.On(typ, nil)
		return
	}
	h.On(typ, func(ctx context.Context, e *Event) error {
		d, err := decode(e)
		if err != nil {
			return err
		}
		return fn(ctx, e, d)
	})
}

// OnCustomerUpdated registers fn for customer.updated events.
func (h *WebhookHandler) OnCustomerUpdated(fn func(ctx context.Context, e *Event, d *CustomerUpdated) error) {
	whOnTyped(h, EventCustomerUpdated, (*Event).CustomerUpdated, fn)
}

// OnSubscriptionUpdated registers fn for subscription.updated events.
func (h *WebhookHandler) OnSubscriptionUpdated(fn func(ctx context.Context, e *Event, d *SubscriptionUpdated) error) {
	whOnTyped(h, EventSubscriptionUpdated, (*Event).SubscriptionUpdated, fn)
}

// OnPurchaseCompleted registers fn for purchase.completed events.
func (h *WebhookHandler) OnPurchaseCompleted(fn func(ctx context.Context, e *Event, d *PurchaseCompleted) error) {
	whOnTyped(h, EventPurchaseCompleted, (*Event).PurchaseCompleted, fn)
}

// OnPurchaseUpdated registers fn for purchase.updated events.
func (h *WebhookHandler) OnPurchaseUpdated(fn func(ctx context.Context, e *Event, d *PurchaseUpdated) error) {
	whOnTyped(h, EventPurchaseUpdated, (*Event).PurchaseUpdated, fn)
}

// OnEntitlementsUpdated registers fn for entitlements.updated events.
func (h *WebhookHandler) OnEntitlementsUpdated(fn func(ctx context.Context, e *Event, d *EntitlementsUpdated) error) {
	whOnTyped(h, EventEntitlementsUpdated, (*Event).EntitlementsUpdated, fn)
}

// OnInvoiceUpdated registers fn for invoice.updated events.
func (h *WebhookHandler) OnInvoiceUpdated(fn func(ctx context.Context, e *Event, d *InvoiceUpdated) error) {
	whOnTyped(h, EventInvoiceUpdated, (*Event).InvoiceUpdated, fn)
}

// OnUsageUpdated registers fn for usage.updated events.
func (h *WebhookHandler) OnUsageUpdated(fn func(ctx context.Context, e *Event, d *UsageUpdated) error) {
	whOnTyped(h, EventUsageUpdated, (*Event).UsageUpdated, fn)
}

// Response bodies; the 400/401 wording follows the Better Auth receiver.
const (
	whBodyReceived    = `{"received":true}`
	whBodyMethod      = `{"message":"Method not allowed"}`
	whBodyTooLarge    = `{"message":"Webhook payload too large"}`
	whBodyUnreadable  = `{"message":"Unreadable webhook payload"}`
	whBodyMissing     = `{"message":"Missing webhook payload"}`
	whBodyNoSignature = `{"message":"Missing webhook signature"}`
	whBodyMalformed   = `{"message":"Malformed webhook signature"}`
	whBodyInvalid     = `{"message":"Invalid webhook signature"}`
	whBodyExpired     = `{"message":"Webhook timestamp outside tolerance"}`
	whBodyBadPayload  = `{"message":"Invalid webhook payload"}`
	whBodyMisconfig   = `{"message":"Webhook receiver misconfigured"}`
	whBodyFailed      = `{"message":"Webhook handler failed"}`
	whBodyDedupe      = `{"message":"Webhook deduplication failed"}`
	whBodyBusy        = `{"message":"Webhook delivery in progress"}`
)

func whRespond(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// ServeHTTP receives one delivery; see WebhookHandler for the answers.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		whRespond(w, http.StatusMethodNotAllowed, whBodyMethod)
		return
	}
	endpoint := slog.String("endpoint_id", r.Header.Get(WebhookEndpointIDHeader))
	if r.ContentLength > h.maxBody {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body too large", endpoint, slog.Int64("content_length", r.ContentLength))
		whRespond(w, http.StatusRequestEntityTooLarge, whBodyTooLarge)
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, h.maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body too large", endpoint)
				whRespond(w, http.StatusRequestEntityTooLarge, whBodyTooLarge)
				return
			}
			h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body unreadable", endpoint, slog.String("error", err.Error()))
			whRespond(w, http.StatusBadRequest, whBodyUnreadable)
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: empty body", endpoint)
		whRespond(w, http.StatusBadRequest, whBodyMissing)
		return
	}
	if err := h.verifier.Verify(body, r.Header.Get(WebhookSignatureHeader)); err != nil {
		status, resp, level := http.StatusUnauthorized, whBodyInvalid, slog.LevelWarn
		switch {
		case errors.Is(err, ErrWebhookNoSecret):
			status, resp, level = http.StatusInternalServerError, whBodyMisconfig, slog.LevelError
		case errors.Is(err, ErrWebhookNoSignature):
			status, resp = http.StatusBadRequest, whBodyNoSignature
		case errors.Is(err, ErrWebhookMalformedHeader):
			status, resp = http.StatusBadRequest, whBodyMalformed
		case errors.Is(err, ErrWebhookTimestamp):
			resp = whBodyExpired
		}
		h.logger.LogAttrs(ctx, level, "guapocado webhook rejected", endpoint, slog.Int("status", status), slog.String("error", err.Error()))
		whRespond(w, status, resp)
		return
	}
	ev, err := whParseEvent(body, false)
	if err != nil {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: not an event", endpoint, slog.String("error", err.Error()))
		whRespond(w, http.StatusBadRequest, whBodyBadPayload)
		return
	}
	status, resp := h.deliver(ctx, ev, endpoint)
	whRespond(w, status, resp)
}

// deliver runs the callback for a verified event, deduplicating by id.
func (h *WebhookHandler) deliver(ctx context.Context, ev *Event, endpoint slog.Attr) (int, string) {
	attrs := []slog.Attr{endpoint, slog.String("event_id", ev.ID), slog.String("event_type", ev.Type)}
	dedupe := ev.ID != "" && h.deduper != nil
	if ev.ID != "" {
		release, err := h.acquire(ctx, ev.ID)
		if err != nil {
			h.logger.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook: gave up waiting for the same event in flight", attrs...)
			return http.StatusServiceUnavailable, whBodyBusy
		}
		defer release()
	}
	if dedupe {
		seen, err := h.deduper.Seen(ctx, ev.ID)
		if err != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: deduper failed", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusInternalServerError, whBodyDedupe
		}
		if seen {
			h.logger.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: duplicate delivery", attrs...)
			return http.StatusOK, whBodyReceived
		}
	}
	h.mu.RLock()
	fn, ok := h.handlers[ev.Type]
	if !ok {
		fn = h.onAny
	}
	h.mu.RUnlock()
	if fn != nil {
		if err := fn(ctx, ev); err != nil {
			if errors.Is(err, ErrWebhookMalformedPayload) {
				h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: event data has an unexpected shape", append(attrs, slog.String("error", err.Error()))...)
				return http.StatusBadRequest, whBodyBadPayload
			}
			h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: callback failed", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusInternalServerError, whBodyFailed
		}
	} else {
		h.logger.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: no callback for this type", attrs...)
	}
	if dedupe {
		// The event is processed: record it even if the sender hung up.
		if err := h.deduper.Mark(context.WithoutCancel(ctx), ev.ID); err != nil {
			h.logger.LogAttrs(ctx, slog.LevelError, "guapocado webhook: could not mark event processed", append(attrs, slog.String("error", err.Error()))...)
		}
	}
	h.logger.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: processed", attrs...)
	return http.StatusOK, whBodyReceived
}

// acquire waits until no other delivery of id is in flight in this handler
// and claims it; release must be called when done.
func (h *WebhookHandler) acquire(ctx context.Context, id string) (release func(), err error) {
	for {
		h.flightMu.Lock()
		busy, ok := h.flights[id]
		if !ok {
			done := make(chan struct{})
			h.flights[id] = done
			h.flightMu.Unlock()
			return func() {
				h.flightMu.Lock()
				delete(h.flights, id)
				h.flightMu.Unlock()
				close(done)
			}, nil
		}
		h.flightMu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}
