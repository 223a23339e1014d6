package guapocadotest

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"sync"
	"time"

	"github.com/guapocado/guapocado-go/internal/webhooksig"
	"github.com/hashicorp/go-retryablehttp"
)

// The fake as a webhook sender: whenever its ledger or a subscription, a
// customer or a purchase changes it sends the platform's signed events to
// every registered endpoint, asynchronously, at least once, like Guapocado.
//
//	change                                           events
//	consume, refund, usage settings (either side)    usage.updated {customerId, key, balance, included, consumed, overage, overageAllowed, overageEnabled, resets}
//	subscription change (a new plan)                 subscription.updated, then entitlements.updated {reason:"subscription.updated"}
//	SetPlan                                          entitlements.updated {reason:"subscription.updated", productKey}
//	AddPurchase                                      purchase.completed, then entitlements.updated {reason:"purchase.completed"}
//	a purchase refund                                purchase.updated
//	POST /v1/customers, a context call with a profile customer.updated
//
// Event ids are "evt_…"; createdAt is the server's clock in RFC 3339 with
// nanoseconds (an ISO-8601 time), strictly increasing from one event to the
// next, so last-write-wins by createdAt orders every pair of events.

// WebhookFaults make deliveries misbehave the way an at-least-once sender
// can. Choices are drawn from a random source seeded with Seed, so a test
// that sends the same changes sees the same faults.
type WebhookFaults struct {
	Seed int64
	// Duplicate is the probability (0..1) that a delivery is sent twice.
	Duplicate float64
	// Reorder is the probability (0..1) that a delivery is held back and
	// sent only after the next event's delivery (or at FlushWebhooks), so
	// it arrives after a newer event.
	Reorder float64
	// Delay is the longest random wait (wall clock) before each delivery,
	// for manual runs (guapocado fake --webhook); tests use Reorder and
	// FlushWebhooks instead of time.
	Delay time.Duration
}

// WebhookDelivery is one delivery attempt's outcome, for tests.
type WebhookDelivery struct {
	EventID string
	Type    string
	URL     string
	// Status is the receiver's HTTP status; 0 when the request failed.
	Status int
	// Err describes a failed request ("" when an answer came back).
	Err string
}

// WithWebhookEndpoint registers a webhook endpoint at url from the start:
// the fake signs each event with secret (guapocado-signature) and POSTs it
// there. Endpoints can also be registered through the platform API (POST
// /v1/webhook-endpoints/register, whose answer carries the signingSecret).
func WithWebhookEndpoint(url, secret string) Option {
	return func(c *config) {
		c.webhookEndpoints = append(c.webhookEndpoints, webhookTarget{url: url, secret: secret})
	}
}

// WithWebhookFaults sets the delivery faults from the start (see
// SetWebhookFaults).
func WithWebhookFaults(f WebhookFaults) Option {
	return func(c *config) { c.webhookFaults = f }
}

type webhookTarget struct {
	id, url, secret string
	events          []string // nil: every event
}

func (t *webhookTarget) wants(typ string) bool {
	if t.events == nil {
		return true
	}
	for _, e := range t.events {
		if e == typ || e == "*" {
			return true
		}
	}
	return false
}

type delivery struct {
	target  *webhookTarget
	id, typ string
	payload []byte
}

// outbox queues and sends the events.
type outbox struct {
	mu      sync.Mutex
	cond    *sync.Cond
	targets []*webhookTarget
	queue   []delivery
	held    []delivery
	faults  WebhookFaults
	rng     *rand.Rand
	busy    bool
	started bool
	closed  bool
	seq     int
	last    time.Time
	log     []WebhookDelivery
	client  *http.Client
	ctx     context.Context // cancelled by close: cuts a delivery short
	cancel  context.CancelFunc
}

func newOutbox(targets []webhookTarget, f WebhookFaults) *outbox {
	o := &outbox{client: &http.Client{Timeout: 10 * time.Second}}
	o.ctx, o.cancel = context.WithCancel(context.Background())
	o.cond = sync.NewCond(&o.mu)
	o.setFaults(f)
	for i := range targets {
		t := targets[i]
		if t.id == "" {
			t.id = fmt.Sprintf("we_opt_%d", i+1)
		}
		o.targets = append(o.targets, &t)
	}
	return o
}

func (o *outbox) setFaults(f WebhookFaults) {
	o.faults = f
	o.rng = rand.New(rand.NewSource(f.Seed))
}

// SetWebhookFaults replaces the delivery faults; the zero WebhookFaults
// turns them off.
func (s *Server) SetWebhookFaults(f WebhookFaults) {
	s.out.mu.Lock()
	s.out.setFaults(f)
	s.out.mu.Unlock()
}

// addTarget registers (or updates, by id) an endpoint.
func (o *outbox) addTarget(t webhookTarget) {
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, old := range o.targets {
		if old.id == t.id {
			*old = t
			return
		}
	}
	o.targets = append(o.targets, &t)
}

