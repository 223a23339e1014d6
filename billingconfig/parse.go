package billingconfig

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
)

// member is one member of a JSON object, in the order of the file.
type member struct {
	key   string
	value json.RawMessage
}

// parser collects every problem of a config instead of stopping at the
// first.
type parser struct {
	problems []Problem
}

func (p *parser) fail(path, format string, args ...any) {
	p.problems = append(p.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// object reads raw as a JSON object, refusing anything else and duplicate
// keys (encoding/json would keep the last one in silence).
func (p *parser) object(path string, raw json.RawMessage) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		p.fail(path, "not valid JSON: %v", err)
		return nil, false
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		p.fail(path, "must be an object, found %s", jsonKind(raw))
		return nil, false
	}
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			p.fail(path, "not valid JSON: %v", err)
			return nil, false
		}
		key := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			p.fail(join(path, key), "not valid JSON: %v", err)
			return nil, false
		}
		if seen[key] {
			p.fail(join(path, key), "duplicate key %q (JSON keeps only one of them)", key)
			continue
		}
		seen[key] = true
		members = append(members, member{key, v})
	}
	if _, err := dec.Token(); err != nil {
		p.fail(path, "not valid JSON: %v", err)
		return nil, false
	}
	return members, true
}

func (p *parser) config(b []byte) *Config {
	if !json.Valid(b) {
		var v any
		err := json.Unmarshal(b, &v)
		p.fail("", "not valid JSON: %v", err)
		return nil
	}
	top, ok := p.object("", bytes.TrimSpace(b))
	if !ok {
		return nil
	}
	cfg := &Config{Entitlements: map[string]Entitlement{}}
	var ents, prods json.RawMessage
	for _, m := range top {
		switch m.key {
		case "version":
			cfg.Version = p.version(m.value)
		case "entitlements":
			ents = m.value
		case "products":
			prods = m.value
		case "$schema", "webhooks", "checkout", "generate", "metadata":
			// Read by other tools; nothing here depends on them.
		default:
			p.fail(m.key, "unknown member (a canonical billing config has version, entitlements, products, webhooks, checkout, generate, metadata and $schema)")
		}
	}
	if cfg.Version == 0 && !hasMember(top, "version") {
		p.fail("version", "missing (this SDK reads version %d)", SchemaVersion)
	}
	if ents == nil {
		p.fail("entitlements", "missing")
	} else {
		p.entitlements(cfg, ents)
	}
	if prods == nil {
		p.fail("products", "missing")
	} else {
		p.products(cfg, prods)
	}
	return cfg
}

func (p *parser) version(raw json.RawMessage) int {
	n, ok := p.integer("version", raw)
	if !ok {
		return 0
	}
	if n != SchemaVersion {
		p.fail("version", "unsupported version %d (this SDK reads version %d)", n, SchemaVersion)
		return 0
	}
	return int(n)
}

func (p *parser) entitlements(cfg *Config, raw json.RawMessage) {
	members, ok := p.object("entitlements", raw)
	if !ok {
		return
	}
	for _, m := range members {
		path := join("entitlements", m.key)
		if m.key == "" {
			p.fail("entitlements", "an entitlement key must not be empty")
			continue
		}
		fields, ok := p.object(path, m.value)
		if !ok {
			continue
		}
		var def Entitlement
		for _, f := range fields {
			switch f.key {
			case "type":
				s, ok := p.str(join(path, "type"), f.value)
				if !ok {
					continue
				}
				switch Kind(s) {
				case KindFeature, KindMeter, KindLimit:
					def.Type = Kind(s)
				default:
					p.fail(join(path, "type"), "unknown type %q (want feature, meter or limit)", s)
				}
			case "reset":
				s, ok := p.str(join(path, "reset"), f.value)
				if !ok {
					continue
				}
				switch Reset(s) {
				case ResetDaily, ResetWeekly, ResetMonthly:
					def.Reset = Reset(s)
				default:
					p.fail(join(path, "reset"), "unknown reset %q (want daily, weekly or monthly)", s)
				}
			case "metadata":
				if _, ok := p.object(join(path, "metadata"), f.value); ok {
					def.Metadata = compact(f.value)
				}
			default:
				p.fail(join(path, f.key), "unknown member (an entitlement has type, reset and metadata)")
			}
		}
		if !hasMember(fields, "type") {
			p.fail(join(path, "type"), "missing (want feature, meter or limit)")
			continue
		}
		if def.Type == "" {
			continue // its type was refused above
		}
		if def.Reset != "" && def.Type != KindMeter {
			p.fail(join(path, "reset"), "only a meter resets; %s is a %s", m.key, def.Type)
		}
		cfg.Entitlements[m.key] = def
	}
}

