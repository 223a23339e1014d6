package guapocadotest

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// The platform routes with no Better Auth counterpart: purchases and
// refunds, webhook endpoint registration, contracts and the audit log.

type purchase struct {
	id, customerID, productKey, currency string
	amount, refunded                     float64
	createdAt                            time.Time
}

func (p *purchase) json() obj {
	status := "completed"
	switch {
	case p.refunded >= p.amount && p.amount > 0:
		status = "refunded"
	case p.refunded > 0:
		status = "partially_refunded"
	}
	return obj{
		{"id", p.id}, {"customerId", p.customerID}, {"productKey", p.productKey}, {"status", status},
		{"amount", p.amount}, {"amountRefunded", p.refunded}, {"currency", p.currency}, {"quantity", 1},
		{"stripeCheckoutSessionId", nil}, {"stripePaymentIntentId", nil},
		{"completedAt", isoTime(p.createdAt)}, {"createdAt", isoTime(p.createdAt)}, {"updatedAt", isoTime(p.createdAt)},
	}
}

// price reads a plan's config.pricing amount and currency.
func (d *planDef) price() (float64, string) {
	var v struct {
		Config struct {
			Pricing struct {
				Amount   float64 `json:"amount"`
				Currency string  `json:"currency"`
			} `json:"pricing"`
		} `json:"config"`
	}
	_ = json.Unmarshal(d.raw, &v)
	cur := v.Config.Pricing.Currency
	if cur == "" {
		cur = "usd"
	}
	return v.Config.Pricing.Amount, cur
}

// AddPurchase records a completed one-time purchase of productKey by
// customerID at the product's price (as if its checkout had completed) and
// returns its id, for GET /v1/purchases and its refunds. It grants nothing
// to the ledger. Webhook endpoints get purchase.completed and
// entitlements.updated.
func (s *Server) AddPurchase(customerID, productKey string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.st.planByKey[productKey]
	if d == nil {
		return "", fmt.Errorf("%w: %s", ErrUnknownPlan, productKey)
	}
	s.customer(customerID)
	amount, cur := d.price()
	p := &purchase{id: s.nextID("pur"), customerID: customerID, productKey: productKey, currency: cur, amount: amount, createdAt: s.Now()}
	s.plat.purchases = append(s.plat.purchases, p)
	s.emit("purchase.completed", obj{{"purchase", p.json()}, {"grants", []any{}}})
	s.emit("entitlements.updated", obj{{"customerId", customerID}, {"reason", "purchase.completed"},
		{"purchaseId", p.id}, {"productKey", productKey}, {"grants", []any{}}})
	return p.id, nil
}

// GET /v1/purchases?customerId=&cursor=&limit= → {purchases, hasMore,
// nextCursor?}: newest first, a page of at most limit (default 100) after
// cursor (the last id of the previous page).
func (s *Server) pPurchases(pc *pcall) response {
	cust, fail := s.customerParam(pc)
	if fail != nil {
		return *fail
	}
	limit, fail := limitParam(pc, 100)
	if fail != nil {
		return *fail
	}
	cur := pc.q.Get("cursor")
	out := []any{}
	more := false
	last := ""
	for i := len(s.plat.purchases) - 1; i >= 0; i-- {
		p := s.plat.purchases[i]
		if p.customerID != cust.id || (cur != "" && p.id >= cur) {
			continue
		}
		if len(out) == limit {
			more = true
			break
		}
		out = append(out, p.json())
		last = p.id
	}
	resp := obj{{"purchases", out}, {"hasMore", more}}
	if more {
		resp = append(resp, kv{"nextCursor", last})
	}
	return pJSON(http.StatusOK, resp)
}

// pastSub is a subscription added with AddSubscription.
type pastSub struct {
	customerID string
	status     string
	sub        subscription
}

