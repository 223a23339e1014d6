package readmodel

import (
	"encoding/json"
	"net/http"
	"time"

	"github.com/guapocado/guapocado-go/webhook"
)

// handlerStats are the counters the handler's GET answer shows.
type handlerStats struct {
	processed, duplicates, failed int64
	last                          time.Time
}

func (rm *ReadModel) count(f func(*handlerStats)) {
	rm.statMu.Lock()
	f(&rm.stats)
	rm.statMu.Unlock()
}

// Endpoint describes the webhook endpoint a handler serves, as registered
// with Guapocado (APIClient.WebhookEndpoints.Register answers it), for the
// handler's GET status. All fields are optional.
type Endpoint struct {
	ID     string
	Status string
	URL    string
}

// WebhookHandler returns an http.Handler receiving Guapocado webhooks into
// the read model: a POST is verified with secret (several secrets while
// one is rotated: see webhook.WithSecrets among opts), deduplicated through
// the store ([Store.Claim] and [Store.Complete], so an event delivered to
// several instances sharing the store is processed once, and at least
// once) and projected with [ReadModel.Project]; answers as webhook.Handler
// (200 once processed, here or by another instance, 400/401 for a bad
// delivery, 500 when the projection or a hook failed or another instance
// is still processing the event, so the sender retries). opts are passed to
// webhook.NewHandler (its WithDeduper is replaced by the store).
//
// A GET answers the receiver's status as JSON, never a secret:
//
//	{"ok":true,"registered":true,"endpointId":"we_…","status":"active","url":"https://…",
//	 "processed":12,"duplicates":1,"failed":0,"lastEventAt":"2025-…"}
//
// registered is true when ep names an endpoint; endpointId, status and url
// are ep's fields when set.
func (rm *ReadModel) WebhookHandler(secret string, ep Endpoint, opts ...webhook.HandlerOption) (http.Handler, error) {
	opts = append(append([]webhook.HandlerOption(nil), opts...), webhook.WithDeduper(nil))
	h, err := webhook.NewHandler(secret, opts...)
	if err != nil {
		return nil, err
	}
	h.OnAny(rm.Project)
	return &receiver{rm: rm, h: h, ep: ep}, nil
}

type receiver struct {
	rm *ReadModel
	h  *webhook.Handler
	ep Endpoint
}

// WebhookStatus is the JSON of the handler's GET answer.
type WebhookStatus struct {
	OK          bool       `json:"ok"`
	Registered  bool       `json:"registered"`
	EndpointID  string     `json:"endpointId,omitempty"`
	Status      string     `json:"status,omitempty"`
	URL         string     `json:"url,omitempty"`
	Processed   int64      `json:"processed"`
	Duplicates  int64      `json:"duplicates"`
	Failed      int64      `json:"failed"`
	LastEventAt *time.Time `json:"lastEventAt,omitempty"`
}

// Status returns what the webhook handler's GET answers: the counts of
// events processed, skipped as duplicates and failed by this read model.
func (rm *ReadModel) Status(ep Endpoint) WebhookStatus {
	rm.statMu.Lock()
	st := rm.stats
	rm.statMu.Unlock()
	out := WebhookStatus{OK: true, Registered: ep != (Endpoint{}), EndpointID: ep.ID, Status: ep.Status, URL: ep.URL,
		Processed: st.processed, Duplicates: st.duplicates, Failed: st.failed}
	if !st.last.IsZero() {
		t := st.last.UTC()
		out.LastEventAt = &t
	}
	return out
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.Method != http.MethodGet {
		r.h.ServeHTTP(w, req)
		return
	}
	b, _ := json.Marshal(r.rm.Status(r.ep))
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}
