package guapocadotest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"strconv"
	"strings"
)

// parseBody applies better-call's body rules: without a Content-Type the body
// is ignored; application/json (any case, any parameters) is parsed; any
// other type is refused with 415. An empty JSON body counts as absent.
func parseBody(r *http.Request, raw []byte) (body any, present bool, fail *response) {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil, false, nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil, false, nil
	}
	mediaType := strings.ToLower(strings.TrimSpace(strings.SplitN(ct, ";", 2)[0]))
	if mediaType != "application/json" {
		resp := errorResponse(http.StatusUnsupportedMediaType,
			fmt.Sprintf("Content-Type %q is not allowed. Allowed types: application/json", ct),
			"UNSUPPORTED_MEDIA_TYPE")
		return nil, false, &resp
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, false, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&body); err != nil || dec.More() || !json.Valid(raw) {
		resp := errorResponse(http.StatusBadRequest, "Invalid JSON in request body", "BAD_REQUEST")
		return nil, false, &resp
	}
	return body, true, nil
}

// kind is the JSON type a schema field expects.
type kind int

const (
	kString       kind = iota // z.string()
	kStringOrNull             // z.string().nullable()
	kNumber                   // z.number()
	kBool                     // z.boolean()
	kStringList               // z.array(z.string())
)

// field is one member of an object schema, checked in declaration order.
type field struct {
	name     string
	kind     kind
	optional bool
	min1     bool // strings (or list items) must not be empty
	integer  bool // .int()
	positive bool // .positive()
	nonneg   bool // .nonnegative()
	email    bool // z.email() (zod 4)
}

// schema is an object body schema. zod4 selects Better Auth's own message
// style; the Guapocado plugin validates with zod 3.
type schema struct {
	fields       []field
	optionalBody bool
	zod4         bool
}

// jsonType names the type of a decoded JSON value the way zod reports it.
func jsonType(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case json.Number, float64:
		return "number"
	case bool:
		return "boolean"
	case []any:
		return "array"
	default:
		return "object"
	}
}

func (sc *schema) required(want string) string {
	if sc.zod4 {
		return "Invalid input: expected " + want + ", received undefined"
	}
	return "Required"
}

func (sc *schema) expected(want, got string) string {
	if sc.zod4 {
		return "Invalid input: expected " + want + ", received " + got
	}
	return "Expected " + want + ", received " + got
}

func (sc *schema) tooShort() string {
	if sc.zod4 {
		return "Too small: expected string to have >=1 characters"
	}
	return "String must contain at least 1 character(s)"
}

// toFloat converts a decoded JSON number the way JavaScript does: the
// nearest double, ±Inf on overflow.
func toFloat(n json.Number) float64 {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil && !math.IsInf(f, 0) {
		return math.NaN()
	}
	return f
}