func (p *parser) products(cfg *Config, raw json.RawMessage) {
	var items []json.RawMessage
	if err := json.Unmarshal(raw, &items); err != nil {
		p.fail("products", "must be an array, found %s", jsonKind(raw))
		return
	}
	first := map[string]int{}
	for i, item := range items {
		path := fmt.Sprintf("products[%d]", i)
		fields, ok := p.object(path, item)
		if !ok {
			continue
		}
		prod := Product{Entitlements: map[string]Value{}}
		var ents json.RawMessage
		for _, f := range fields {
			fp := path + "." + f.key
			switch f.key {
			case "key":
				prod.Key, _ = p.str(fp, f.value)
			case "name":
				prod.Name, _ = p.str(fp, f.value)
			case "pricing":
				prod.Pricing = p.pricing(fp, f.value)
			case "entitlements":
				ents = f.value
			case "metadata":
				if _, ok := p.object(fp, f.value); ok {
					prod.Metadata = compact(f.value)
				}
			default:
				p.fail(fp, "unknown member (a product has key, name, pricing, entitlements and metadata)")
			}
		}
		switch {
		case !hasMember(fields, "key"):
			p.fail(path+".key", "missing")
		case prod.Key == "":
			p.fail(path+".key", "must not be empty")
		default:
			if j, dup := first[prod.Key]; dup {
				p.fail(path+".key", "duplicate product key %q (also products[%d])", prod.Key, j)
			} else {
				first[prod.Key] = i
			}
		}
		if ents == nil {
			p.fail(path+".entitlements", "missing")
		} else {
			p.values(cfg, &prod, path+".entitlements", ents)
		}
		cfg.Products = append(cfg.Products, prod)
	}
}

func (p *parser) pricing(path string, raw json.RawMessage) *Pricing {
	fields, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	pr := &Pricing{}
	var interval string
	for _, f := range fields {
		fp := path + "." + f.key
		switch f.key {
		case "mode":
			s, ok := p.str(fp, f.value)
			if !ok {
				continue
			}
			switch PricingMode(s) {
			case PricingRecurring, PricingOneTime, PricingCustom:
				pr.Mode = PricingMode(s)
			default:
				p.fail(fp, "unknown mode %q (want recurring, one_time or custom)", s)
			}
		case "type":
			s, ok := p.str(fp, f.value)
			if !ok {
				continue
			}
			switch s {
			case "flat", "per_seat", "usage":
				pr.Type = s
			default:
				p.fail(fp, "unknown type %q (want flat, per_seat or usage)", s)
			}
		case "amount":
			if n, ok := p.integer(fp, f.value); ok {
				if n < 0 {
					p.fail(fp, "must not be negative")
				}
				pr.Amount = &n
			}
		case "currency":
			pr.Currency = p.currency(fp, f.value)
		case "frequency", "interval":
			s, ok := p.str(fp, f.value)
			if !ok {
				continue
			}
			if s != "month" && s != "year" {
				p.fail(fp, "unknown %s %q (want month or year)", f.key, s)
				continue
			}
			if f.key == "interval" {
				interval = s
			} else {
				pr.Frequency = s
			}
		case "contact":
			pr.Contact, _ = p.str(fp, f.value)
		default:
			p.fail(fp, "unknown member (pricing has mode, type, amount, currency, frequency and contact)")
		}
	}
	if pr.Frequency == "" {
		pr.Frequency = interval
	} else if interval != "" && interval != pr.Frequency {
		p.fail(path+".interval", "%q disagrees with frequency %q (interval is the old name of frequency)", interval, pr.Frequency)
	}
	if pr.Mode == "" && !hasMember(fields, "mode") {
		pr.Mode = PricingRecurring
	}
	switch pr.Mode {
	case PricingCustom:
		if pr.Amount != nil || pr.Frequency != "" {
			p.fail(path, "a custom tier has no amount, frequency or interval")
		}
	case PricingOneTime:
		if pr.Type == "" {
			p.fail(path+".type", "missing (one-time pricing needs flat, per_seat or usage)")
		}
		if pr.Frequency != "" {
			p.fail(path+".frequency", "not allowed for one-time pricing")
		}
	case PricingRecurring:
		if pr.Type == "" {
			p.fail(path+".type", "missing (recurring pricing needs flat, per_seat or usage)")
		}
		if pr.Frequency == "" {
			p.fail(path+".frequency", "missing (recurring pricing needs month or year)")
		}
	}
	return pr
}

