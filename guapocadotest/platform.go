package guapocadotest

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// platformPrefix is where the fake serves the platform API (section 6 of
// the contract): the same listener as Better Auth, paths /v1/….
const platformPrefix = "/v1/"

// WithAPIKey sets the secret key the platform routes accept in
// x-guapocado-key (default: a random "sk_guap_test_…" key; see APIKey).
func WithAPIKey(key string) Option { return func(c *config) { c.apiKey = key } }

// APIKey returns the secret key the platform routes accept.
func (s *Server) APIKey() string { return s.cfg.apiKey }

// APIURL is the base URL of the platform API (/v1/… routes): the same
// listener as URL. Give it to guapocado.WithAPIURL.
func (s *Server) APIURL() string { return s.URL }

// platformState is the platform side's own memory; guarded by Server.mu.
// Meters, limits, plans, customers and subscriptions are the ledger shared
// with the Better Auth side.
type platformState struct {
	idem      map[string]idemEntry // by idempotency key
	replays   int
	audit     []auditEntry // oldest first
	purchases []*purchase  // oldest first
	pastSubs  []pastSub    // AddSubscription's, oldest first
	contracts map[string]obj
	webhooks  map[string]obj // by registration key (or URL)
	metadata  map[string]any // customer metadata by customer id
}

func newPlatformState() platformState {
	return platformState{
		idem:      map[string]idemEntry{},
		contracts: map[string]obj{},
		webhooks:  map[string]obj{},
		metadata:  map[string]any{},
	}
}

// idemEntry is the answer stored for an idempotency key.
type idemEntry struct {
	fingerprint string // method, path and body without the key
	resp        response
}

// idemRule says how a route treats idempotency keys.
type idemRule int

const (
	idemNone idemRule = iota
	idemOptional
	idemRequired
)

// pcall is one platform request on its way through a handler.
type pcall struct {
	r      *http.Request
	body   map[string]any
	q      url.Values
	params []string // the {} segments of the route, unescaped
	now    time.Time
	reqID  string
}

type platformRoute struct {
	method  string
	pattern []string // segments below /v1/; "{}" is a parameter
	idem    idemRule
	handle  func(*pcall) response
}

func (s *Server) platformRoutes() []platformRoute {
	r := func(method, pattern string, idem idemRule, h func(*pcall) response) platformRoute {
		return platformRoute{method, strings.Split(pattern, "/"), idem, h}
	}
	return []platformRoute{
		r("GET", "entitlements/{}/has", idemNone, s.pHas),
		r("GET", "entitlements/{}/limit", idemNone, s.pLimit),
		r("POST", "entitlements/{}/limit/settings", idemNone, s.pLimitSettings),
		r("GET", "usage/{}/balance", idemNone, s.pBalance),
		r("POST", "usage/{}/consume", idemOptional, s.pConsume),
		r("POST", "usage/{}/refund", idemOptional, s.pRefund),
		r("POST", "usage/{}/settings", idemNone, s.pUsageSettings),
		r("POST", "customers", idemNone, s.pCustomer),
		r("GET", "customers", idemNone, s.pCustomers),
		r("POST", "context", idemNone, s.pContext),
		r("GET", "plans", idemNone, s.pPlans),
		r("GET", "purchases", idemNone, s.pPurchases),
		r("POST", "purchases/{}/refunds", idemRequired, s.pPurchaseRefund),
		r("GET", "subscriptions", idemNone, s.pSubscriptions),
		r("POST", "subscriptions/change", idemNone, s.pSubscriptionChange),
		r("POST", "subscriptions/{}/refunds", idemRequired, s.pSubscriptionRefund),
		r("POST", "checkout", idemNone, s.pCheckout),
		r("POST", "webhook-endpoints/register", idemNone, s.pWebhookRegister),
		r("GET", "contracts/{}", idemNone, s.pContractGet),
		r("PUT", "contracts/{}", idemNone, s.pContractSet),
		r("DELETE", "contracts/{}", idemNone, s.pContractDelete),
		r("GET", "audit", idemNone, s.pAudit),
	}
}