// validate checks body against the schema and returns the object with its
// numbers converted to float64, or the joined validation message
// ("[body.key] Required; [body.amount] …").
func (sc *schema) validate(body any, present bool) (map[string]any, string) {
	var issues []string
	add := func(path, msg string) { issues = append(issues, "["+path+"] "+msg) }
	if !present {
		if sc.optionalBody {
			return nil, ""
		}
		add("body", sc.required("object"))
		return nil, strings.Join(issues, "; ")
	}
	m, ok := body.(map[string]any)
	if !ok {
		add("body", sc.expected("object", jsonType(body)))
		return nil, strings.Join(issues, "; ")
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	for _, f := range sc.fields {
		path := "body." + f.name
		v, has := m[f.name]
		if !has {
			if !f.optional {
				add(path, sc.required(kindName(f.kind)))
			}
			continue
		}
		switch f.kind {
		case kString, kStringOrNull:
			if v == nil && f.kind == kStringOrNull {
				continue
			}
			s, ok := v.(string)
			if !ok {
				add(path, sc.expected("string", jsonType(v)))
				continue
			}
			if f.min1 && s == "" {
				add(path, sc.tooShort())
			}
			if f.email && !zodEmail(s) {
				add(path, invalidEmailAddress)
			}
		case kBool:
			if _, ok := v.(bool); !ok {
				add(path, sc.expected("boolean", jsonType(v)))
			}
		case kNumber:
			n, ok := v.(json.Number)
			if !ok {
				add(path, sc.expected("number", jsonType(v)))
				continue
			}
			x := toFloat(n)
			out[f.name] = x
			if f.integer && (math.IsInf(x, 0) || x != math.Trunc(x)) {
				add(path, sc.expected("integer", "float"))
			}
			if f.positive && !(x > 0) {
				add(path, "Number must be greater than 0")
			}
			if f.nonneg && !(x >= 0) {
				add(path, "Number must be greater than or equal to 0")
			}
		case kStringList:
			list, ok := v.([]any)
			if !ok {
				add(path, sc.expected("array", jsonType(v)))
				continue
			}
			for i, item := range list {
				p := path + "." + strconv.Itoa(i)
				s, ok := item.(string)
				if !ok {
					add(p, sc.expected("string", jsonType(item)))
					continue
				}
				if f.min1 && s == "" {
					add(p, sc.tooShort())
				}
			}
		}
	}
	if len(issues) > 0 {
		return nil, strings.Join(issues, "; ")
	}
	return out, ""
}

func kindName(k kind) string {
	switch k {
	case kNumber:
		return "number"
	case kBool:
		return "boolean"
	case kStringList:
		return "array"
	default:
		return "string"
	}
}

// invalidEmailAddress is zod 4's message for a string that z.email() refuses.
const invalidEmailAddress = "Invalid email address"

// zodEmailPattern is zod 4's default email pattern without its two
// look-aheads (no leading dot, no ".."), which zodEmail checks itself.
var zodEmailPattern = regexp.MustCompile(`^[A-Za-z0-9_'+\-.]*[A-Za-z0-9_+-]@([A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`)

// zodEmail reports whether z.email() accepts e, as Better Auth's sign-up
// checks it.
func zodEmail(e string) bool {
	return !strings.HasPrefix(e, ".") && !strings.Contains(e, "..") && zodEmailPattern.MatchString(e)
}

// strField returns the string member name of a validated body, or "".
func strField(m map[string]any, name string) string {
	s, _ := m[name].(string)
	return s
}

// The plugin's zod 3 schemas, in the plugin's declaration order (customerId
// first, then the fields each endpoint adds), which fixes the order of
// joined messages.
var (
	customerIDField = field{name: "customerId", kind: kString, optional: true}
	keyField        = field{name: "key", kind: kString, min1: true}

	customerSchema = &schema{fields: []field{customerIDField}}
	keySchema      = &schema{fields: []field{customerIDField, keyField}}
	consumeSchema  = &schema{fields: []field{customerIDField, keyField,
		{name: "amount", kind: kNumber, optional: true, integer: true, positive: true}}}
	usageSettingsSchema = &schema{fields: []field{customerIDField, keyField,
		{name: "overageEnabled", kind: kBool}}}
	limitSettingsSchema = &schema{fields: []field{customerIDField, keyField,
		{name: "purchased", kind: kNumber, optional: true, nonneg: true},
		{name: "autoExpansionEnabled", kind: kBool, optional: true}}}
	checkoutSchema = &schema{fields: []field{customerIDField,
		{name: "productKey", kind: kString, optional: true, min1: true},
		{name: "planKey", kind: kString, optional: true, min1: true},
		{name: "successUrl", kind: kString, min1: true},
		{name: "cancelUrl", kind: kString, min1: true}}}
	changeSchema = &schema{fields: []field{customerIDField,
		{name: "planKey", kind: kString, min1: true}}}
	contextSchema = &schema{fields: []field{customerIDField,
		{name: "features", kind: kStringList, optional: true, min1: true},
		{name: "usage", kind: kStringList, optional: true, min1: true},
		{name: "limits", kind: kStringList, optional: true, min1: true},
		{name: "includePlans", kind: kBool, optional: true},
		{name: "includeSubscription", kind: kBool, optional: true},
		{name: "debug", kind: kBool, optional: true}}}
	guapSchema = &schema{optionalBody: true, fields: []field{
		{name: "type", kind: kString, optional: true},
		{name: "event", kind: kString, optional: true}}}
)

// Better Auth's own endpoint schemas (zod 4 messages).
var (
	signUpSchema = &schema{zod4: true, fields: []field{
		{name: "name", kind: kString},
		{name: "email", kind: kString, email: true},
		{name: "password", kind: kString},
		{name: "callbackURL", kind: kString, optional: true},
		{name: "rememberMe", kind: kBool, optional: true}}}
	signInSchema = &schema{zod4: true, fields: []field{
		{name: "email", kind: kString},
		{name: "password", kind: kString},
		{name: "callbackURL", kind: kString, optional: true},
		{name: "rememberMe", kind: kBool, optional: true}}}
	orgCreateSchema = &schema{zod4: true, fields: []field{
		{name: "name", kind: kString},
		{name: "slug", kind: kString},
		{name: "keepCurrentActiveOrganization", kind: kBool, optional: true}}}
	setActiveSchema = &schema{zod4: true, fields: []field{
		{name: "organizationId", kind: kStringOrNull, optional: true},
		{name: "organizationSlug", kind: kString, optional: true}}}
	setActiveTeamSchema = &schema{zod4: true, fields: []field{
		{name: "teamId", kind: kStringOrNull, optional: true}}}
	createTeamSchema = &schema{zod4: true, fields: []field{
		{name: "name", kind: kString},
		{name: "organizationId", kind: kString, optional: true}}}
	addTeamMemberSchema = &schema{zod4: true, fields: []field{
		{name: "teamId", kind: kString},
		{name: "userId", kind: kString}}}
)
