package billingconfig

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParseUpstreamExample(t *testing.T) {
	cfg, err := Load("testdata/better-auth-app.json")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 1 || len(cfg.Entitlements) != 3 || len(cfg.Products) != 2 {
		t.Fatalf("got version %d, %d entitlements, %d products", cfg.Version, len(cfg.Entitlements), len(cfg.Products))
	}
	if e := cfg.Entitlements["api-calls"]; e.Type != KindMeter || e.Reset != ResetMonthly {
		t.Errorf("api-calls = %+v", e)
	}
	free, pro := cfg.Products[0], cfg.Products[1]
	if free.Key != "free" || free.Pricing != nil || free.Mode() != PricingRecurring {
		t.Errorf("free = %+v", free)
	}
	if free.Entitlements["advanced-analytics"].Enabled || free.Entitlements["api-calls"].Included != 1000 {
		t.Errorf("free entitlements = %+v", free.Entitlements)
	}
	if pro.Pricing == nil || *pro.Pricing.Amount != 4900 || pro.Pricing.Frequency != "month" || pro.Pricing.Currency != "usd" {
		t.Errorf("pro pricing = %+v", pro.Pricing)
	}
	seats := pro.Entitlements["seats"]
	if seats.Included != 10 || seats.Expansion == nil || !seats.Expansion.Allowed || seats.Expansion.Amount != 1200 {
		t.Errorf("pro seats = %+v", seats)
	}
	calls := pro.Entitlements["api-calls"]
	if calls.Overage == nil || calls.Overage.Unit != 10000 || calls.Overage.Amount != 500 {
		t.Errorf("pro api-calls = %+v", calls)
	}
}

// Each class of mistake is refused with its place in the file and what is
// expected, and every problem of a file is reported at once.
func TestParseRefusesWithPreciseErrors(t *testing.T) {
	const ents = `"entitlements":{"f":{"type":"feature"},"m":{"type":"meter"},"l":{"type":"limit"}}`
	cases := []struct {
		name, json, want string
	}{
		{"unsupported version", `{"version":2,` + ents + `,"products":[]}`,
			`version: unsupported version 2 (this SDK reads version 1)`},
		{"missing version", `{` + ents + `,"products":[]}`, `version: missing`},
		{"fractional version", `{"version":1.5,` + ents + `,"products":[]}`, `version: must be a whole number, found 1.5`},
		{"unknown type", `{"version":1,"entitlements":{"x":{"type":"gauge"}},"products":[]}`,
			`entitlements.x.type: unknown type "gauge" (want feature, meter or limit)`},
		{"missing type", `{"version":1,"entitlements":{"x":{}},"products":[]}`, `entitlements.x.type: missing`},
		{"reset on a limit", `{"version":1,"entitlements":{"l":{"type":"limit","reset":"monthly"}},"products":[]}`,
			`entitlements.l.reset: only a meter resets; l is a limit`},
		{"undefined entitlement", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"nope":true}}]}`,
			`products[0].entitlements.nope: no entitlement "nope" is defined`},
		{"feature given a quantity", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"f":{"included":3}}}]}`,
			`products[0].entitlements.f: f is a feature: its value is true or false, found an object`},
		{"meter given a boolean", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"m":true}}]}`,
			`products[0].entitlements.m: m is a meter: its value is an object {"included": n}, found a boolean`},
		{"meter with expansion", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"m":{"included":1,"expansion":{"allowed":true,"unit":1,"amount":1,"currency":"usd"}}}}]}`,
			`products[0].entitlements.m.expansion: m is a meter: a meter has overage, not expansion`},
		{"limit with overage", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"l":{"included":1,"overage":{"allowed":true,"unit":1,"amount":1,"currency":"usd"}}}}]}`,
			`products[0].entitlements.l.overage: l is a limit: a limit has expansion, not overage`},
		{"fractional included", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"m":{"included":2.5}}}]}`,
			`products[0].entitlements.m.included: must be a whole number, found 2.5`},
		{"terms without currency", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"m":{"included":1,"overage":{"allowed":true,"unit":1,"amount":1}}}}]}`,
			`products[0].entitlements.m.overage.currency: missing`},
		{"duplicate product key", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{}},{"key":"p","entitlements":{}}]}`,
			`products[1].key: duplicate product key "p" (also products[0])`},
		{"duplicate entitlement key", `{"version":1,"entitlements":{"f":{"type":"feature"},"f":{"type":"meter"}},"products":[]}`,
			`entitlements.f: duplicate key "f" (JSON keeps only one of them)`},
		{"duplicate value key", `{"version":1,` + ents + `,"products":[{"key":"p","entitlements":{"f":true,"f":false}}]}`,
			`products[0].entitlements.f: duplicate key "f"`},
		{"recurring without frequency", `{"version":1,` + ents + `,"products":[{"key":"p","pricing":{"mode":"recurring","type":"flat","amount":1,"currency":"usd"},"entitlements":{}}]}`,
			`products[0].pricing.frequency: missing (recurring pricing needs month or year)`},
		{"custom with an amount", `{"version":1,` + ents + `,"products":[{"key":"p","pricing":{"mode":"custom","amount":5},"entitlements":{}}]}`,
			`products[0].pricing: a custom tier has no amount, frequency or interval`},
		{"bad currency", `{"version":1,` + ents + `,"products":[{"key":"p","pricing":{"mode":"one_time","type":"flat","amount":1,"currency":"USD"},"entitlements":{}}]}`,
			`products[0].pricing.currency: "USD" is not a lowercase ISO 4217 code`},
		{"not JSON", `{"version":1,`, `not valid JSON`},
		{"products not an array", `{"version":1,` + ents + `,"products":{}}`, `products: must be an array, found an object`},
		{"unknown top-level member", `{"version":1,` + ents + `,"products":[],"plans":[]}`, `plans: unknown member`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := Parse([]byte(c.json))
			var ve *ValidationError
			if !errors.As(err, &ve) {
				t.Fatalf("Parse = %+v, %v; want a *ValidationError", cfg, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n%v\nwant it to contain:\n%s", err, c.want)
			}
		})
	}
}

func TestParseReportsEveryProblem(t *testing.T) {
	_, err := Parse([]byte(`{"version":3,"entitlements":{"x":{"type":"gauge"}},"products":[{"key":"","entitlements":{"y":true}}]}`))
	var ve *ValidationError
	if !errors.As(err, &ve) {
		t.Fatal(err)
	}
	if len(ve.Problems) != 4 {
		t.Fatalf("%d problems, want 4 (version, type, empty key, undefined y):\n%v", len(ve.Problems), err)
	}
}

func TestLoadNamesTheFile(t *testing.T) {
	path := t.TempDir() + "/billing.json"
	if err := os.WriteFile(path, []byte(`{"version":9,"entitlements":{},"products":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), path+": version: unsupported version 9") {
		t.Fatalf("Load: %v", err)
	}
}

func TestGoNames(t *testing.T) {
	for key, want := range map[string]string{
		"api-calls":          "MeterAPICalls",
		"advanced_analytics": "MeterAdvancedAnalytics",
		"ai.credits":         "MeterAICredits",
		"2fa":                "Meter2fa",
		"user-id":            "MeterUserID",
	} {
		if got, err := goName("Meter", key); err != nil || got != want {
			t.Errorf("goName(%q) = %q, %v; want %q", key, got, err, want)
		}
	}
	if _, err := goName("Meter", "--"); err == nil {
		t.Error("goName(--) made a name")
	}
}
