package readmodel

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"sync"

	"github.com/guapocado/guapocado-go/webhook"
)

// RegisteredWebhookHandler returns the webhook handler of a read model
// made with [WithRegistration]: [ReadModel.WebhookHandler] with the signing
// secret of the registration kept in the store, for the handler mounted at
// the registration's URL. On its first request it uses the stored
// registration, or registers when none is stored. A delivery whose
// signature matches no known secret is answered 401 as usual; after
// [Registration.MaxFailures] of them in a row the handler reads the store
// (another instance may have registered again) and registers again (the
// platform answers the current secret), at most once per
// [Registration.Cooldown]. While no registration can be made, deliveries
// are answered 503 and the error goes to the error handler. A GET answers
// the status ([WebhookStatus]) of the registered endpoint. opts are passed
// to webhook.NewHandler. Without WithRegistration it returns
// [ErrNoRegistration].
func (rm *ReadModel) RegisteredWebhookHandler(opts ...webhook.HandlerOption) (http.Handler, error) {
	if rm.reg == nil {
		return nil, ErrNoRegistration
	}
	// Fail now on options webhook.NewHandler refuses.
	if _, err := webhook.NewHandler("check", opts...); err != nil {
		return nil, err
	}
	return &registeredReceiver{rm: rm, opts: append([]webhook.HandlerOption(nil), opts...)}, nil
}

type registeredReceiver struct {
	rm   *ReadModel
	opts []webhook.HandlerOption

	mu       sync.Mutex
	innerReg *registered // the registration inner verifies with
	inner    http.Handler
}

const bodyNotRegistered = `{"message":"Webhook receiver not registered yet"}`

func (h *registeredReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	rm := h.rm
	switch r.Method {
	case http.MethodGet:
		var ep Endpoint
		if cur, err := rm.ensureRegistered(ctx); err != nil {
			rm.report(err)
		} else {
			ep = cur.ep
		}
		b, _ := json.Marshal(rm.Status(ep))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, POST")
		respondJSON(w, http.StatusMethodNotAllowed, `{"message":"Method not allowed"}`)
		return
	}
	cur, err := rm.ensureRegistered(ctx)
	if err != nil || cur == nil {
		if err != nil {
			rm.report(err)
		}
		respondJSON(w, http.StatusServiceUnavailable, bodyNotRegistered)
		return
	}
	var body []byte
	if r.Body != nil {
		// Up to the default cap, to find the secret; a larger body goes on
		// to the handler as it came, which applies its own cap.
		body, err = io.ReadAll(io.LimitReader(r.Body, webhook.DefaultMaxBodyBytes+1))
		if err != nil {
			respondJSON(w, http.StatusBadRequest, `{"message":"Unreadable webhook payload"}`)
			return
		}
		r.Body = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(body), r.Body), r.Body}
	}
	if int64(len(body)) <= webhook.DefaultMaxBodyBytes && len(bytes.TrimSpace(body)) > 0 {
		cur = rm.secretFor(ctx, body, r.Header.Get(webhook.SignatureHeader), cur)
	}
	inner, err := h.innerFor(cur)
	if err != nil {
		rm.report(err)
		respondJSON(w, http.StatusInternalServerError, `{"message":"Webhook receiver misconfigured"}`)
		return
	}
	inner.ServeHTTP(w, r)
}

// innerFor returns the read model's webhook handler verifying with r's
// secret.
func (h *registeredReceiver) innerFor(r *registered) (http.Handler, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.innerReg == r && h.inner != nil {
		return h.inner, nil
	}
	inner, err := h.rm.WebhookHandler(r.secret.Reveal(), r.ep, h.opts...)
	if err != nil {
		return nil, err
	}
	h.innerReg, h.inner = r, inner
	return inner, nil
}

func respondJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
