package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"sync"

	guapocado "github.com/guapocado/guapocado-go"
)

// DefaultMaxBodyBytes caps the body a Handler reads (1 MiB).
const DefaultMaxBodyBytes int64 = 1 << 20

// Handler is an http.Handler receiving Guapocado webhooks. It answers:
//   - 405 to anything but POST;
//   - 413 when the body exceeds the cap (DefaultMaxBodyBytes);
//   - 400 for an empty body, a missing or malformed signature header, a
//     body that is not an event, or data a typed callback cannot decode;
//   - 401 for a signature that matches no secret or a timestamp outside
//     the tolerance;
//   - 200 {"received":true} once the event was handled, for a duplicate of
//     a handled event, and for a type with no callback and no OnAny;
//   - 503 when the deduper cannot remember one more id ([ErrDeduperFull]):
//     the event is not processed and the sender retries later;
//   - 500 when a callback or the deduper fails (the sender retries; the
//     event is marked processed only after its callback succeeded), or
//     when the Handler was not made by [NewHandler] and has no secret.
//
// Deliveries of the same event id are processed one at a time: a second
// one waits for the first and is then answered as a duplicate, or
// processed if the first failed. Register callbacks before serving; each
// event type has at most one callback (the last registered).
//
// Printed with fmt, encoded as JSON or logged with log/slog, a Handler
// shows its settings and how many secrets it has, never the secrets.
type Handler struct {
	verifier  *Verifier
	maxBody   int64
	deduper   Deduper
	dedupeSet bool // WithDeduper was given (nil disables deduplication)
	logger    *slog.Logger

	mu       sync.RWMutex
	handlers map[EventType]func(context.Context, *Event) error
	onAny    func(context.Context, *Event) error

	flightMu sync.Mutex
	flights  map[string]chan struct{}
}

// WithMaxBodyBytes caps the body read (default DefaultMaxBodyBytes; n <= 0
// keeps the default).
func WithMaxBodyBytes(n int64) HandlerOption {
	return handlerOption(func(h *Handler) {
		if n > 0 {
			h.maxBody = n
		}
	})
}

// WithDeduper replaces the default deduper, a [MemoryDeduper] of
// DefaultDedupeCapacity ids kept for twice the tolerance on the handler's
// clock. nil disables deduplication, for applications that deduplicate in
// their own storage.
func WithDeduper(d Deduper) HandlerOption {
	return handlerOption(func(h *Handler) { h.deduper, h.dedupeSet = d, true })
}

// WithLogger logs rejected deliveries, failed callbacks and duplicates to l
// (silent by default). Logs carry event ids and types, never secrets or
// signatures.
func WithLogger(l *slog.Logger) HandlerOption {
	return handlerOption(func(h *Handler) {
		if l != nil {
			h.logger = l
		}
	})
}

// NewHandler returns a handler verifying deliveries with secret (and any
// [WithSecrets]). It returns ErrNoSecret when no non-empty secret is given:
// such a handler could only refuse every delivery.
func NewHandler(secret string, opts ...HandlerOption) (*Handler, error) {
	h := &Handler{
		verifier: &Verifier{Secrets: []guapocado.Secret{guapocado.NewSecret(secret)}},
		maxBody:  DefaultMaxBodyBytes,
		logger:   slog.New(slog.DiscardHandler),
		handlers: make(map[EventType]func(context.Context, *Event) error),
		flights:  make(map[string]chan struct{}),
	}
	for _, o := range opts {
		if o != nil {
			o.applyHandler(h)
		}
	}
	if !h.settings().hasSecret() {
		return nil, ErrNoSecret
	}
	if !h.dedupeSet {
		d := &MemoryDeduper{Now: h.settings().Now}
		if tol := h.settings().tolerance(); tol > 0 {
			d.TTL = 2 * tol
		}
		h.deduper = d
	}
	return h, nil
}

