package guapocadotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
)

// Plan is one entry of the fake platform's catalogue, as served by
// GET /guapocado/plans and used by the ledger.
//
// Either describe the plan with its fields, or give its full JSON in JSON
// (then JSON is served verbatim and Key, Name, Mode, Features and Allowances
// are read from it; see PlanFromJSON).
type Plan struct {
	Key  string
	Name string
	// Mode is config.pricing.mode: "recurring" (the default when empty),
	// "one_time", "custom", …. Only recurring plans can be subscribed to
	// through /guapocado/subscription/change.
	Mode string
	// Features are the boolean entitlements (has).
	Features map[string]bool
	// Allowances are the numeric entitlements: each key is a limit (read
	// with limit, bought with limit settings) when WithLimit names it or a
	// plan allows its expansion, else a meter (usage balance, consume,
	// refund, usage settings). See WithLimit.
	Allowances map[string]Allowance
	// JSON, when set, is the plan exactly as the platform serves it.
	JSON json.RawMessage
}

// Allowance is a numeric entitlement of a plan.
type Allowance struct {
	// Included is the amount the plan includes per period.
	Included float64
	// Overage allows consuming past Included (when the customer also
	// enabled overage through /guapocado/usage/settings).
	Overage bool
	// Expansion allows buying more of a limit (purchased > 0).
	Expansion bool
}

// defaultCatalogue is the platform stand-in's catalogue from transcripts.md
// §3.18, compact, byte for byte in the same member order.
const defaultCatalogue = `[` +
	`{"id":"prod_0001_free","key":"free","name":"Free","config":{"pricing":{"mode":"recurring","type":"flat","amount":0,"currency":"usd","frequency":"month"},"entitlements":{"advanced-analytics":false,"csv-export":true,"api-calls":{"included":100},"ai-credits":{"included":10},"seats":{"included":3},"projects":{"included":2}}},"stripeProductId":"prod_stripe_free","stripePriceId":"price_stripe_free","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"},` +
	`{"id":"prod_0002_pro","key":"pro","name":"Pro","config":{"pricing":{"mode":"recurring","type":"flat","amount":2900,"currency":"usd","frequency":"month"},"entitlements":{"advanced-analytics":true,"csv-export":true,"api-calls":{"included":10000,"overage":{"allowed":true,"unit":1000,"amount":200,"currency":"usd"}},"ai-credits":{"included":500},"seats":{"included":10,"expansion":{"allowed":true,"unit":1,"amount":900,"currency":"usd"}},"projects":{"included":20}}},"stripeProductId":"prod_stripe_pro","stripePriceId":"price_stripe_pro","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"},` +
	`{"id":"prod_0003_credits-pack","key":"credits-pack","name":"1,000 AI credits","config":{"pricing":{"mode":"one_time","type":"flat","amount":1000,"currency":"usd"},"entitlements":{"ai-credits":{"included":1000}}},"stripeProductId":"prod_stripe_credits-pack","stripePriceId":"price_stripe_credits-pack","createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"},` +
	`{"id":"prod_0004_enterprise","key":"enterprise","name":"Enterprise","config":{"pricing":{"mode":"custom","contact":"mailto:sales@example.test"},"entitlements":{"advanced-analytics":true,"csv-export":true,"api-calls":{"included":1000000,"overage":{"allowed":true,"unit":1000,"amount":100,"currency":"usd"}},"ai-credits":{"included":10000},"seats":{"included":100,"expansion":{"allowed":true,"unit":1,"amount":500,"currency":"usd"}},"projects":{"included":1000,"expansion":{"allowed":true,"unit":10,"amount":100,"currency":"usd"}}}},"stripeProductId":null,"stripePriceId":null,"createdAt":"2026-01-01T00:00:00.000Z","updatedAt":"2026-01-01T00:00:00.000Z"}` +
	`]`

// DefaultPlans returns the default catalogue: free, pro, credits-pack and
// enterprise, exactly as in the recorded transcripts. New customers start on
// free: 100 api-calls a month, 10 ai-credits that never reset, 3 seats,
// 2 projects, csv-export but not advanced-analytics.
func DefaultPlans() []Plan {
	var raws []json.RawMessage
	if err := json.Unmarshal([]byte(defaultCatalogue), &raws); err != nil {
		panic("guapocadotest: default catalogue: " + err.Error())
	}
	plans := make([]Plan, 0, len(raws))
	for _, raw := range raws {
		p, err := PlanFromJSON(raw)
		if err != nil {
			panic("guapocadotest: default catalogue: " + err.Error())
		}
		plans = append(plans, p)
	}
	return plans
}