// match finds the route of method and the escaped path below /v1/.
func (s *Server) match(method, rest string) (*platformRoute, []string) {
	segs := strings.Split(rest, "/")
	for i := range s.pRoutes {
		rt := &s.pRoutes[i]
		if rt.method != method || len(rt.pattern) != len(segs) {
			continue
		}
		var params []string
		ok := true
		for j, p := range rt.pattern {
			if p == "{}" {
				v, err := url.PathUnescape(segs[j])
				if err != nil || v == "" {
					ok = false
					break
				}
				params = append(params, v)
			} else if p != segs[j] {
				ok = false
				break
			}
		}
		if ok {
			return rt, params
		}
	}
	return nil, nil
}

// handlePlatform answers a /v1/ request: the API key, the route, the body,
// idempotency, then the handler. Every answer carries x-request-id.
func (s *Server) handlePlatform(r *http.Request, raw []byte) response {
	reqID := "req_" + randomHex(6)
	resp := s.platformAnswer(r, raw, reqID)
	if resp.header == nil {
		resp.header = http.Header{}
	}
	resp.header.Set("X-Request-Id", reqID)
	return resp
}

func (s *Server) platformAnswer(r *http.Request, raw []byte, reqID string) response {
	key := r.Header.Get("X-Guapocado-Key")
	if key == "" {
		return pError(http.StatusUnauthorized, "Missing API key")
	}
	if subtle.ConstantTimeCompare([]byte(key), []byte(s.cfg.apiKey)) != 1 {
		return pError(http.StatusUnauthorized, "Invalid API key")
	}
	rt, params := s.match(r.Method, strings.TrimPrefix(r.URL.EscapedPath(), platformPrefix))
	if rt == nil {
		return pError(http.StatusNotFound, "Not found")
	}
	body := map[string]any{}
	if r.Method == http.MethodPost || r.Method == http.MethodPut {
		if len(strings.TrimSpace(string(raw))) > 0 {
			if err := json.Unmarshal(raw, &body); err != nil || body == nil {
				return pError(http.StatusBadRequest, "Invalid JSON body")
			}
		}
	}
	pc := &pcall{r: r, body: body, q: r.URL.Query(), params: params, reqID: reqID}

	s.mu.Lock()
	defer s.mu.Unlock()
	pc.now = s.Now()
	if rt.idem == idemNone {
		return rt.handle(pc)
	}
	idemKey, _ := body["idempotencyKey"].(string)
	if idemKey == "" {
		if rt.idem == idemRequired {
			return pError(http.StatusBadRequest, "idempotencyKey is required")
		}
		return rt.handle(pc)
	}
	fp := fingerprint(r, body)
	if e, ok := s.plat.idem[idemKey]; ok {
		if e.fingerprint != fp {
			return pError(http.StatusConflict, "Idempotency key reused with a different request")
		}
		s.plat.replays++
		replay := e.resp
		replay.header = e.resp.header.Clone()
		replay.header.Set("Idempotent-Replayed", "true")
		return replay
	}
	resp := rt.handle(pc)
	if resp.status >= 200 && resp.status < 300 {
		s.plat.idem[idemKey] = idemEntry{fingerprint: fp, resp: resp}
	}
	return resp
}

// fingerprint identifies a request apart from its idempotency key.
func fingerprint(r *http.Request, body map[string]any) string {
	rest := make(map[string]any, len(body))
	for k, v := range body {
		if k != "idempotencyKey" {
			rest[k] = v
		}
	}
	b, _ := json.Marshal(rest) // map keys are sorted
	return r.Method + " " + r.URL.Path + " " + string(b)
}

// IdempotentReplays returns how many platform requests were answered from
// a stored idempotent result instead of being applied again.
func (s *Server) IdempotentReplays() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.plat.replays
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("guapocadotest: " + err.Error())
	}
	return hex.EncodeToString(b)
}

// pJSON answers v as the platform does (application/json; charset=utf-8).
func pJSON(status int, v any) response {
	r := jsonResponse(status, v)
	r.header.Set("Content-Type", "application/json; charset=utf-8")
	return r
}

// pError is the platform's {"error": …}.
func pError(status int, msg string) response { return pJSON(status, obj{{"error", msg}}) }

func blank(s string) bool { return strings.TrimSpace(s) == "" }

// customerParam reads the customerId of the query (GET) or the body.
func (s *Server) customerParam(pc *pcall) (*customer, *response) {
	id := pc.q.Get("customerId")
	if pc.r.Method != http.MethodGet {
		id = strField(pc.body, "customerId")
	}
	if blank(id) {
		r := pError(http.StatusBadRequest, "customerId is required")
		return nil, &r
	}
	return s.customer(id), nil
}