// values reads a product's entitlement values, each checked against its
// definition's kind.
func (p *parser) values(cfg *Config, prod *Product, path string, raw json.RawMessage) {
	members, ok := p.object(path, raw)
	if !ok {
		return
	}
	for _, m := range members {
		vp := join(path, m.key)
		def, defined := cfg.Entitlements[m.key]
		if !defined {
			p.fail(vp, "no entitlement %q is defined (define it under entitlements)", m.key)
			continue
		}
		var v Value
		switch def.Type {
		case KindFeature:
			if err := json.Unmarshal(m.value, &v.Enabled); err != nil || !isBool(m.value) {
				p.fail(vp, "%s is a feature: its value is true or false, found %s", m.key, jsonKind(m.value))
				continue
			}
		case KindMeter, KindLimit:
			fields, ok := p.object(vp, m.value)
			if !ok {
				if isBool(m.value) {
					p.problems[len(p.problems)-1].Message = fmt.Sprintf("%s is a %s: its value is an object {\"included\": n}, found a boolean", m.key, def.Type)
				}
				continue
			}
			for _, f := range fields {
				fp := vp + "." + f.key
				switch f.key {
				case "included":
					if n, ok := p.integer(fp, f.value); ok {
						if n < 0 {
							p.fail(fp, "must not be negative")
						}
						v.Included = n
					}
				case "overage":
					if def.Type != KindMeter {
						p.fail(fp, "%s is a limit: a limit has expansion, not overage", m.key)
						continue
					}
					v.Overage = p.terms(fp, f.value)
				case "expansion":
					if def.Type != KindLimit {
						p.fail(fp, "%s is a meter: a meter has overage, not expansion", m.key)
						continue
					}
					v.Expansion = p.terms(fp, f.value)
				default:
					p.fail(fp, "unknown member (a %s's value has included and %s)", def.Type, map[Kind]string{KindMeter: "overage", KindLimit: "expansion"}[def.Type])
				}
			}
			if !hasMember(fields, "included") {
				p.fail(vp+".included", "missing")
			}
		}
		prod.Entitlements[m.key] = v
	}
}

func (p *parser) terms(path string, raw json.RawMessage) *Terms {
	fields, ok := p.object(path, raw)
	if !ok {
		return nil
	}
	t := &Terms{}
	for _, f := range fields {
		fp := path + "." + f.key
		switch f.key {
		case "allowed":
			if !isBool(f.value) {
				p.fail(fp, "must be true or false, found %s", jsonKind(f.value))
				continue
			}
			_ = json.Unmarshal(f.value, &t.Allowed)
		case "unit":
			if n, ok := p.integer(fp, f.value); ok {
				if n <= 0 {
					p.fail(fp, "must be more than 0")
				}
				t.Unit = n
			}
		case "amount":
			if n, ok := p.integer(fp, f.value); ok {
				if n < 0 {
					p.fail(fp, "must not be negative")
				}
				t.Amount = n
			}
		case "currency":
			t.Currency = p.currency(fp, f.value)
		default:
			p.fail(fp, "unknown member (terms have allowed, unit, amount and currency)")
		}
	}
	for _, req := range []string{"allowed", "unit", "amount", "currency"} {
		if !hasMember(fields, req) {
			p.fail(path+"."+req, "missing")
		}
	}
	return t
}

func (p *parser) currency(path string, raw json.RawMessage) string {
	s, ok := p.str(path, raw)
	if ok && !isCurrencyCode(s) {
		p.fail(path, "%q is not a lowercase ISO 4217 code such as \"usd\"", s)
	}
	return s
}

func (p *parser) str(path string, raw json.RawMessage) (string, bool) {
	var s string
	if len(raw) == 0 || raw[0] != '"' || json.Unmarshal(raw, &s) != nil {
		p.fail(path, "must be a string, found %s", jsonKind(raw))
		return "", false
	}
	return s, true
}

// integer reads a whole number (1000, 1e3); a fraction is refused, since
// amounts and quantities are whole units.
func (p *parser) integer(path string, raw json.RawMessage) (int64, bool) {
	if jsonKind(raw) != "a number" {
		p.fail(path, "must be a whole number, found %s", jsonKind(raw))
		return 0, false
	}
	if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
		p.fail(path, "must be a whole number, found %s", raw)
		return 0, false
	}
	return int64(f), true
}

func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "nothing"
	}
	switch raw[0] {
	case '{':
		return "an object"
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	default:
		return "a number"
	}
}

func isBool(raw json.RawMessage) bool {
	s := string(bytes.TrimSpace(raw))
	return s == "true" || s == "false"
}

func hasMember(ms []member, key string) bool {
	for _, m := range ms {
		if m.key == key {
			return true
		}
	}
	return false
}

func compact(raw json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return raw
	}
	return b.Bytes()
}

// join makes a path: keys that are plain names are joined with a dot,
// others are quoted.
func join(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '-' || r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			plain = false
			break
		}
	}
	if !plain {
		key = strconv.Quote(key)
		return path + "[" + key + "]"
	}
	if path == "" {
		return key
	}
	return path + "." + key
}

// isCurrencyCode reports whether s is three lowercase letters.
func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if s[i] < 'a' || s[i] > 'z' {
			return false
		}
	}
	return true
}
