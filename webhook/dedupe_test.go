package webhook_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/webhooksig"
	"github.com/guapocado/guapocado-go/webhook"
)

// TestHeaderNamesAgree: guapocadotest signs through internal/webhooksig,
// whose header names must be this package's.
func TestHeaderNamesAgree(t *testing.T) {
	t.Parallel()
	if webhook.SignatureHeader != webhooksig.SignatureHeader || webhook.EndpointIDHeader != webhooksig.EndpointIDHeader {
		t.Errorf("webhook %q %q, webhooksig %q %q", webhook.SignatureHeader, webhook.EndpointIDHeader, webhooksig.SignatureHeader, webhooksig.EndpointIDHeader)
	}
	p := []byte(`{"type":"x"}`)
	if webhook.Sign("k", t0, p) != guapocadotest.SignWebhook("k", t0, p) {
		t.Error("webhook.Sign and guapocadotest.SignWebhook differ")
	}
}

// countingCallback counts the deliveries processed per event id.
type countingCallback struct {
	mu    sync.Mutex
	calls map[string]int
}

func (c *countingCallback) fn(_ context.Context, e *webhook.Event) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.calls == nil {
		c.calls = map[string]int{}
	}
	c.calls[e.ID]++
	return nil
}

func (c *countingCallback) n(id string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[id]
}

// deliverAt sends payload signed at the clock's time, as a redelivery is.
func deliverAt(h http.Handler, clock *fakeClock, payload []byte) int {
	return deliver(h, payload, webhook.Sign(hookSecret, clock.Now(), payload)).Code
}

// TestHandlerDedupesWithinToleranceUnderLoad is issue 15 item 11: with the
// default deduper, a redelivery at tolerance-1s after 20,000 other events is
// still answered as a duplicate (a count-based memory of 10,000 ids would
// have forgotten it).
func TestHandlerDedupesWithinToleranceUnderLoad(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	h := mustHandler(t, hookSecret, webhook.WithClock(clock.Now))
	var cb countingCallback
	h.OnAny(cb.fn)

	first := guapocadotest.WebhookPayload("evt_first", webhook.EventInvoiceUpdated, t0, json.RawMessage(eventFixtures[webhook.EventInvoiceUpdated]))
	firstHeader := webhook.Sign(hookSecret, t0, first)
	wantResponse(t, deliver(h, first, firstHeader), http.StatusOK, received)
	const others = 20000
	for i := range others {
		// 20,000 events inside the tolerance: about 67 per second.
		clock.Set(t0.Add(time.Duration(i) * (webhook.DefaultTolerance - 2*time.Second) / others))
		p := guapocadotest.WebhookPayload(fmt.Sprintf("evt_other_%d", i), "x.y", time.Time{}, json.RawMessage(`{}`))
		if code := deliverAt(h, clock, p); code != http.StatusOK {
			t.Fatalf("event %d: %d", i, code)
		}
	}
	clock.Set(t0.Add(webhook.DefaultTolerance - time.Second))
	// The same request replayed, and the event redelivered (signed again).
	wantResponse(t, deliver(h, first, firstHeader), http.StatusOK, received)
	wantResponse(t, deliver(h, first, ""), http.StatusOK, received)
	if code := deliverAt(h, clock, first); code != http.StatusOK {
		t.Fatalf("redelivery: %d", code)
	}
	if n := cb.n("evt_first"); n != 1 {
		t.Errorf("evt_first processed %d times, want 1", n)
	}
	if n := cb.n("evt_other_0"); n != 1 {
		t.Errorf("evt_other_0 processed %d times", n)
	}
	// The default deduper remembers twice the tolerance, on the handler's
	// clock: then the id is forgotten and a redelivery is processed again.
	clock.Set(t0.Add(2*webhook.DefaultTolerance - time.Second))
	if code := deliverAt(h, clock, first); code != http.StatusOK || cb.n("evt_first") != 1 {
		t.Errorf("at 2×tolerance-1s: %d, processed %d times", code, cb.n("evt_first"))
	}
	clock.Set(t0.Add(2 * webhook.DefaultTolerance))
	if code := deliverAt(h, clock, first); code != http.StatusOK || cb.n("evt_first") != 2 {
		t.Errorf("at 2×tolerance: %d, processed %d times", code, cb.n("evt_first"))
	}
}

