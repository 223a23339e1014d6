package guapocadotest

import (
	"maps"
	"slices"

	"github.com/guapocado/guapocado-go/billingconfig"
)

// WithBillingConfig serves the catalogue of a canonical billing config
// (billing.json, read with billingconfig.Load): its products as the plans
// (pricing, entitlements, overage and expansion terms, in the platform's
// JSON shape), its meters with their resets (daily, weekly or monthly at
// 00:00 UTC; weeks start on Monday), its limits as limits, and as the
// default plan the first product without a price (else the fake's rule:
// "free", else the first plan). Options after it override what it sets.
//
// Custom ("contact sales") products are listed but refuse checkout, and
// products without pricing are plans that are changed to, never checked
// out, as on the platform.
func WithBillingConfig(cfg *billingconfig.Config) Option {
	plans := make([]Plan, 0, len(cfg.Products))
	defaultPlan := ""
	for _, p := range cfg.Products {
		plans = append(plans, planFromConfig(cfg, p))
		if defaultPlan == "" && p.Pricing == nil {
			defaultPlan = p.Key
		}
	}
	return func(c *config) {
		c.plans, c.plansSet = plans, true
		for key, def := range cfg.Entitlements {
			switch def.Type {
			case billingconfig.KindMeter:
				c.meters[key] = resetPeriod(def.Reset)
			case billingconfig.KindLimit:
				c.limits[key] = true
			}
		}
		if defaultPlan != "" {
			c.defaultPlan = defaultPlan
		}
	}
}

// planFromConfig writes a product as the platform serves it.
func planFromConfig(cfg *billingconfig.Config, p billingconfig.Product) Plan {
	name := p.Name
	if name == "" {
		name = p.Key
	}
	conf := obj{}
	if pr := p.Pricing; pr != nil {
		pricing := obj{{"mode", string(pr.Mode)}}
		add := func(k, v string) {
			if v != "" {
				pricing = append(pricing, kv{k, v})
			}
		}
		add("type", pr.Type)
		if pr.Amount != nil {
			pricing = append(pricing, kv{"amount", *pr.Amount})
		}
		add("currency", pr.Currency)
		add("frequency", pr.Frequency)
		add("contact", pr.Contact)
		conf = append(conf, kv{"pricing", pricing})
	}
	ents := obj{}
	for _, key := range slices.Sorted(maps.Keys(p.Entitlements)) {
		v := p.Entitlements[key]
		if cfg.Entitlements[key].Type == billingconfig.KindFeature {
			ents = append(ents, kv{key, v.Enabled})
			continue
		}
		e := obj{{"included", v.Included}}
		if t := v.Overage; t != nil {
			e = append(e, kv{"overage", terms(t)})
		}
		if t := v.Expansion; t != nil {
			e = append(e, kv{"expansion", terms(t)})
		}
		ents = append(ents, kv{key, e})
	}
	conf = append(conf, kv{"entitlements", ents})
	var stripeProduct, stripePrice any // null: no price to pay (free or custom)
	if p.Pricing != nil && p.Pricing.Mode != billingconfig.PricingCustom {
		stripeProduct, stripePrice = "prod_stripe_"+p.Key, "price_stripe_"+p.Key
	}
	raw, err := encodeJSON(obj{
		{"id", "prod_" + p.Key},
		{"key", p.Key},
		{"name", name},
		{"config", conf},
		{"stripeProductId", stripeProduct},
		{"stripePriceId", stripePrice},
		{"createdAt", "2026-01-01T00:00:00.000Z"},
		{"updatedAt", "2026-01-01T00:00:00.000Z"},
	})
	if err != nil {
		panic("guapocadotest: WithBillingConfig: " + err.Error()) // only plain values above
	}
	return Plan{JSON: raw}
}

func terms(t *billingconfig.Terms) obj {
	return obj{{"allowed", t.Allowed}, {"unit", t.Unit}, {"amount", t.Amount}, {"currency", t.Currency}}
}