// entitlement reads the customer and the {key} parameter, a known key of
// the kind the route takes (want; 0 takes any).
func (s *Server) entitlement(pc *pcall, want entKind) (*customer, string, *response) {
	cust, fail := s.customerParam(pc)
	if fail != nil {
		return nil, "", fail
	}
	key := pc.params[0]
	if blank(key) {
		r := pError(http.StatusBadRequest, "key is required")
		return nil, "", &r
	}
	if !s.st.known[key] {
		r := pError(http.StatusNotFound, "Unknown entitlement: "+key)
		return nil, "", &r
	}
	if want != 0 {
		if no := s.wrongKind(key, want); no != nil {
			r := no.platform()
			return nil, "", &r
		}
	}
	return cust, key, nil
}

// GET /v1/entitlements/{key}/has?customerId= → true or false.
func (s *Server) pHas(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, 0)
	if fail != nil {
		return *fail
	}
	return pJSON(http.StatusOK, s.allowed(cust, key, pc.now))
}

// GET /v1/entitlements/{key}/limit?customerId= → LimitBalance.
func (s *Server) pLimit(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, kindLimit)
	if fail != nil {
		return *fail
	}
	return pJSON(http.StatusOK, s.limitOf(cust, key).fields())
}

// POST /v1/entitlements/{key}/limit/settings {customerId, purchased?, autoExpansionEnabled?}.
func (s *Server) pLimitSettings(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, kindLimit)
	if fail != nil {
		return *fail
	}
	purchased, hasPurchased := pc.body["purchased"].(float64)
	if _, present := pc.body["purchased"]; present && (!hasPurchased || purchased < 0) {
		return pError(http.StatusBadRequest, "purchased must be a non-negative number")
	}
	auto, hasAuto := pc.body["autoExpansionEnabled"].(bool)
	if _, present := pc.body["autoExpansionEnabled"]; present && !hasAuto {
		return pError(http.StatusBadRequest, "autoExpansionEnabled must be a boolean")
	}
	if no := s.expansionRefused(cust, key, purchased, auto); no != nil {
		return no.platform()
	}
	l := cust.limits[key]
	if l == nil {
		l = &limitState{}
		cust.limits[key] = l
	}
	if hasPurchased {
		l.purchased = purchased
	}
	if hasAuto {
		l.autoExpansion = auto
	}
	s.auditLog(pc, "limit.configure", "customer", cust.id, obj{{"key", key}})
	return pJSON(http.StatusOK, s.limitOf(cust, key).fields())
}

// GET /v1/usage/{key}/balance?customerId= → UsageBalance.
func (s *Server) pBalance(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, kindMeter)
	if fail != nil {
		return *fail
	}
	return pJSON(http.StatusOK, s.balance(cust, key, pc.now).fields())
}

// positiveInt reads a positive integer amount (at most 2^53).
func positiveInt(m map[string]any, name string) (float64, bool) {
	a, ok := m[name].(float64)
	return a, ok && a > 0 && a == math.Trunc(a) && a <= 1<<53
}

// POST /v1/usage/{key}/consume {customerId, amount, idempotencyKey?}.
func (s *Server) pConsume(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, kindMeter)
	if fail != nil {
		return *fail
	}
	amount, ok := positiveInt(pc.body, "amount")
	if !ok {
		return pError(http.StatusBadRequest, "amount must be a positive integer")
	}
	u, ok := s.consume(cust, key, amount, pc.now)
	if !ok {
		return pError(http.StatusTooManyRequests, "Insufficient balance")
	}
	s.platformOp(pc, "consume", cust.id, key, amount)
	s.emitUsage(cust.id, key, u)
	return pJSON(http.StatusOK, u.fields())
}

// POST /v1/usage/{key}/refund {customerId, amount, idempotencyKey?}.
func (s *Server) pRefund(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, kindMeter)
	if fail != nil {
		return *fail
	}
	amount, ok := positiveInt(pc.body, "amount")
	if !ok {
		return pError(http.StatusBadRequest, "amount must be a positive integer")
	}
	u := s.refund(cust, key, amount, pc.now)
	s.platformOp(pc, "refund", cust.id, key, amount)
	s.emitUsage(cust.id, key, u)
	return pJSON(http.StatusOK, u.fields())
}