// AddSubscription records a subscription of customerID to planKey with the
// given status ("canceled", "active", …), created now, and returns its id,
// for GET /v1/subscriptions (which lists it besides the customer's current
// subscription, newest first). It changes neither the customer's plan nor
// its current subscription: use it to give a customer a history.
func (s *Server) AddSubscription(customerID, planKey, status string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.planByKey[planKey] == nil {
		return "", fmt.Errorf("%w: %s", ErrUnknownPlan, planKey)
	}
	s.customer(customerID)
	now := s.Now()
	p := pastSub{customerID: customerID, status: status, sub: subscription{
		id: s.nextID("sub"), planKey: planKey, periodStart: now, periodEnd: monthStart(now).AddDate(0, 1, 0),
		createdAt: now, updatedAt: now,
	}}
	s.plat.pastSubs = append(s.plat.pastSubs, p)
	return p.sub.id, nil
}

// refundMode reads mode: "full" (the default) or "prorated".
func refundMode(pc *pcall) (string, *response) {
	mode := strField(pc.body, "mode")
	switch mode {
	case "":
		return "full", nil
	case "full", "prorated":
		return mode, nil
	}
	r := pError(http.StatusBadRequest, `mode must be "full" or "prorated"`)
	return "", &r
}

func (s *Server) refundJSON(pc *pcall, owner kv, customerID string, amount float64, currency, mode string) obj {
	return obj{
		{"id", s.nextID("re")}, owner, {"customerId", customerID}, {"amount", amount}, {"currency", currency},
		{"status", "succeeded"}, {"mode", mode}, {"reason", nullIfEmpty(strField(pc.body, "reason"))},
		{"createdAt", isoTime(pc.now)},
	}
}

// POST /v1/purchases/{id}/refunds {mode?, idempotencyKey, reason?} → {refund}.
func (s *Server) pPurchaseRefund(pc *pcall) response {
	mode, fail := refundMode(pc)
	if fail != nil {
		return *fail
	}
	var p *purchase
	for _, q := range s.plat.purchases {
		if q.id == pc.params[0] {
			p = q
		}
	}
	if p == nil {
		return pError(http.StatusNotFound, "Unknown purchase: "+pc.params[0])
	}
	left := p.amount - p.refunded
	if left <= 0 {
		return pError(http.StatusBadRequest, "Purchase is already refunded")
	}
	p.refunded = p.amount
	s.auditLog(pc, "purchase.refund", "purchase", p.id, obj{{"amount", left}, {"mode", mode}})
	s.emit("purchase.updated", obj{{"purchase", p.json()}})
	return pJSON(http.StatusOK, obj{{"refund", s.refundJSON(pc, kv{"purchaseId", p.id}, p.customerID, left, p.currency, mode)}})
}

// POST /v1/subscriptions/{id}/refunds {mode?, idempotencyKey, reason?} →
// {refund}: the plan's price, or with "prorated" the part of it for the
// rest of the current period.
func (s *Server) pSubscriptionRefund(pc *pcall) response {
	mode, fail := refundMode(pc)
	if fail != nil {
		return *fail
	}
	var cust *customer
	for _, c := range s.st.customers {
		if c.sub != nil && c.sub.id == pc.params[0] {
			cust = c
		}
	}
	if cust == nil {
		return pError(http.StatusNotFound, "Unknown subscription: "+pc.params[0])
	}
	sub := s.subscriptionOf(cust, pc.now)
	amount, cur := s.st.planByKey[sub.planKey].price()
	if mode == "prorated" {
		total := sub.periodEnd.Sub(sub.periodStart)
		left := sub.periodEnd.Sub(pc.now)
		if total > 0 {
			amount = math.Floor(amount * float64(left) / float64(total))
		}
	}
	s.auditLog(pc, "subscription.refund", "subscription", sub.id, obj{{"amount", amount}, {"mode", mode}})
	return pJSON(http.StatusOK, obj{{"refund", s.refundJSON(pc, kv{"subscriptionId", sub.id}, cust.id, amount, cur, mode)}})
}

