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
	end, err := eachMember(raw, skipSpace(raw, 0), func(key []byte, i int) (int, error) {
		switch string(key) {
		case "id":
			return jsonString(raw, i, &p.ID)
		case "key":
			return jsonString(raw, i, &p.Key)
		case "name":
			return jsonString(raw, i, &p.Name)
		case "stripeProductId":
			return jsonString(raw, i, &p.StripeProductID)
		case "stripePriceId":
			return jsonString(raw, i, &p.StripePriceID)
		case "createdAt":
			return jsonTime(raw, i, &p.CreatedAt)
		case "updatedAt":
			return jsonTime(raw, i, &p.UpdatedAt)
		case "config":
			return decodeConfigFast(&p.Config, raw, i)
		}
		return skipUnknown(raw, i, key, "id", "key", "name", "stripeProductId", "stripePriceId", "createdAt", "updatedAt", "config")
	})
	if err != nil {
		return err
	}
	if skipSpace(raw, end) != len(raw) {
		return errSlowPath
	}
	return nil
}

// decodeConfigFast decodes the config at b[i] and returns the index after it.
func decodeConfigFast(c *PlanConfig, b []byte, i int) (int, error) {
	if isNullAt(b, i) {
		*c = PlanConfig{Raw: b[i : i+4 : i+4]} // as PlanConfig.UnmarshalJSON keeps even a null
		return i + 4, nil
	}
	*c = PlanConfig{}
	end, err := eachMember(b, i, func(key []byte, i int) (int, error) {
		switch string(key) {
		case "pricing":
			end := valueEnd(b, i)
			if end < 0 {
				return 0, errSlowPath
			}
			if isNullAt(b, i) {
				c.Pricing = nil
				return end, nil
			}
			pr := new(Pricing)
			type plain Pricing
			if err := json.Unmarshal(b[i:end], (*plain)(pr)); err != nil {
				return 0, errSlowPath
			}
			pr.Raw = b[i:end:end]
			c.Pricing = pr
			return end, nil
		case "entitlements":
			if c.Entitlements != nil {
				return 0, errSlowPath // a repeated key: encoding/json merges into the map
			}
			if isNullAt(b, i) {
				c.Entitlements = nil
				return i + 4, nil
			}
			m := make(map[string]Entitlement, countMembers(b, i)) // sized once: the values are large
			end, err := eachMember(b, i, func(k []byte, i int) (int, error) {
				var e Entitlement
				end, err := decodeEntitlementFast(&e, b, i)
				m[string(k)] = e
				return end, err
			})
			c.Entitlements = m
			return end, err
		}
		return skipUnknown(b, i, key, "pricing", "entitlements")
	})
	if err == nil {
		c.Raw = b[i:end:end]
	}
	return end, err
}

// decodeEntitlementFast decodes the entitlement at b[i] and returns the
// index after it.
func decodeEntitlementFast(e *Entitlement, b []byte, i int) (int, error) {
	switch {
	case bytes.HasPrefix(b[i:], []byte("true")):
		*e = Entitlement{IsFeature: true, Enabled: true, Raw: b[i : i+4 : i+4]}
		return i + 4, nil
	case bytes.HasPrefix(b[i:], []byte("false")):
		*e = Entitlement{IsFeature: true, Raw: b[i : i+5 : i+5]}
		return i + 5, nil
	case b[i] != '{':
		return 0, errSlowPath
	}
	*e = Entitlement{}
	end, err := eachMember(b, i, func(key []byte, i int) (int, error) {
		switch string(key) {
		case "included":
			return jsonInt(b, i, &e.Included)
		case "overage":
			return decodeTermsFast(&e.Overage, b, i)
		case "expansion":
			return decodeTermsFast(&e.Expansion, b, i)
		}
		return skipUnknown(b, i, key, "included", "overage", "expansion")
	})
	if err != nil {
		return 0, err
	}
	e.Raw = b[i:end:end]
	return end, nil
}

