package guapocado

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// A plan's JSON is decoded in one pass over one copy of it: Plan.Raw owns
// the copy, and the Raw of its config, pricing and entitlements are slices
// of it. Decoding each level with json.Unmarshal would validate and scan
// every nested level again and copy each one's bytes (a 100 KB catalogue
// cost 2.6 times a plain decode). Anything this decoder does not expect (an
// escaped key, a fractional number, a key that matches a field only when
// case is ignored, as encoding/json would accept) falls back to
// encoding/json, so the result is always what encoding/json would give.

// errSlowPath sends a plan to encoding/json.
var errSlowPath = errors.New("guapocado: plan decoded by encoding/json")

// decodePlanFast decodes raw (a copy the plan owns) into p.
func decodePlanFast(p *Plan, raw []byte) error {
	*p = Plan{Raw: raw}
	return eachMember(raw, func(key, v []byte) error {
		switch string(key) {
		case "id":
			return jsonString(v, &p.ID)
		case "key":
			return jsonString(v, &p.Key)
		case "name":
			return jsonString(v, &p.Name)
		case "stripeProductId":
			return jsonString(v, &p.StripeProductID)
		case "stripePriceId":
			return jsonString(v, &p.StripePriceID)
		case "createdAt":
			return jsonTime(v, &p.CreatedAt)
		case "updatedAt":
			return jsonTime(v, &p.UpdatedAt)
		case "config":
			return decodeConfigFast(&p.Config, v)
		}
		return unknownKey(key, "id", "key", "name", "stripeProductId", "stripePriceId", "createdAt", "updatedAt", "config")
	})
}

func decodeConfigFast(c *PlanConfig, v []byte) error {
	*c = PlanConfig{Raw: v} // as PlanConfig.UnmarshalJSON keeps even a null
	if isNull(v) {
		return nil
	}
	return eachMember(v, func(key, v []byte) error {
		switch string(key) {
		case "pricing":
			if isNull(v) {
				c.Pricing = nil
				return nil
			}
			pr := new(Pricing)
			type plain Pricing
			if err := json.Unmarshal(v, (*plain)(pr)); err != nil {
				return errSlowPath
			}
			pr.Raw = v
			c.Pricing = pr
			return nil
		case "entitlements":
			if isNull(v) {
				c.Entitlements = nil
				return nil
			}
			m := map[string]Entitlement{}
			if err := eachMember(v, func(k, ev []byte) error {
				var e Entitlement
				if err := decodeEntitlementFast(&e, ev); err != nil {
					return err
				}
				m[string(k)] = e
				return nil
			}); err != nil {
				return err
			}
			c.Entitlements = m
			return nil
		}
		return unknownKey(key, "pricing", "entitlements")
	})
}

func decodeEntitlementFast(e *Entitlement, v []byte) error {
	*e = Entitlement{Raw: v}
	switch {
	case bytes.Equal(v, []byte("true")):
		e.IsFeature, e.Enabled = true, true
		return nil
	case bytes.Equal(v, []byte("false")):
		e.IsFeature = true
		return nil
	case len(v) == 0 || v[0] != '{':
		return errSlowPath
	}
	return eachMember(v, func(key, v []byte) error {
		switch string(key) {
		case "included":
			return jsonInt(v, &e.Included)
		case "overage":
			return decodeTermsFast(&e.Overage, v)
		case "expansion":
			return decodeTermsFast(&e.Expansion, v)
		}
		return unknownKey(key, "included", "overage", "expansion")
	})
}

func decodeTermsFast(dst **EntitlementTerms, v []byte) error {
	if isNull(v) {
		*dst = nil
		return nil
	}
	t := new(EntitlementTerms)
	if err := eachMember(v, func(key, v []byte) error {
		switch string(key) {
		case "allowed":
			return jsonBool(v, &t.Allowed)
		case "unit":
			return jsonInt(v, &t.Unit)
		case "amount":
			return jsonInt(v, &t.Amount)
		case "currency":
			return jsonString(v, &t.Currency)
		}
		return unknownKey(key, "allowed", "unit", "amount", "currency")
	}); err != nil {
		return err
	}
	*dst = t
	return nil
}

// unknownKey accepts a key no field has, and sends one that matches a
// field only when case is ignored to encoding/json, which would take it.
func unknownKey(key []byte, fields ...string) error {
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return errSlowPath
		}
	}
	return nil
}

// eachMember calls fn with each key and value of the JSON object b (valid
// JSON: encoding/json checked it). A key with an escape, or b not an
// object, is errSlowPath. Values are slices of b, capped so that an append
// cannot write into b.
func eachMember(b []byte, fn func(key, v []byte) error) error {
	i := skipSpace(b, 0)
	if i >= len(b) || b[i] != '{' {
		return errSlowPath
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return errSlowPath
		}
		end := stringEnd(b, i)
		if end < 0 || bytes.IndexByte(b[i+1:end-1], '\\') >= 0 || !utf8.Valid(b[i+1:end-1]) {
			return errSlowPath // encoding/json unescapes, and replaces invalid UTF-8
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return errSlowPath
		}
		i = skipSpace(b, i+1)
		vend := valueEnd(b, i)
		if vend < 0 {
			return errSlowPath
		}
		if err := fn(key, b[i:vend:vend]); err != nil {
			return err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return errSlowPath
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return nil
		default:
			return errSlowPath
		}
	}
	return errSlowPath
}

func skipSpace(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index after the string starting at b[i] ('"'), or -1.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// valueEnd returns the index after the JSON value starting at b[i], or -1.
func valueEnd(b []byte, i int) int {
	if i >= len(b) {
		return -1
	}
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				e := stringEnd(b, j)
				if e < 0 {
					return -1
				}
				j = e - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return -1
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && b[j] != ' ' && b[j] != '\t' && b[j] != '\n' && b[j] != '\r' {
		j++
	}
	return j
}

func isNull(v []byte) bool { return bytes.Equal(v, []byte("null")) }

// jsonString reads a string without escapes (others go to encoding/json);
// null leaves dst unchanged, as encoding/json does.
func jsonString(v []byte, dst *string) error {
	if isNull(v) {
		return nil
	}
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 || !utf8.Valid(v) {
		return errSlowPath
	}
	*dst = string(v[1 : len(v)-1])
	return nil
}

func jsonInt(v []byte, dst *int64) error {
	if isNull(v) {
		return nil
	}
	n, err := strconv.ParseInt(string(v), 10, 64) // no allocation: the conversion does not escape
	if err != nil {
		return errSlowPath
	}
	*dst = n
	return nil
}

func jsonBool(v []byte, dst *bool) error {
	switch {
	case bytes.Equal(v, []byte("true")):
		*dst = true
	case bytes.Equal(v, []byte("false")):
		*dst = false
	case isNull(v):
	default:
		return errSlowPath
	}
	return nil
}

func jsonTime(v []byte, dst **time.Time) error {
	if isNull(v) {
		*dst = nil
		return nil
	}
	t := new(time.Time)
	if err := t.UnmarshalJSON(v); err != nil {
		return errSlowPath
	}
	*dst = t
	return nil
}
