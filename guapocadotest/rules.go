package guapocadotest

import (
	"fmt"
	"net/http"
	"sort"
	"time"
)

// The platform's refusals that both sides of the fake share: the plugin
// passes a platform 400 or 404 on as {"message": …} with the same status,
// the platform API answers {"error": …}.

// entKind is the one kind an entitlement key has on the platform.
type entKind int

const (
	kindFeature entKind = iota + 1 // a boolean entitlement: has
	kindMeter                      // usage balance, consume, refund, usage settings
	kindLimit                      // limit, limit settings
)

// refusal is a platform answer other than 2xx.
type refusal struct {
	status  int
	message string
}

// entitlementKinds gives every key of the catalogue its kind: boolean
// entitlements are features; a numeric one is a limit when WithLimit names
// it or a plan allows its expansion, else a meter (WithMeter, overage, or
// nothing said).
// A key that is both is a configuration error.
func entitlementKinds(plans []*planDef, meters map[string]resetPeriod, limits map[string]bool) (map[string]entKind, error) {
	kinds := map[string]entKind{}
	var conflicts []string
	set := func(key string, k entKind) {
		if prev, ok := kinds[key]; ok && prev != k {
			conflicts = append(conflicts, key)
		}
		kinds[key] = k
	}
	for _, p := range plans {
		for key := range p.features {
			set(key, kindFeature)
		}
	}
	for key := range limits {
		set(key, kindLimit)
	}
	for _, p := range plans {
		for key, a := range p.allowances {
			if a.Expansion {
				set(key, kindLimit)
			}
		}
	}
	for key := range meters {
		if key != "api-calls" && key != "ai-credits" { // the defaults name no key
			set(key, kindMeter)
		}
	}
	for _, p := range plans {
		for key, a := range p.allowances {
			switch {
			case a.Overage:
				set(key, kindMeter)
			case kinds[key] == 0:
				kinds[key] = kindMeter
			}
		}
	}
	if len(conflicts) > 0 {
		sort.Strings(conflicts)
		return nil, fmt.Errorf("entitlement %s has two kinds (a feature, meter or limit in different places)", conflicts[0])
	}
	return kinds, nil
}

// wrongKind refuses key (known to the catalogue) on an endpoint that takes
// want: 400 "Entitlement <key> is not a usage meter" or "… is not a limit".
func (s *Server) wrongKind(key string, want entKind) *refusal {
	if s.kinds[key] == want {
		return nil
	}
	what := "a usage meter"
	if want == kindLimit {
		what = "a limit"
	}
	return &refusal{http.StatusBadRequest, "Entitlement " + key + " is not " + what}
}

// allowed is the platform's has: a feature is its plan's flag; a meter is
// allowed while it has balance, or may run into overage; a limit while it
// is above zero. Call with s.mu held.
func (s *Server) allowed(c *customer, key string, now time.Time) bool {
	switch s.kinds[key] {
	case kindMeter:
		u := s.balance(c, key, now)
		return u.Balance > 0 || u.OverageAllowed && u.OverageEnabled
	case kindLimit:
		return s.limitOf(c, key).limit > 0
	}
	return s.hasFeature(c, key)
}

// expansionRefused refuses buying more of a limit (purchased > 0) or
// switching auto-expansion on when c's plan allows no expansion of key.
// purchased < 0 and auto false mean "not asked for".
func (s *Server) expansionRefused(c *customer, key string, purchased float64, auto bool) *refusal {
	if (purchased > 0 || auto) && !s.allowance(c, key).Expansion {
		return &refusal{http.StatusBadRequest, "Limit expansion is not allowed for " + key + " on this plan"}
	}
	return nil
}

// checkoutRefused refuses a checkout of a product the catalogue does not
// have (404) or one with custom pricing ("contact sales": no price to pay
// through checkout, 400).
func (s *Server) checkoutRefused(product string) *refusal {
	p := s.st.planByKey[product]
	switch {
	case p == nil:
		return &refusal{http.StatusNotFound, "Unknown product: " + product}
	case p.mode == "custom":
		return &refusal{http.StatusBadRequest, "Product " + product + " is not available for checkout"}
	}
	return nil
}

// plugin renders a refusal as the plugin passes it on.
func (r *refusal) plugin() response { return errorResponse(r.status, r.message, "") }

// platform renders a refusal as the platform API answers it.
func (r *refusal) platform() response { return pError(r.status, r.message) }