func decodeTermsFast(dst **EntitlementTerms, b []byte, i int) (int, error) {
	if *dst != nil {
		return 0, errSlowPath // a repeated key: encoding/json merges into the terms
	}
	if isNullAt(b, i) {
		*dst = nil
		return i + 4, nil
	}
	t := new(EntitlementTerms)
	end, err := eachMember(b, i, func(key []byte, i int) (int, error) {
		switch string(key) {
		case "allowed":
			return jsonBool(b, i, &t.Allowed)
		case "unit":
			return jsonInt(b, i, &t.Unit)
		case "amount":
			return jsonInt(b, i, &t.Amount)
		case "currency":
			return jsonString(b, i, &t.Currency)
		}
		return skipUnknown(b, i, key, "allowed", "unit", "amount", "currency")
	})
	*dst = t
	return end, err
}

// skipUnknown passes over the value at b[i] of a key no field has, and
// sends a key that matches a field only when case is ignored to
// encoding/json, which would take it.
func skipUnknown(b []byte, i int, key []byte, fields ...string) (int, error) {
	for _, f := range fields {
		if strings.EqualFold(string(key), f) {
			return 0, errSlowPath
		}
	}
	end := valueEnd(b, i)
	if end < 0 {
		return 0, errSlowPath
	}
	return end, nil
}

// eachMember walks the JSON object at b[i] (valid JSON: encoding/json
// checked it): fn gets each key and the index of its value, and returns the
// index after the value. eachMember returns the index after the object. A
// key with an escape or invalid UTF-8, or anything but an object, is
// errSlowPath.
func eachMember(b []byte, i int, fn func(key []byte, i int) (int, error)) (int, error) {
	if i >= len(b) || b[i] != '{' {
		return 0, errSlowPath
	}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == '}' {
		return i + 1, nil
	}
	for i < len(b) {
		if b[i] != '"' {
			return 0, errSlowPath
		}
		end := stringEnd(b, i)
		if end < 0 || bytes.IndexByte(b[i+1:end-1], '\\') >= 0 || !utf8.Valid(b[i+1:end-1]) {
			return 0, errSlowPath // encoding/json unescapes, and replaces invalid UTF-8
		}
		key := b[i+1 : end-1]
		i = skipSpace(b, end)
		if i >= len(b) || b[i] != ':' {
			return 0, errSlowPath
		}
		i = skipSpace(b, i+1)
		if i >= len(b) {
			return 0, errSlowPath
		}
		vend, err := fn(key, i)
		if err != nil {
			return 0, err
		}
		i = skipSpace(b, vend)
		if i >= len(b) {
			return 0, errSlowPath
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case '}':
			return i + 1, nil
		default:
			return 0, errSlowPath
		}
	}
	return 0, errSlowPath
}