// emit queues typ with data for every endpoint that wants it. Called with
// Server.mu held, so events are queued in the order of the changes.
func (s *Server) emit(typ string, data obj) {
	o := s.out
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.closed || len(o.targets) == 0 {
		return
	}
	// The platform's precision: events of one millisecond have equal times.
	at := s.Now().UTC().Truncate(time.Millisecond)
	if at.Before(o.last) {
		at = o.last
	}
	o.last = at
	o.seq++
	id := fmt.Sprintf("evt_%s_%06d", s.eventPrefix, o.seq)
	env := obj{{"id", id}, {"type", typ}, {"createdAt", isoTime(at)},
		{"data", data}, {"source", obj{{"provider", "guapocado"}}}}
	payload, err := env.MarshalJSON()
	if err != nil {
		panic("guapocadotest: encode event: " + err.Error())
	}
	var now []delivery
	for _, t := range o.targets {
		if !t.wants(typ) {
			continue
		}
		d := delivery{target: t, id: id, typ: typ, payload: payload}
		copies := 1
		if o.faults.Duplicate > 0 && o.rng.Float64() < o.faults.Duplicate {
			copies = 2
		}
		for range copies {
			if o.faults.Reorder > 0 && o.rng.Float64() < o.faults.Reorder {
				o.held = append(o.held, d)
			} else {
				now = append(now, d)
			}
		}
	}
	if len(now) > 0 {
		// What was held back goes after this newer event.
		o.queue = append(append(o.queue, now...), o.held...)
		o.held = nil
	}
	if !o.started {
		o.started = true
		go o.run()
	}
	o.cond.Broadcast()
}

// run sends the queued deliveries one at a time until the server closes.
func (o *outbox) run() {
	o.mu.Lock()
	for {
		for len(o.queue) == 0 && !o.closed {
			o.cond.Wait()
		}
		if o.closed {
			o.mu.Unlock()
			return
		}
		d := o.queue[0]
		o.queue = o.queue[1:]
		o.busy = true
		var wait time.Duration
		if o.faults.Delay > 0 {
			wait = time.Duration(o.rng.Int63n(int64(o.faults.Delay) + 1))
		}
		o.mu.Unlock()

		rec := o.send(d, wait)

		o.mu.Lock()
		o.log = append(o.log, rec)
		o.busy = false
		o.cond.Broadcast()
	}
}

// send POSTs one delivery, retrying twice at once (go-retryablehttp) when the receiver fails
// (Guapocado retries with backoff; the fake keeps tests quick).
func (o *outbox) send(d delivery, wait time.Duration) WebhookDelivery {
	rec := WebhookDelivery{EventID: d.id, Type: d.typ, URL: d.target.url}
	if wait > 0 {
		t := time.NewTimer(wait)
		select {
		case <-t.C:
		case <-o.ctx.Done():
			t.Stop()
			rec.Err = "server closed"
			return rec
		}
	}
	sign := func(r *http.Request) error {
		r.Header.Set(webhooksig.SignatureHeader, webhooksig.Sign([]string{d.target.secret}, time.Now(), d.payload))
		return nil
	}
	req, err := retryablehttp.NewRequestWithContext(o.ctx, http.MethodPost, d.target.url, d.payload)
	if err != nil {
		rec.Err = "bad endpoint URL"
		return rec
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhooksig.EndpointIDHeader, d.target.id)
	_ = sign(req.Request)
	rc := &retryablehttp.Client{
		HTTPClient:   o.client,
		RetryMax:     2,
		CheckRetry:   retryDelivery,
		Backoff:      func(time.Duration, time.Duration, int, *http.Response) time.Duration { return 0 },
		PrepareRetry: sign, // each attempt is signed when it is sent
		ErrorHandler: retryablehttp.PassthroughErrorHandler,
	}
	resp, err := rc.Do(req)
	if err != nil {
		rec.Status, rec.Err = 0, "request failed"
		return rec
	}
	resp.Body.Close()
	rec.Status = resp.StatusCode
	return rec
}

// retryDelivery retries a delivery that failed without an answer, or was
// answered 5xx or 429, until the server closes.
func retryDelivery(ctx context.Context, resp *http.Response, err error) (bool, error) {
	if ctx.Err() != nil {
		return false, nil
	}
	return err != nil || resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests, nil
}

// FlushWebhooks sends every delivery held back by WebhookFaults.Reorder
// and waits until every queued delivery was made (answered, failed, or
// dropped because the server closed). After it returns, the receivers have
// seen every event of the changes made before the call.
func (s *Server) FlushWebhooks() {
	o := s.out
	o.mu.Lock()
	defer o.mu.Unlock()
	o.queue = append(o.queue, o.held...)
	o.held = nil
	o.cond.Broadcast()
	for (len(o.queue) > 0 || o.busy) && !o.closed {
		o.cond.Wait()
	}
}

// WebhookDeliveries returns every delivery made so far, oldest first.
func (s *Server) WebhookDeliveries() []WebhookDelivery {
	s.out.mu.Lock()
	defer s.out.mu.Unlock()
	return append([]WebhookDelivery(nil), s.out.log...)
}

// close stops the sender: queued and held deliveries are dropped, and a
// delivery in flight is cut short.
func (o *outbox) close() {
	o.mu.Lock()
	o.closed = true
	o.queue, o.held = nil, nil
	o.cond.Broadcast()
	o.mu.Unlock()
	o.cancel()
	o.client.CloseIdleConnections()
}

// Event payloads.

func usageEvent(customerID, key string, u UsageBalance) obj {
	return append(obj{{"customerId", customerID}, {"key", key}}, u.fields()...)
}

func (s *Server) emitUsage(customerID, key string, u UsageBalance) {
	s.emit("usage.updated", usageEvent(customerID, key, u))
}

// emitPlanChange sends subscription.updated and entitlements.updated for
// a customer whose subscription moved to a new plan.
func (s *Server) emitPlanChange(customerID string, sub *subscription) {
	s.emit("subscription.updated", obj{{"subscription", append(subscriptionJSON(customerID, sub), kv{"cancelAtPeriodEnd", false})}})
	s.emit("entitlements.updated", obj{{"customerId", customerID}, {"reason", "subscription.updated"},
		{"subscriptionId", sub.id}, {"productKey", sub.planKey}})
}

func (s *Server) emitCustomer(c *customer) {
	s.emit("customer.updated", obj{{"customer", s.customerJSON(c)}})
}