// On registers fn for events of eventType, replacing any earlier callback
// for that type; a nil fn removes it.
func (h *Handler) On(eventType EventType, fn func(ctx context.Context, e *Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if fn == nil {
		delete(h.handlers, eventType)
		return
	}
	if h.handlers == nil {
		h.handlers = make(map[EventType]func(context.Context, *Event) error)
	}
	h.handlers[eventType] = fn
}

// OnAny registers fn for events whose type has no callback, including
// types this package does not know.
func (h *Handler) OnAny(fn func(ctx context.Context, e *Event) error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.onAny = fn
}

func onTyped[T any](h *Handler, typ EventType, decode func(*Event) (*T, error), fn func(context.Context, *Event, *T) error) {
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
func (h *Handler) OnCustomerUpdated(fn func(ctx context.Context, e *Event, d *CustomerUpdated) error) {
	onTyped(h, EventCustomerUpdated, (*Event).CustomerUpdated, fn)
}

// OnSubscriptionUpdated registers fn for subscription.updated events.
func (h *Handler) OnSubscriptionUpdated(fn func(ctx context.Context, e *Event, d *SubscriptionUpdated) error) {
	onTyped(h, EventSubscriptionUpdated, (*Event).SubscriptionUpdated, fn)
}

// OnPurchaseCompleted registers fn for purchase.completed events.
func (h *Handler) OnPurchaseCompleted(fn func(ctx context.Context, e *Event, d *PurchaseCompleted) error) {
	onTyped(h, EventPurchaseCompleted, (*Event).PurchaseCompleted, fn)
}

// OnPurchaseUpdated registers fn for purchase.updated events.
func (h *Handler) OnPurchaseUpdated(fn func(ctx context.Context, e *Event, d *PurchaseUpdated) error) {
	onTyped(h, EventPurchaseUpdated, (*Event).PurchaseUpdated, fn)
}

// OnEntitlementsUpdated registers fn for entitlements.updated events.
func (h *Handler) OnEntitlementsUpdated(fn func(ctx context.Context, e *Event, d *EntitlementsUpdated) error) {
	onTyped(h, EventEntitlementsUpdated, (*Event).EntitlementsUpdated, fn)
}

// OnInvoiceUpdated registers fn for invoice.updated events.
func (h *Handler) OnInvoiceUpdated(fn func(ctx context.Context, e *Event, d *InvoiceUpdated) error) {
	onTyped(h, EventInvoiceUpdated, (*Event).InvoiceUpdated, fn)
}

// OnUsageUpdated registers fn for usage.updated events.
func (h *Handler) OnUsageUpdated(fn func(ctx context.Context, e *Event, d *UsageUpdated) error) {
	onTyped(h, EventUsageUpdated, (*Event).UsageUpdated, fn)
}

// types lists the event types with a callback, sorted.
func (h *Handler) types() []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	ts := make([]string, 0, len(h.handlers))
	for t := range h.handlers {
		ts = append(ts, string(t))
	}
	slices.Sort(ts)
	return ts
}

func (h *Handler) maxBodyBytes() int64 {
	if h.maxBody > 0 {
		return h.maxBody
	}
	return DefaultMaxBodyBytes
}

// settings is the handler's verifier (the zero Verifier for a zero
// Handler).
func (h *Handler) settings() Verifier {
	if h.verifier == nil {
		return Verifier{}
	}
	return *h.verifier
}

// String describes the handler without its secrets.
func (h *Handler) String() string {
	if h == nil {
		return "webhook.Handler(nil)"
	}
	dedupe := "none"
	if h.deduper != nil {
		dedupe = fmt.Sprintf("%T", h.deduper)
	}
	return fmt.Sprintf("webhook.Handler{%s MaxBodyBytes:%d Deduper:%s Types:[%s]}",
		h.settings().describe(), h.maxBodyBytes(), dedupe, strings.Join(h.types(), " "))
}

// GoString is String: %#v does not show the secrets either.
func (h *Handler) GoString() string { return h.String() }

// Format prints String for every fmt verb (%q quotes it), so no verb
// shows a secret.
func (h *Handler) Format(f fmt.State, verb rune) { formatRedacted(f, verb, h.String()) }

// LogValue shows the handler in log/slog without its secrets.
func (h *Handler) LogValue() slog.Value {
	if h == nil {
		return slog.StringValue("webhook.Handler(nil)")
	}
	return slog.GroupValue(
		slog.String("secrets", redacted),
		slog.Int("secret_count", h.settings().secretCount()),
		slog.String("tolerance", h.settings().toleranceText()),
		slog.Int64("max_body_bytes", h.maxBodyBytes()),
		slog.Any("types", h.types()),
	)
}

// MarshalJSON encodes the handler's settings without its secrets:
// {"secrets":"[REDACTED]","secretCount":n,"tolerance":"5m0s",
// "maxBodyBytes":n,"types":[…]}.
func (h *Handler) MarshalJSON() ([]byte, error) {
	if h == nil {
		return []byte("null"), nil
	}
	return json.Marshal(redactedJSON{
		Secrets: redacted, SecretCount: h.settings().secretCount(), Tolerance: h.settings().toleranceText(),
		MaxBodyBytes: h.maxBodyBytes(), Types: h.types(),
	})
}

// Response bodies; the 400/401 wording follows the Better Auth receiver.
const (
	bodyReceived    = `{"received":true}`
	bodyMethod      = `{"message":"Method not allowed"}`
	bodyTooLarge    = `{"message":"Webhook payload too large"}`
	bodyUnreadable  = `{"message":"Unreadable webhook payload"}`
	bodyMissing     = `{"message":"Missing webhook payload"}`
	bodyNoSignature = `{"message":"Missing webhook signature"}`
	bodyMalformed   = `{"message":"Malformed webhook signature"}`
	bodyInvalid     = `{"message":"Invalid webhook signature"}`
	bodyExpired     = `{"message":"Webhook timestamp outside tolerance"}`
	bodyBadPayload  = `{"message":"Invalid webhook payload"}`
	bodyMisconfig   = `{"message":"Webhook receiver misconfigured"}`
	bodyFailed      = `{"message":"Webhook handler failed"}`
	bodyDedupe      = `{"message":"Webhook deduplication failed"}`
	bodyBusy        = `{"message":"Webhook delivery in progress"}`
	bodyFull        = `{"message":"Webhook receiver at capacity"}`
)

func respond(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func (h *Handler) log() *slog.Logger {
	if h.logger != nil {
		return h.logger
	}
	return slog.New(slog.DiscardHandler)
}

// ServeHTTP receives one delivery; see Handler for the answers.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	log := h.log()
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		respond(w, http.StatusMethodNotAllowed, bodyMethod)
		return
	}
	endpoint := slog.String("endpoint_id", r.Header.Get(EndpointIDHeader))
	maxBody := h.maxBodyBytes()
	if r.ContentLength > maxBody {
		log.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body too large", endpoint, slog.Int64("content_length", r.ContentLength))
		respond(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
		return
	}
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				log.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body too large", endpoint)
				respond(w, http.StatusRequestEntityTooLarge, bodyTooLarge)
				return
			}
			log.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: body unreadable", endpoint, slog.String("error", err.Error()))
			respond(w, http.StatusBadRequest, bodyUnreadable)
			return
		}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		log.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: empty body", endpoint)
		respond(w, http.StatusBadRequest, bodyMissing)
		return
	}
	if err := h.settings().Verify(body, r.Header.Get(SignatureHeader)); err != nil {
		status, resp, level := http.StatusUnauthorized, bodyInvalid, slog.LevelWarn
		switch {
		case errors.Is(err, ErrNoSecret):
			status, resp, level = http.StatusInternalServerError, bodyMisconfig, slog.LevelError
		case errors.Is(err, ErrNoSignature):
			status, resp = http.StatusBadRequest, bodyNoSignature
		case errors.Is(err, ErrMalformedHeader):
			status, resp = http.StatusBadRequest, bodyMalformed
		case errors.Is(err, ErrTimestamp):
			resp = bodyExpired
		}
		log.LogAttrs(ctx, level, "guapocado webhook rejected", endpoint, slog.Int("status", status), slog.String("error", err.Error()))
		respond(w, status, resp)
		return
	}
	ev, err := parseEvent(body, false)
	if err != nil {
		log.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook rejected: not an event", endpoint, slog.String("error", err.Error()))
		respond(w, http.StatusBadRequest, bodyBadPayload)
		return
	}
	status, resp := h.deliver(ctx, log, ev, endpoint)
	respond(w, status, resp)
}

