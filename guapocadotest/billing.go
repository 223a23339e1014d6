package guapocadotest

import (
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// customerID resolves the request's customer the way the plugin does: a
// customerId in the body wins (even ""); else the active organization, the
// active team or the user, per WithCustomerSource. ok is false when there
// is none ("Sign in first").
func (s *Server) customerID(c *call) (string, bool) {
	if v, present := c.body["customerId"]; present {
		id, _ := v.(string)
		return id, id != ""
	}
	var id string
	switch s.cfg.customerSource {
	case "team":
		id = c.sess.activeTeam
	case "user":
		id = c.sess.userID
	default:
		id = c.sess.activeOrg
	}
	return id, id != ""
}

// sessionCustomerID is customerID without a body override.
func (s *Server) sessionCustomerID(sess *session) string {
	switch s.cfg.customerSource {
	case "team":
		return sess.activeTeam
	case "user":
		return sess.userID
	default:
		return sess.activeOrg
	}
}

// keyed runs the checks shared by the endpoints that take a key: the
// customer, a non-blank key, a key the catalogue knows, of the kind the
// endpoint takes (want; 0 takes any).
func (s *Server) keyed(c *call, want entKind) (cust *customer, key string, fail *response) {
	id, ok := s.customerID(c)
	if !ok {
		r := signInFirst()
		return nil, "", &r
	}
	key = strField(c.body, "key")
	if strings.TrimFunc(key, func(r rune) bool { return unicode.IsSpace(r) || r == '\ufeff' }) == "" {
		r := errorResponse(http.StatusBadRequest, "key is required", "")
		return nil, "", &r
	}
	if !s.st.known[key] {
		r := errorResponse(http.StatusNotFound, "Unknown entitlement: "+key, "")
		return nil, "", &r
	}
	if want != 0 {
		if no := s.wrongKind(key, want); no != nil {
			r := no.plugin()
			return nil, "", &r
		}
	}
	return s.customer(id), key, nil
}

func withCustomer(id string, fields obj) obj {
	return append(obj{{"customerId", id}}, fields...)
}

// customerObj is the platform's customer {id, name, email}, synced from the
// session's user.
func (s *Server) customerObj(c *call, cust *customer) obj {
	if u := s.st.users[c.sess.userID]; u != nil {
		cust.name, cust.email, cust.synced = u.name, u.email, true
	}
	return obj{{"id", cust.id}, {"name", cust.name}, {"email", cust.email}}
}

// GET /guapocado/customer: {customerId}, or null without a customer.
func (s *Server) customerGet(c *call) response {
	id := s.sessionCustomerID(c.sess)
	if id == "" {
		return jsonResponse(http.StatusOK, nil)
	}
	return jsonResponse(http.StatusOK, obj{{"customerId", id}})
}

// POST /guapocado/customer {customerId?}: syncs the customer.
func (s *Server) customerSync(c *call) response {
	id, ok := s.customerID(c)
	if !ok {
		return signInFirst()
	}
	cust := s.customer(id)
	return jsonResponse(http.StatusOK, obj{{"customerId", id}, {"customer", s.customerObj(c, cust)}})
}

// stringList reads a validated list of strings, without duplicates.
func stringList(m map[string]any, name string) []string {
	list, _ := m[name].([]any)
	seen := map[string]bool{}
	var out []string
	for _, v := range list {
		if s, ok := v.(string); ok && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func boolOr(m map[string]any, name string, def bool) bool {
	if b, ok := m[name].(bool); ok {
		return b
	}
	return def
}

// POST /guapocado/context
func (s *Server) context(c *call) response {
	id, ok := s.customerID(c)
	if !ok {
		return signInFirst()
	}
	cust := s.customer(id)
	fields, no := s.contextFields(cust, c.body, c.now)
	if no != nil {
		return no.plugin()
	}
	o := append(obj{
		{"customerId", id},
		{"customer", s.customerObj(c, cust)},
	}, fields...)
	if boolOr(c.body, "debug", false) {
		o = append(o, kv{"_debug", obj{{"totalMs", 0}, {"timings", obj{{"platform.context", 0}}}}})
	}
	return jsonResponse(http.StatusOK, o)
}

// contextFields are the features, usage, limits, plans and subscription of
// a context answer (the plugin's and the platform's), for the keys in body.
// features answers has for keys of any kind (false for unknown keys);
// usage and limits leave unknown keys out and refuse a key of the other
// kind, as the usage and limit endpoints do.
func (s *Server) contextFields(cust *customer, body map[string]any, now time.Time) (obj, *refusal) {
	features := obj{}
	for _, k := range stringList(body, "features") {
		features = append(features, kv{k, s.st.known[k] && s.allowed(cust, k, now)})
	}
	usage := obj{}
	for _, k := range stringList(body, "usage") {
		if !s.st.known[k] {
			continue
		}
		if no := s.wrongKind(k, kindMeter); no != nil {
			return nil, no
		}
		usage = append(usage, kv{k, s.balance(cust, k, now).fields()})
	}
	limits := obj{}
	for _, k := range stringList(body, "limits") {
		if !s.st.known[k] {
			continue
		}
		if no := s.wrongKind(k, kindLimit); no != nil {
			return nil, no
		}
		limits = append(limits, kv{k, s.limitOf(cust, k).fields()})
	}
	plans := []any{}
	if boolOr(body, "includePlans", true) {
		plans = s.planList()
	}
	var sub any
	if boolOr(body, "includeSubscription", true) {
		if cs := s.subscriptionOf(cust, now); cs != nil {
			sub = subscriptionJSON(cust.id, cs)
		}
	}
	return obj{{"features", features}, {"usage", usage}, {"limits", limits}, {"plans", plans}, {"subscription", sub}}, nil
}

// POST /guapocado/has {key}
func (s *Server) has(c *call) response {
	cust, key, fail := s.keyed(c, 0)
	if fail != nil {
		return *fail
	}
	return jsonResponse(http.StatusOK, obj{{"customerId", cust.id}, {"allowed", s.allowed(cust, key, c.now)}})
}

// POST /guapocado/limit {key}
func (s *Server) limit(c *call) response {
	cust, key, fail := s.keyed(c, kindLimit)
	if fail != nil {
		return *fail
	}
	return jsonResponse(http.StatusOK, withCustomer(cust.id, s.limitOf(cust, key).fields()))
}

// POST /guapocado/limit/settings {key, purchased?, autoExpansionEnabled?}
func (s *Server) limitSettings(c *call) response {
	cust, key, fail := s.keyed(c, kindLimit)
	if fail != nil {
		return *fail
	}
	purchased, hasPurchased := c.body["purchased"].(float64)
	auto, _ := c.body["autoExpansionEnabled"].(bool)
	if no := s.expansionRefused(cust, key, purchased, auto); no != nil {
		return no.plugin()
	}
	l := cust.limits[key]
	if l == nil {
		l = &limitState{}
		cust.limits[key] = l
	}
	if hasPurchased {
		l.purchased = purchased
	}
	if _, ok := c.body["autoExpansionEnabled"].(bool); ok {
		l.autoExpansion = auto
	}
	return jsonResponse(http.StatusOK, withCustomer(cust.id, s.limitOf(cust, key).fields()))
}

// POST /guapocado/usage/balance {key}
func (s *Server) usageBalance(c *call) response {
	cust, key, fail := s.keyed(c, kindMeter)
	if fail != nil {
		return *fail
	}
	return jsonResponse(http.StatusOK, withCustomer(cust.id, s.balance(cust, key, c.now).fields()))
}

func amountOf(m map[string]any) float64 {
	if a, ok := m["amount"].(float64); ok {
		return a
	}
	return 1
}

// POST /guapocado/usage/consume {key, amount?}
func (s *Server) usageConsume(c *call) response {
	cust, key, fail := s.keyed(c, kindMeter)
	if fail != nil {
		return *fail
	}
	amount := amountOf(c.body)
	u, ok := s.consume(cust, key, amount, c.now)
	if !ok {
		return errorResponse(http.StatusTooManyRequests, "Insufficient balance", "")
	}
	s.logOp("consume", cust.id, key, amount, c)
	s.emitUsage(cust.id, key, u)
	return jsonResponse(http.StatusOK, withCustomer(cust.id, u.fields()))
}

// POST /guapocado/usage/refund {key, amount?}
func (s *Server) usageRefund(c *call) response {
	cust, key, fail := s.keyed(c, kindMeter)
	if fail != nil {
		return *fail
	}
	amount := amountOf(c.body)
	u := s.refund(cust, key, amount, c.now)
	s.logOp("refund", cust.id, key, amount, c)
	s.emitUsage(cust.id, key, u)
	return jsonResponse(http.StatusOK, withCustomer(cust.id, u.fields()))
}

// POST /guapocado/usage/settings {key, overageEnabled}
func (s *Server) usageSettings(c *call) response {
	cust, key, fail := s.keyed(c, kindMeter)
	if fail != nil {
		return *fail
	}
	s.meter(cust, key, c.now).overageEnabled, _ = c.body["overageEnabled"].(bool)
	u := s.balance(cust, key, c.now)
	s.emitUsage(cust.id, key, u)
	return jsonResponse(http.StatusOK, withCustomer(cust.id, u.fields()))
}

func (s *Server) planList() []any {
	out := make([]any, 0, len(s.st.plans))
	for _, p := range s.st.plans {
		out = append(out, p.raw)
	}
	return out
}

// GET /guapocado/plans (needs a session, not a customer)
func (s *Server) plans(*call) response {
	return jsonResponse(http.StatusOK, obj{{"plans", s.planList()}})
}

// POST /guapocado/subscription {customerId?}
func (s *Server) subscriptionCurrent(c *call) response {
	id, ok := s.customerID(c)
	if !ok {
		return signInFirst()
	}
	var sub any
	if cs := s.subscriptionOf(s.customer(id), c.now); cs != nil {
		sub = subscriptionJSON(id, cs)
	}
	return jsonResponse(http.StatusOK, obj{{"customerId", id}, {"subscription", sub}})
}

// POST /guapocado/subscription/change {planKey}
func (s *Server) subscriptionChange(c *call) response {
	id, ok := s.customerID(c)
	if !ok {
		return signInFirst()
	}
	sub, changed, fail := s.changePlan(s.customer(id), strField(c.body, "planKey"), c.now)
	if fail != nil {
		return *fail
	}
	if changed {
		s.emitPlanChange(id, sub)
	}
	return jsonResponse(http.StatusOK, obj{
		{"customerId", id},
		{"subscription", append(subscriptionJSON(id, sub), kv{"changed", changed})},
	})
}

func absoluteURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && u.Scheme != "" && u.Host != ""
}

// POST /guapocado/checkout {productKey (or planKey), successUrl, cancelUrl}
func (s *Server) checkout(c *call) response {
	id, ok := s.customerID(c)
	if !ok {
		return signInFirst()
	}
	product := strField(c.body, "productKey")
	if product == "" {
		product = strField(c.body, "planKey")
	}
	success, cancel := strField(c.body, "successUrl"), strField(c.body, "cancelUrl")
	if product == "" || success == "" || cancel == "" {
		return errorResponse(http.StatusBadRequest, "productKey, successUrl, and cancelUrl are required", "")
	}
	if !absoluteURL(success) {
		return errorResponse(http.StatusBadRequest, "successUrl must be an absolute URL", "")
	}
	if !absoluteURL(cancel) {
		return errorResponse(http.StatusBadRequest, "cancelUrl must be an absolute URL", "")
	}
	if no := s.checkoutRefused(product); no != nil {
		return no.plugin()
	}
	s.customer(id)
	return jsonResponse(http.StatusOK, obj{
		{"customerId", id},
		{"url", "https://checkout.fake-guapocado.test/c/" + s.nextID("cs")},
	})
}