// POST /v1/webhook-endpoints/register {url, events?, description?,
// integration?, registrationKey?}: the same registration key (or, without
// one, URL) keeps its id and signing secret.
func (s *Server) pWebhookRegister(pc *pcall) response {
	u := strField(pc.body, "url")
	if blank(u) {
		return pError(http.StatusBadRequest, "url is required")
	}
	if !absoluteURL(u) {
		return pError(http.StatusBadRequest, "url must be an absolute URL")
	}
	var events any = "*"
	switch ev := pc.body["events"].(type) {
	case nil:
	case string:
		if ev != "*" {
			return pError(http.StatusBadRequest, `events must be "*" or a list of event types`)
		}
	case []any:
		list := make([]any, 0, len(ev))
		for _, e := range ev {
			name, ok := e.(string)
			if !ok || blank(name) {
				return pError(http.StatusBadRequest, `events must be "*" or a list of event types`)
			}
			list = append(list, name)
		}
		events = list
	default:
		return pError(http.StatusBadRequest, `events must be "*" or a list of event types`)
	}
	regKey := "url:" + u
	if rk := strField(pc.body, "registrationKey"); rk != "" {
		regKey = "key:" + rk
	}
	ep := s.plat.webhooks[regKey]
	if ep == nil {
		secret := s.cfg.webhookSecret
		if secret == "" {
			secret = "whsec_" + randomHex(24)
		}
		ep = obj{{"id", s.nextID("we")}, {"status", "pending_approval"}, {"url", u}, {"events", events}, {"signingSecret", secret}}
	} else {
		ep[2].v, ep[3].v = u, events
	}
	s.plat.webhooks[regKey] = ep
	t := webhookTarget{id: ep[0].v.(string), url: u, secret: ep[4].v.(string)}
	if list, ok := events.([]any); ok {
		t.events = []string{}
		for _, e := range list {
			t.events = append(t.events, e.(string))
		}
	}
	s.out.addTarget(t)
	s.auditLog(pc, "webhook_endpoint.register", "webhook_endpoint", ep[0].v.(string), obj{{"url", u}})
	return pJSON(http.StatusOK, ep)
}

// contractFields are a contract's members after id and customerId, with
// their defaults.
var contractFields = []kv{
	{"priceAmount", nil}, {"priceCurrency", "usd"}, {"priceInterval", nil}, {"entitlements", obj{}},
	{"basePlanKey", nil}, {"committedVolume", nil}, {"billingContactEmail", nil}, {"invoiceTerms", nil},
	{"status", "draft"}, {"startsAt", nil}, {"endsAt", nil}, {"notes", nil},
}

// GET /v1/contracts/{customerId} → {contract}, or 404.
func (s *Server) pContractGet(pc *pcall) response {
	ct := s.plat.contracts[pc.params[0]]
	if ct == nil {
		return pError(http.StatusNotFound, "Contract not found")
	}
	return pJSON(http.StatusOK, obj{{"contract", ct}})
}

// PUT /v1/contracts/{customerId} {priceAmount?, …} → {contract}: replaces
// the terms, keeping the id and createdAt.
func (s *Server) pContractSet(pc *pcall) response {
	id := pc.params[0]
	switch pc.body["priceInterval"] {
	case nil, "month", "year":
	default:
		return pError(http.StatusBadRequest, `priceInterval must be "month", "year" or null`)
	}
	switch pc.body["status"] {
	case nil, "draft", "active", "expired":
	default:
		return pError(http.StatusBadRequest, `status must be "draft", "active" or "expired"`)
	}
	old := s.plat.contracts[id]
	ctID, created := s.nextID("ct"), isoTime(pc.now)
	if old != nil {
		ctID, created = old[0].v.(string), old[len(old)-2].v.(string)
	}
	ct := obj{{"id", ctID}, {"customerId", id}}
	for _, f := range contractFields {
		v := f.v
		if given, ok := pc.body[f.k]; ok && given != nil {
			v = given
		}
		ct = append(ct, kv{f.k, v})
	}
	ct = append(ct, kv{"createdAt", created}, kv{"updatedAt", isoTime(pc.now)})
	s.customer(id)
	s.plat.contracts[id] = ct
	s.auditLog(pc, "contract.set", "contract", ctID, obj{{"customerId", id}})
	return pJSON(http.StatusOK, obj{{"contract", ct}})
}