// TestHandlerAnswers503WhenTheDeduperIsFull: at the cap, with every id
// inside its TTL, a new event is refused with 503 and not processed (the
// sender retries); duplicates are still recognised; once ids expire, the
// refused event is accepted.
func TestHandlerAnswers503WhenTheDeduperIsFull(t *testing.T) {
	t.Parallel()
	clock := newFakeClock(t0)
	const capacity = 50
	h := mustHandler(t, hookSecret, webhook.WithClock(clock.Now),
		webhook.WithDeduper(&webhook.MemoryDeduper{Capacity: capacity, TTL: webhook.DefaultTolerance, Now: clock.Now}))
	var cb countingCallback
	h.OnAny(cb.fn)
	payload := func(i int) []byte {
		return guapocadotest.WebhookPayload(fmt.Sprintf("evt_%d", i), "x.y", time.Time{}, json.RawMessage(`{}`))
	}
	for i := range capacity {
		if code := deliverAt(h, clock, payload(i)); code != http.StatusOK {
			t.Fatalf("event %d: %d", i, code)
		}
	}
	clock.Set(t0.Add(webhook.DefaultTolerance - time.Second))
	rec := deliver(h, payload(capacity), webhook.Sign(hookSecret, clock.Now(), payload(capacity)))
	wantResponse(t, rec, http.StatusServiceUnavailable, `{"message":"Webhook receiver at capacity"}`)
	if n := cb.n(fmt.Sprintf("evt_%d", capacity)); n != 0 {
		t.Errorf("the refused event was processed %d times", n)
	}
	// A duplicate of a remembered event is still a duplicate, not a 503.
	if code := deliverAt(h, clock, payload(0)); code != http.StatusOK || cb.n("evt_0") != 1 {
		t.Errorf("duplicate at the cap: %d, processed %d times", code, cb.n("evt_0"))
	}
	// Once the first ids expire, the sender's retry is accepted and processed.
	clock.Set(t0.Add(webhook.DefaultTolerance))
	if code := deliverAt(h, clock, payload(capacity)); code != http.StatusOK || cb.n(fmt.Sprintf("evt_%d", capacity)) != 1 {
		t.Errorf("after expiry: %d, processed %d times", code, cb.n(fmt.Sprintf("evt_%d", capacity)))
	}
}

// fullDeduper is a custom Deduper reporting that it is full.
type fullDeduper struct{}

func (fullDeduper) Seen(context.Context, string) (bool, error) {
	return false, fmt.Errorf("dedupe table: %w", webhook.ErrDeduperFull)
}
func (fullDeduper) Mark(context.Context, string) error { return errors.New("unexpected Mark") }

func TestHandlerCustomDeduperFull(t *testing.T) {
	t.Parallel()
	h := newTestHandler(t, webhook.WithDeduper(fullDeduper{}))
	var cb countingCallback
	h.OnAny(cb.fn)
	p := guapocadotest.WebhookPayload("evt_custom_full", "x.y", t0, json.RawMessage(`{}`))
	wantResponse(t, deliver(h, p, ""), http.StatusServiceUnavailable, `{"message":"Webhook receiver at capacity"}`)
	if cb.n("evt_custom_full") != 0 {
		t.Error("processed although the deduper is full")
	}
}

func TestNewHandlerNeedsASecret(t *testing.T) {
	t.Parallel()
	for name, opts := range map[string][]webhook.HandlerOption{
		"empty":                nil,
		"only empty secrets":   {webhook.WithSecrets("", "")},
		"with other options":   {webhook.WithClock(clockAt(t0)), webhook.WithMaxBodyBytes(10)},
		"nil options are fine": {nil},
	} {
		h, err := webhook.NewHandler("", opts...)
		if h != nil || !errors.Is(err, webhook.ErrNoSecret) {
			t.Errorf("%s: NewHandler = %v, %v; want ErrNoSecret", name, h, err)
		}
	}
	// A rotated-in secret alone is enough.
	h := mustHandler(t, "", webhook.WithSecrets("whsec_only_this"), webhook.WithClock(clockAt(t0)))
	p := guapocadotest.WebhookPayload("evt_ns", "x.y", t0, json.RawMessage(`{}`))
	wantResponse(t, deliver(h, p, webhook.Sign("whsec_only_this", t0, p)), http.StatusOK, received)
	// A signature made with the empty key is refused by it.
	wantResponse(t, deliver(h, p, webhook.Sign("", t0, p)), http.StatusUnauthorized, `{"message":"Invalid webhook signature"}`)

	if v, err := webhook.NewVerifier(""); v != nil || !errors.Is(err, webhook.ErrNoSecret) {
		t.Errorf("NewVerifier: %v, %v", v, err)
	}
	v, err := webhook.NewVerifier("whsec_v", webhook.WithSecrets("whsec_w"), webhook.WithClock(clockAt(t0)), webhook.WithTolerance(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if err := v.Verify(p, webhook.Sign("whsec_w", t0, p)); err != nil {
		t.Errorf("NewVerifier's verifier: %v", err)
	}
	if err := v.Verify(p, webhook.Sign("whsec_v", t0.Add(-2*time.Minute), p)); !errors.Is(err, webhook.ErrTimestamp) {
		t.Errorf("NewVerifier's tolerance: %v", err)
	}
}