// platformOp logs an applied consume or refund (ledger log and audit log).
func (s *Server) platformOp(pc *pcall, op, customerID, key string, amount float64) {
	idemKey, _ := pc.body["idempotencyKey"].(string)
	h := pc.r.Header.Clone()
	h.Del("X-Guapocado-Key")
	h.Del("Cookie")
	h.Del("Authorization")
	s.logMu.Lock()
	s.ops = append(s.ops, LedgerOp{Op: op, CustomerID: customerID, Key: key, Amount: amount, At: pc.now, Header: h, IdempotencyKey: idemKey})
	s.logMu.Unlock()
	s.auditLog(pc, "usage."+op, "customer", customerID, obj{{"key", key}, {"amount", amount}, {"idempotencyKey", nullIfEmpty(idemKey)}})
}

// POST /v1/usage/{key}/settings {customerId, overageEnabled}.
func (s *Server) pUsageSettings(pc *pcall) response {
	cust, key, fail := s.entitlement(pc, kindMeter)
	if fail != nil {
		return *fail
	}
	on, ok := pc.body["overageEnabled"].(bool)
	if !ok {
		return pError(http.StatusBadRequest, "overageEnabled must be a boolean")
	}
	s.meter(cust, key, pc.now).overageEnabled = on
	s.auditLog(pc, "usage.configure", "customer", cust.id, obj{{"key", key}, {"overageEnabled", on}})
	u := s.balance(cust, key, pc.now)
	s.emitUsage(cust.id, key, u)
	return pJSON(http.StatusOK, u.fields())
}

// customerJSON is the platform's Customer.
func (s *Server) customerJSON(c *customer) obj {
	meta := s.plat.metadata[c.id]
	if meta == nil {
		meta = obj{}
	}
	return obj{{"id", c.id}, {"name", nullIfEmpty(c.name)}, {"email", nullIfEmpty(c.email)}, {"metadata", meta}}
}

// GET /v1/customers?limit=&cursor= → {customers, hasMore, nextCursor}: the
// customers by id, a page of at most limit (default 50) after cursor (the
// last id of the previous page).
func (s *Server) pCustomers(pc *pcall) response {
	limit, fail := limitParam(pc, 50)
	if fail != nil {
		return *fail
	}
	ids := make([]string, 0, len(s.st.customers))
	for id := range s.st.customers {
		if cur := pc.q.Get("cursor"); cur == "" || id > cur {
			ids = append(ids, id)
		}
	}
	sort.Strings(ids)
	more := len(ids) > limit
	if more {
		ids = ids[:limit]
	}
	list := []any{}
	for _, id := range ids {
		list = append(list, s.customerJSON(s.st.customers[id]))
	}
	out := obj{{"customers", list}, {"hasMore", more}}
	if more {
		out = append(out, kv{"nextCursor", ids[len(ids)-1]})
	}
	return pJSON(http.StatusOK, out)
}

// POST /v1/customers {id?, name?, email?, stripeCustomerId?, metadata?} →
// 201; without an id the platform assigns one ("cus_…").
func (s *Server) pCustomer(pc *pcall) response {
	id, given := pc.body["id"].(string)
	if !given {
		id = "cus_" + randomID()[:16]
	}
	if blank(id) {
		return pError(http.StatusBadRequest, "id must not be blank")
	}
	c := s.customer(id)
	if v, ok := pc.body["name"].(string); ok {
		c.name = v
	}
	if v, ok := pc.body["email"].(string); ok {
		c.email = v
	}
	if m, ok := pc.body["metadata"].(map[string]any); ok {
		s.plat.metadata[id] = m
	}
	c.synced = true
	s.auditLog(pc, "customer.upsert", "customer", id, nil)
	s.emitCustomer(c)
	return pJSON(http.StatusCreated, s.customerJSON(c))
}

// POST /v1/context {customer:{id,…}, features, usage, limits, includePlans, includeSubscription}.
func (s *Server) pContext(pc *pcall) response {
	cm, _ := pc.body["customer"].(map[string]any)
	id := strField(cm, "id")
	if blank(id) {
		return pError(http.StatusBadRequest, "customer.id is required")
	}
	cust := s.customer(id)
	if v, ok := cm["name"].(string); ok {
		cust.name = v
	}
	if v, ok := cm["email"].(string); ok {
		cust.email = v
	}
	if m, ok := cm["metadata"].(map[string]any); ok {
		s.plat.metadata[id] = m
	}
	if _, n := cm["name"]; n || cm["email"] != nil || cm["metadata"] != nil {
		s.emitCustomer(cust)
	}
	fields, no := s.contextFields(cust, pc.body, pc.now)
	if no != nil {
		return no.platform()
	}
	return pJSON(http.StatusOK, append(obj{
		{"customerId", id},
		{"customer", obj{{"id", id}, {"name", nullIfEmpty(cust.name)}, {"email", nullIfEmpty(cust.email)}}},
	}, fields...))
}