// deliver runs the callback for a verified event, deduplicating by id.
func (h *Handler) deliver(ctx context.Context, log *slog.Logger, ev *Event, endpoint slog.Attr) (int, string) {
	attrs := []slog.Attr{endpoint, slog.String("event_id", ev.ID), slog.String("event_type", string(ev.Type))}
	dedupe := ev.ID != "" && h.deduper != nil
	if ev.ID != "" {
		release, err := h.acquire(ctx, ev.ID)
		if err != nil {
			log.LogAttrs(ctx, slog.LevelWarn, "guapocado webhook: gave up waiting for the same event in flight", attrs...)
			return http.StatusServiceUnavailable, bodyBusy
		}
		defer release()
	}
	if dedupe {
		seen, err := h.deduper.Seen(ctx, ev.ID)
		if errors.Is(err, ErrDeduperFull) {
			log.LogAttrs(ctx, slog.LevelError, "guapocado webhook: deduper full, event refused for the sender to retry", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusServiceUnavailable, bodyFull
		}
		if err != nil {
			log.LogAttrs(ctx, slog.LevelError, "guapocado webhook: deduper failed", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusInternalServerError, bodyDedupe
		}
		if seen {
			log.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: duplicate delivery", attrs...)
			return http.StatusOK, bodyReceived
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
			if errors.Is(err, ErrMalformedPayload) {
				log.LogAttrs(ctx, slog.LevelError, "guapocado webhook: event data has an unexpected shape", append(attrs, slog.String("error", err.Error()))...)
				return http.StatusBadRequest, bodyBadPayload
			}
			log.LogAttrs(ctx, slog.LevelError, "guapocado webhook: callback failed", append(attrs, slog.String("error", err.Error()))...)
			return http.StatusInternalServerError, bodyFailed
		}
	} else {
		log.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: no callback for this type", attrs...)
	}
	if dedupe {
		// The event is processed: record it even if the sender hung up.
		if err := h.deduper.Mark(context.WithoutCancel(ctx), ev.ID); err != nil {
			log.LogAttrs(ctx, slog.LevelError, "guapocado webhook: could not mark event processed", append(attrs, slog.String("error", err.Error()))...)
		}
	}
	log.LogAttrs(ctx, slog.LevelDebug, "guapocado webhook: processed", attrs...)
	return http.StatusOK, bodyReceived
}

// acquire waits until no other delivery of id is in flight in this handler
// and claims it; release must be called when done.
func (h *Handler) acquire(ctx context.Context, id string) (release func(), err error) {
	for {
		h.flightMu.Lock()
		busy, ok := h.flights[id]
		if !ok {
			done := make(chan struct{})
			if h.flights == nil {
				h.flights = make(map[string]chan struct{})
			}
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