// PlanFromJSON reads a plan in the platform's JSON shape
// ({id, key, name?, config:{pricing:{mode}, entitlements:{key: bool |
// {included, overage?:{allowed}, expansion?:{allowed}}}}, …}). The JSON is
// kept and served verbatim (compacted), unknown members included.
func PlanFromJSON(raw []byte) (Plan, error) {
	var doc struct {
		Key    string `json:"key"`
		Name   string `json:"name"`
		Config struct {
			Pricing struct {
				Mode string `json:"mode"`
			} `json:"pricing"`
			Entitlements map[string]json.RawMessage `json:"entitlements"`
		} `json:"config"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return Plan{}, fmt.Errorf("plan JSON: %w", err)
	}
	if doc.Key == "" {
		return Plan{}, errors.New("plan JSON: key is required")
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return Plan{}, fmt.Errorf("plan JSON: %w", err)
	}
	p := Plan{
		Key:        doc.Key,
		Name:       doc.Name,
		Mode:       doc.Config.Pricing.Mode,
		Features:   map[string]bool{},
		Allowances: map[string]Allowance{},
		JSON:       json.RawMessage(compact.Bytes()),
	}
	for key, ent := range doc.Config.Entitlements {
		var b bool
		if err := json.Unmarshal(ent, &b); err == nil {
			p.Features[key] = b
			continue
		}
		var a struct {
			Included  float64                `json:"included"`
			Overage   struct{ Allowed bool } `json:"overage"`
			Expansion struct{ Allowed bool } `json:"expansion"`
		}
		if err := json.Unmarshal(ent, &a); err != nil {
			return Plan{}, fmt.Errorf("plan %s: entitlement %s: %w", doc.Key, key, err)
		}
		p.Allowances[key] = Allowance{Included: a.Included, Overage: a.Overage.Allowed, Expansion: a.Expansion.Allowed}
	}
	return p, nil
}

// planDef is a catalogue entry ready for the ledger.
type planDef struct {
	key        string
	mode       string
	raw        json.RawMessage
	features   map[string]bool
	allowances map[string]Allowance
}

// compilePlan turns a Plan into a planDef, generating its JSON when none is given.
func compilePlan(p Plan) (*planDef, error) {
	if len(p.JSON) > 0 {
		parsed, err := PlanFromJSON(p.JSON)
		if err != nil {
			return nil, err
		}
		p = parsed
	}
	if p.Key == "" {
		return nil, errors.New("plan key is required")
	}
	mode := p.Mode
	if mode == "" {
		mode = "recurring"
	}
	d := &planDef{key: p.Key, mode: mode, features: map[string]bool{}, allowances: map[string]Allowance{}}
	for k, v := range p.Features {
		d.features[k] = v
	}
	for k, v := range p.Allowances {
		d.allowances[k] = v
	}
	if len(p.JSON) > 0 {
		d.raw = p.JSON
		return d, nil
	}
	keys := make([]string, 0, len(d.features)+len(d.allowances))
	for k := range d.features {
		keys = append(keys, k)
	}
	for k := range d.allowances {
		if _, dup := d.features[k]; dup {
			return nil, fmt.Errorf("plan %s: %s is both a feature and an allowance", p.Key, k)
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	ents := obj{}
	for _, k := range keys {
		if b, ok := d.features[k]; ok {
			ents = append(ents, kv{k, b})
			continue
		}
		a := d.allowances[k]
		e := obj{{"included", a.Included}}
		if a.Overage {
			e = append(e, kv{"overage", obj{{"allowed", true}}})
		}
		if a.Expansion {
			e = append(e, kv{"expansion", obj{{"allowed", true}}})
		}
		ents = append(ents, kv{k, e})
	}
	name := p.Name
	if name == "" {
		name = p.Key
	}
	raw, err := encodeJSON(obj{
		{"id", "prod_" + p.Key},
		{"key", p.Key},
		{"name", name},
		{"config", obj{{"pricing", obj{{"mode", mode}}}, {"entitlements", ents}}},
		{"stripeProductId", nil},
		{"stripePriceId", nil},
		{"createdAt", "2026-01-01T00:00:00.000Z"},
		{"updatedAt", "2026-01-01T00:00:00.000Z"},
	})
	if err != nil {
		return nil, err
	}
	d.raw = raw
	return d, nil
}