// GET /v1/plans → {plans}.
func (s *Server) pPlans(*pcall) response {
	return pJSON(http.StatusOK, obj{{"plans", s.planList()}})
}

// GET /v1/subscriptions?customerId=&cursor=&limit= → {subscriptions,
// hasMore, nextCursor?}: the customer's subscriptions (its current one and
// those added with AddSubscription), newest first, a page of at most limit
// (default 50) after cursor (the last id of the previous page).
func (s *Server) pSubscriptions(pc *pcall) response {
	cust, fail := s.customerParam(pc)
	if fail != nil {
		return *fail
	}
	limit, fail := limitParam(pc, 50)
	if fail != nil {
		return *fail
	}
	type entry struct {
		id  string
		obj obj
	}
	var all []entry
	if cs := s.subscriptionOf(cust, pc.now); cs != nil {
		all = append(all, entry{cs.id, subscriptionJSON(cust.id, cs)})
	}
	for _, p := range s.plat.pastSubs {
		if p.customerID == cust.id {
			o := subscriptionJSON(cust.id, &p.sub)
			o[3] = kv{"status", p.status}
			all = append(all, entry{p.sub.id, o})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].id > all[j].id })
	cur := pc.q.Get("cursor")
	subs := []any{}
	more := false
	last := ""
	for _, e := range all {
		if cur != "" && e.id >= cur {
			continue
		}
		if len(subs) == limit {
			more = true
			break
		}
		subs = append(subs, e.obj)
		last = e.id
	}
	out := obj{{"subscriptions", subs}, {"hasMore", more}}
	if more {
		out = append(out, kv{"nextCursor", last})
	}
	return pJSON(http.StatusOK, out)
}

// POST /v1/subscriptions/change {customerId, planKey} → the subscription
// with changed.
func (s *Server) pSubscriptionChange(pc *pcall) response {
	cust, fail := s.customerParam(pc)
	if fail != nil {
		return *fail
	}
	planKey := strField(pc.body, "planKey")
	if blank(planKey) {
		return pError(http.StatusBadRequest, "planKey is required")
	}
	sub, changed, fail := s.changePlan(cust, planKey, pc.now)
	if fail != nil {
		var m map[string]string
		_ = json.Unmarshal(fail.body, &m)
		return pError(fail.status, m["message"])
	}
	if changed {
		s.auditLog(pc, "subscription.change", "subscription", sub.id, obj{{"customerId", cust.id}, {"planKey", planKey}})
		s.emitPlanChange(cust.id, sub)
	}
	return pJSON(http.StatusOK, append(subscriptionJSON(cust.id, sub), kv{"changed", changed}))
}

// POST /v1/checkout {productKey (or planKey), successUrl, cancelUrl, customerId} → {url}.
func (s *Server) pCheckout(pc *pcall) response {
	cust, fail := s.customerParam(pc)
	if fail != nil {
		return *fail
	}
	product := strField(pc.body, "productKey")
	if product == "" {
		product = strField(pc.body, "planKey")
	}
	success, cancel := strField(pc.body, "successUrl"), strField(pc.body, "cancelUrl")
	if product == "" || success == "" || cancel == "" {
		return pError(http.StatusBadRequest, "productKey, successUrl, and cancelUrl are required")
	}
	if !absoluteURL(success) || !absoluteURL(cancel) {
		return pError(http.StatusBadRequest, "successUrl and cancelUrl must be absolute URLs")
	}
	if no := s.checkoutRefused(product); no != nil {
		return no.platform()
	}
	id := s.nextID("cs")
	s.auditLog(pc, "checkout.create", "checkout_session", id, obj{{"customerId", cust.id}, {"productKey", product}})
	return pJSON(http.StatusOK, obj{{"url", "https://checkout.fake-guapocado.test/c/" + id}})
}
