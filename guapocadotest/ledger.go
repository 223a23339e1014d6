package guapocadotest

import (
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// state is everything the fake remembers; guarded by Server.mu.
type state struct {
	seq int // ids of platform objects: sub_, cs_, we_ share one counter

	users        map[string]*user
	usersByEmail map[string]*user
	sessions     map[string]*session // by unsigned token
	orgs         map[string]*org
	orgsBySlug   map[string]*org
	orgOrder     []string
	teams        map[string]*team
	teamOrder    []string
	newUsers     int // NewSession's counter

	plans       []*planDef
	planByKey   map[string]*planDef
	known       map[string]bool // every entitlement key of the catalogue
	defaultPlan string
	customers   map[string]*customer
	guapID      string // the registered webhook receiver's id
}

type customer struct {
	id, name, email string
	synced          bool
	planKey         string
	meters          map[string]*meterState
	limits          map[string]*limitState
	sub             *subscription
}

type meterState struct {
	consumed       float64
	overageEnabled bool
	period         time.Time // start of the current period (meters that reset)
}

type limitState struct {
	purchased     float64
	autoExpansion bool
}

type subscription struct {
	id, planKey            string
	periodStart, periodEnd time.Time
	createdAt, updatedAt   time.Time
}

// UsageBalance is a meter's state for one customer, as the usage endpoints
// return it (without customerId).
type UsageBalance struct {
	Balance        float64    `json:"balance"`
	Included       float64    `json:"included"`
	Consumed       float64    `json:"consumed"`
	Overage        float64    `json:"overage"`
	OverageAllowed bool       `json:"overageAllowed"`
	OverageEnabled bool       `json:"overageEnabled"`
	Resets         *time.Time `json:"resets"` // nil for a meter that never resets
}

func (u UsageBalance) fields() obj {
	return obj{
		{"balance", u.Balance},
		{"included", u.Included},
		{"consumed", u.Consumed},
		{"overage", u.Overage},
		{"overageAllowed", u.OverageAllowed},
		{"overageEnabled", u.OverageEnabled},
		{"resets", isoOrNull(u.Resets)},
	}
}

type limitBalance struct {
	limit, included, purchased float64
	expansionAllowed, auto     bool
}

func (l limitBalance) fields() obj {
	return obj{
		{"limit", l.limit},
		{"included", l.included},
		{"purchased", l.purchased},
		{"expansionAllowed", l.expansionAllowed},
		{"autoExpansionEnabled", l.auto},
	}
}

// ErrUnknownEntitlement is returned by Usage for a key no plan knows.
var ErrUnknownEntitlement = errors.New("guapocadotest: unknown entitlement")

// ErrUnknownPlan is returned by SetPlan for a plan not in the catalogue.
var ErrUnknownPlan = errors.New("guapocadotest: unknown plan")

func (s *Server) initState() error {
	st := state{
		users:        map[string]*user{},
		usersByEmail: map[string]*user{},
		sessions:     map[string]*session{},
		orgs:         map[string]*org{},
		orgsBySlug:   map[string]*org{},
		teams:        map[string]*team{},
		planByKey:    map[string]*planDef{},
		known:        map[string]bool{},
		customers:    map[string]*customer{},
	}
	plans := s.cfg.plans
	if !s.cfg.plansSet {
		plans = DefaultPlans()
	}
	for _, p := range plans {
		d, err := compilePlan(p)
		if err != nil {
			return err
		}
		if _, dup := st.planByKey[d.key]; dup {
			return fmt.Errorf("plan %s is listed twice", d.key)
		}
		st.plans = append(st.plans, d)
		st.planByKey[d.key] = d
		for k := range d.features {
			st.known[k] = true
		}
		for k := range d.allowances {
			st.known[k] = true
		}
	}
	for k := range s.cfg.meters {
		if k != "api-calls" && k != "ai-credits" { // the defaults add no key
			st.known[k] = true
		}
	}
	switch {
	case s.cfg.defaultPlan != "":
		st.defaultPlan = s.cfg.defaultPlan
	case st.planByKey["free"] != nil:
		st.defaultPlan = "free"
	case len(st.plans) > 0:
		st.defaultPlan = st.plans[0].key
	}
	if st.defaultPlan != "" && st.planByKey[st.defaultPlan] == nil {
		return fmt.Errorf("default plan %q is not in the catalogue", st.defaultPlan)
	}
	for id, p := range s.cfg.customerPlans {
		if st.planByKey[p] == nil {
			return fmt.Errorf("customer %s: plan %q is not in the catalogue", id, p)
		}
	}
	s.st = st
	return nil
}

// nextID returns the next platform object id with prefix ("sub", "cs", "we").
func (s *Server) nextID(prefix string) string {
	s.st.seq++
	return fmt.Sprintf("%s_%06d", prefix, s.st.seq)
}

// customer returns the ledger entry for id, creating it on first use (the
// platform answers for any customer id). Call with s.mu held.
func (s *Server) customer(id string) *customer {
	c := s.st.customers[id]
	if c == nil {
		plan := s.cfg.customerPlans[id]
		if plan == "" {
			plan = s.st.defaultPlan
		}
		c = &customer{id: id, planKey: plan, meters: map[string]*meterState{}, limits: map[string]*limitState{}}
		s.st.customers[id] = c
	}
	return c
}

// allowance is what c's plan grants for key.
func (s *Server) allowance(c *customer, key string) Allowance {
	if p := s.st.planByKey[c.planKey]; p != nil {
		return p.allowances[key]
	}
	return Allowance{}
}

func (s *Server) hasFeature(c *customer, key string) bool {
	p := s.st.planByKey[c.planKey]
	if p == nil {
		return false
	}
	if b, ok := p.features[key]; ok {
		return b
	}
	return p.allowances[key].Included > 0
}

func monthStart(t time.Time) time.Time {
	t = t.UTC()
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
}

// meter returns c's meter for key, rolled over to the current period.
func (s *Server) meter(c *customer, key string, now time.Time) *meterState {
	m := c.meters[key]
	if m == nil {
		m = &meterState{}
		c.meters[key] = m
	}
	if r := s.cfg.meters[key]; r != resetNever {
		switch {
		case m.period.IsZero():
			m.period = r.start(now)
		case !now.Before(r.next(m.period)):
			m.consumed = 0
			m.period = r.start(now)
		}
	}
	return m
}

// balance computes the UsageBalance of c's meter key.
func (s *Server) balance(c *customer, key string, now time.Time) UsageBalance {
	m := s.meter(c, key, now)
	a := s.allowance(c, key)
	u := UsageBalance{
		Balance:        math.Max(a.Included-m.consumed, 0),
		Included:       a.Included,
		Consumed:       m.consumed,
		Overage:        math.Max(m.consumed-a.Included, 0),
		OverageAllowed: a.Overage,
		OverageEnabled: m.overageEnabled,
	}
	if r := s.cfg.meters[key]; r != resetNever {
		next := r.next(m.period)
		u.Resets = &next
	}
	return u
}

// consume applies a consume; ok is false (nothing applied) when the balance
// does not cover amount and overage is not both allowed and enabled.
func (s *Server) consume(c *customer, key string, amount float64, now time.Time) (UsageBalance, bool) {
	m := s.meter(c, key, now)
	a := s.allowance(c, key)
	if m.consumed+amount > a.Included && !(a.Overage && m.overageEnabled) {
		return UsageBalance{}, false
	}
	m.consumed += amount
	return s.balance(c, key, now), true
}

// refund gives amount back; consumed never goes below zero.
func (s *Server) refund(c *customer, key string, amount float64, now time.Time) UsageBalance {
	m := s.meter(c, key, now)
	m.consumed = math.Max(m.consumed-amount, 0)
	return s.balance(c, key, now)
}

func (s *Server) limitOf(c *customer, key string) limitBalance {
	a := s.allowance(c, key)
	l := c.limits[key]
	if l == nil {
		l = &limitState{}
	}
	return limitBalance{
		limit:            a.Included + l.purchased,
		included:         a.Included,
		purchased:        l.purchased,
		expansionAllowed: a.Expansion,
		auto:             l.autoExpansion,
	}
}

// subscriptionOf returns c's subscription, its period rolled forward.
func (s *Server) subscriptionOf(c *customer, now time.Time) *subscription {
	sub := c.sub
	if sub != nil {
		for !now.Before(sub.periodEnd) {
			sub.periodStart = sub.periodEnd
			sub.periodEnd = monthStart(sub.periodEnd).AddDate(0, 1, 0)
		}
	}
	return sub
}

func subscriptionJSON(customerID string, sub *subscription) obj {
	return obj{
		{"id", sub.id},
		{"customerId", customerID},
		{"planKey", sub.planKey},
		{"status", "active"},
		{"stripeSubscriptionId", nil},
		{"currentPeriodStart", isoTime(sub.periodStart)},
		{"currentPeriodEnd", isoTime(sub.periodEnd)},
		{"createdAt", isoTime(sub.createdAt)},
		{"updatedAt", isoTime(sub.updatedAt)},
	}
}

// changePlan subscribes c to planKey (the platform's subscriptions/change).
func (s *Server) changePlan(c *customer, planKey string, now time.Time) (*subscription, bool, *response) {
	p := s.st.planByKey[planKey]
	if p == nil {
		r := errorResponse(http.StatusNotFound, "Unknown plan: "+planKey, "")
		return nil, false, &r
	}
	if p.mode != "recurring" {
		r := errorResponse(http.StatusBadRequest, "Plan "+planKey+" is not a recurring plan", "")
		return nil, false, &r
	}
	sub := s.subscriptionOf(c, now)
	if sub != nil && sub.planKey == planKey {
		return sub, false, nil
	}
	if sub == nil {
		sub = &subscription{id: s.nextID("sub"), periodStart: now, periodEnd: monthStart(now).AddDate(0, 1, 0), createdAt: now}
		c.sub = sub
	}
	sub.planKey, sub.updatedAt = planKey, now
	c.planKey = planKey
	return sub, true, nil
}

// Usage reads customerID's meter key from the ledger, without HTTP.
func (s *Server) Usage(customerID, key string) (UsageBalance, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.st.known[key] {
		return UsageBalance{}, fmt.Errorf("%w: %s", ErrUnknownEntitlement, key)
	}
	return s.balance(s.customer(customerID), key, s.Now()), nil
}

// SetPlan puts customerID on planKey directly (no subscription is created;
// use POST /guapocado/subscription/change for that). Webhook endpoints get
// entitlements.updated.
func (s *Server) SetPlan(customerID, planKey string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.st.planByKey[planKey] == nil {
		return fmt.Errorf("%w: %s", ErrUnknownPlan, planKey)
	}
	s.customer(customerID).planKey = planKey
	s.emit("entitlements.updated", obj{{"customerId", customerID}, {"reason", "subscription.updated"}, {"productKey", planKey}})
	return nil
}

// PlanOf returns the key of customerID's current plan.
func (s *Server) PlanOf(customerID string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.customer(customerID).planKey
}