// DELETE /v1/contracts/{customerId} → {deleted}.
func (s *Server) pContractDelete(pc *pcall) response {
	id := pc.params[0]
	ct, ok := s.plat.contracts[id]
	if ok {
		delete(s.plat.contracts, id)
		s.auditLog(pc, "contract.delete", "contract", ct[0].v.(string), obj{{"customerId", id}})
	}
	return pJSON(http.StatusOK, obj{{"deleted", ok}})
}

// auditEntry is one audit log line.
type auditEntry struct {
	seq                              int
	action, resourceType, resourceID string
	actorID, requestID               string
	metadata                         obj
	at                               time.Time
}

func (e auditEntry) id() string { return fmt.Sprintf("aud_%06d", e.seq) }

// actorID names the API key without revealing it.
func actorID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "key_" + hex.EncodeToString(sum[:6])
}

// auditLog appends a mutating platform action. Call with s.mu held.
func (s *Server) auditLog(pc *pcall, action, resourceType, resourceID string, meta obj) {
	if meta == nil {
		meta = obj{}
	}
	s.plat.audit = append(s.plat.audit, auditEntry{
		seq: len(s.plat.audit) + 1, action: action, resourceType: resourceType, resourceID: resourceID,
		actorID: actorID(pc.r.Header.Get("X-Guapocado-Key")), requestID: pc.reqID, metadata: meta, at: pc.now,
	})
}

func limitParam(pc *pcall, def int) (int, *response) {
	v := pc.q.Get("limit")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		r := pError(http.StatusBadRequest, "limit must be a positive integer")
		return 0, &r
	}
	return min(n, 100), nil
}

// GET /v1/audit?action=&resourceType=&resourceId=&actorId=&cursor=&limit=
// → {logs, hasMore, nextCursor?}, newest first, 50 a page by default.
func (s *Server) pAudit(pc *pcall) response {
	limit, fail := limitParam(pc, 50)
	if fail != nil {
		return *fail
	}
	start := len(s.plat.audit) // entries before this index (0-based) are candidates
	if cur := pc.q.Get("cursor"); cur != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(cur, "aud_"))
		if err != nil || !strings.HasPrefix(cur, "aud_") || n < 1 || n > len(s.plat.audit) {
			return pError(http.StatusBadRequest, "Invalid cursor")
		}
		start = n - 1
	}
	match := func(e auditEntry) bool {
		for _, f := range [...]struct{ param, v string }{
			{"action", e.action}, {"resourceType", e.resourceType}, {"resourceId", e.resourceID}, {"actorId", e.actorID},
		} {
			if want := pc.q.Get(f.param); want != "" && want != f.v {
				return false
			}
		}
		return true
	}
	logs := []any{}
	var last auditEntry
	i := start - 1
	for ; i >= 0 && len(logs) < limit; i-- {
		if e := s.plat.audit[i]; match(e) {
			last = e
			logs = append(logs, obj{
				{"id", e.id()}, {"action", e.action}, {"actorType", "api_key"}, {"actorId", e.actorID},
				{"actorLabel", "guapocadotest"}, {"keyType", "secret"}, {"mode", "test"},
				{"resourceType", e.resourceType}, {"resourceId", e.resourceID}, {"requestId", e.requestID},
				{"metadata", e.metadata}, {"createdAt", isoTime(e.at)},
			})
		}
	}
	more := false
	for ; i >= 0; i-- {
		if match(s.plat.audit[i]) {
			more = true
			break
		}
	}
	out := obj{{"logs", logs}, {"hasMore", more}}
	if more {
		out = append(out, kv{"nextCursor", last.id()})
	}
	return pJSON(http.StatusOK, out)
}