// countMembers counts the members of the JSON object at b[i] (0 when it
// is not one).
func countMembers(b []byte, i int) int {
	n := 0
	_, _ = eachMember(b, i, func(_ []byte, i int) (int, error) {
		n++
		end := valueEnd(b, i)
		if end < 0 {
			return 0, errSlowPath
		}
		return end, nil
	})
	return n
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

func isNullAt(b []byte, i int) bool { return bytes.HasPrefix(b[i:], []byte("null")) }

// leaf is the literal, number or string value at b[i] and the index after it.
func leaf(b []byte, i int) ([]byte, int, error) {
	end := valueEnd(b, i)
	if end < 0 {
		return nil, 0, errSlowPath
	}
	return b[i:end], end, nil
}

// jsonString reads a string without escapes (others go to encoding/json);
// null leaves dst unchanged, as encoding/json does.
func jsonString(b []byte, i int, dst *string) (int, error) {
	v, end, err := leaf(b, i)
	if err != nil || isNull(v) {
		return end, err
	}
	if len(v) < 2 || v[0] != '"' || bytes.IndexByte(v, '\\') >= 0 || !utf8.Valid(v) {
		return 0, errSlowPath
	}
	*dst = string(v[1 : len(v)-1])
	return end, nil
}

func jsonInt(b []byte, i int, dst *int64) (int, error) {
	v, end, err := leaf(b, i)
	if err != nil || isNull(v) {
		return end, err
	}
	n, perr := strconv.ParseInt(string(v), 10, 64) // no allocation: the conversion does not escape
	if perr != nil {
		return 0, errSlowPath
	}
	*dst = n
	return end, nil
}

func jsonBool(b []byte, i int, dst *bool) (int, error) {
	v, end, err := leaf(b, i)
	if err != nil {
		return 0, err
	}
	switch {
	case bytes.Equal(v, []byte("true")):
		*dst = true
	case bytes.Equal(v, []byte("false")):
		*dst = false
	case isNull(v):
	default:
		return 0, errSlowPath
	}
	return end, nil
}

func jsonTime(b []byte, i int, dst **time.Time) (int, error) {
	v, end, err := leaf(b, i)
	if err != nil {
		return 0, err
	}
	if isNull(v) {
		*dst = nil
		return end, nil
	}
	t := new(time.Time)
	if err := t.UnmarshalJSON(v); err != nil {
		return 0, errSlowPath
	}
	*dst = t
	return end, nil
}

// planList is a JSON array of plans decoded in one pass whose Raw fields
// are slices of the bytes decoded, not copies. It is only for answers that
// own their body (bodyOwner: send decodes them from a buffer of their own);
// a Plan decoded anywhere else copies its JSON.
type planList []Plan

func (l *planList) UnmarshalJSON(b []byte) error {
	plans, end, err := decodePlanArray(b, skipSpace(b, 0))
	if err == nil && skipSpace(b, end) != len(b) {
		err = errSlowPath
	}
	if err == errSlowPath {
		var slow []Plan
		if err := json.Unmarshal(b, &slow); err != nil {
			return err
		}
		plans, err = slow, nil
	}
	if err != nil {
		return err
	}
	*l = plans
	return nil
}

// decodePlanArray decodes the array of plans (or null) at b[i], whose Raw
// are capped slices of b, and returns the index after it. A plan the fast
// path does not take is decoded by encoding/json (with a copy).
func decodePlanArray(b []byte, i int) ([]Plan, int, error) {
	if i >= len(b) {
		return nil, 0, errSlowPath
	}
	if isNullAt(b, i) {
		return nil, i + 4, nil
	}
	if b[i] != '[' {
		return nil, 0, errSlowPath
	}
	out := []Plan{}
	i = skipSpace(b, i+1)
	if i < len(b) && b[i] == ']' {
		return out, i + 1, nil
	}
	for i < len(b) {
		end := valueEnd(b, i)
		if end < 0 {
			return nil, 0, errSlowPath
		}
		var p Plan
		if decodePlanFast(&p, b[i:end:end]) != nil {
			if err := p.UnmarshalJSON(b[i:end]); err != nil {
				return nil, 0, err
			}
		}
		out = append(out, p)
		i = skipSpace(b, end)
		if i >= len(b) {
			return nil, 0, errSlowPath
		}
		switch b[i] {
		case ',':
			i = skipSpace(b, i+1)
		case ']':
			return out, i + 1, nil
		default:
			return nil, 0, errSlowPath
		}
	}
	return nil, 0, errSlowPath
}

// plansAnswer is Plans.List's answer, decoded from a body of its own.
type plansAnswer struct {
	Plans planList `json:"plans"`
}

func (a *plansAnswer) ownsBody() {}

// decodeBody decodes the whole answer in one pass after validating it,
// without encoding/json's own pass over the plans.
func (a *plansAnswer) decodeBody(data []byte) error {
	if !json.Valid(data) {
		return json.Unmarshal(data, a) // its error
	}
	*a = plansAnswer{}
	end, err := eachMember(data, skipSpace(data, 0), func(key []byte, i int) (int, error) {
		if string(key) != "plans" {
			return skipUnknown(data, i, key, "plans")
		}
		if a.Plans != nil {
			return 0, errSlowPath // a repeated key
		}
		plans, end, err := decodePlanArray(data, i)
		a.Plans = plans
		return end, err
	})
	if err == nil && skipSpace(data, end) != len(data) {
		err = errSlowPath
	}
	if err == errSlowPath {
		*a = plansAnswer{}
		return json.Unmarshal(data, a)
	}
	return err
}

// snapshotAnswer is Snapshot's answer, decoded from a body of its own.
type snapshotAnswer struct {
	Snapshot
	Plans planList `json:"plans"`
}

func (*snapshotAnswer) ownsBody() {}
