package guapocadotest_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// transcriptNow is the instant of the recorded run (transcripts.md §3).
var transcriptNow = time.Date(2026, 11, 26, 22, 27, 55, 800e6, time.UTC)

// catalogueJSON is the plans array of transcripts.md §3.18, compacted.
func catalogueJSON(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile("testdata/plans.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct{ Plans json.RawMessage }
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, doc.Plans); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// jsonObj builds a JSON object from name, raw-value pairs, in order.
func jsonObj(pairs ...string) string {
	var b strings.Builder
	b.WriteByte('{')
	for i := 0; i+1 < len(pairs); i += 2 {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"` + pairs[i] + `":` + pairs[i+1])
	}
	b.WriteByte('}')
	return b.String()
}

// withMember returns pairs with name set to raw (replaced in place or appended).
func withMember(pairs []string, name, raw string) []string {
	out := append([]string(nil), pairs...)
	for i := 0; i+1 < len(out); i += 2 {
		if out[i] == name {
			out[i+1] = raw
			return out
		}
	}
	return append(out, name, raw)
}

// withoutMember returns pairs without name.
func withoutMember(pairs []string, name string) []string {
	var out []string
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] != name {
			out = append(out, pairs[i], pairs[i+1])
		}
	}
	return out
}

// vrow is one row of a validation table: a request and its answer.
type vrow struct {
	name   string
	method string // POST unless set
	body   string
	hdr    []string // nil: Bearer of the test session; else exactly these
	status int
	want   string // "{cust}", "{name}", "{email}", "{now}" are filled in
}

const validationError = `","code":"VALIDATION_ERROR"}`

// validationRows builds the rows every guapocado POST endpoint shares
// (transcripts.md §4), in the recorded order.
func validationRows(valid []string, validWant, extraWant string, emptyStatus int, emptyWant string) []vrow {
	v := jsonObj(valid...)
	return []vrow{
		{name: "valid", body: v, status: 200, want: validWant},
		{name: "no session", body: v, hdr: []string{}, status: 401, want: `{"message":"Unauthorized","code":"UNAUTHORIZED"}`},
		{name: "no session + foreign Origin", body: v, hdr: []string{"Origin", "https://evil.example"}, status: 401, want: `{"message":"Unauthorized","code":"UNAUTHORIZED"}`},
		{name: "unknown extra fields", body: jsonObj(withMember(withMember(valid, "unknownField", "123"), "nested", `{"x":1}`)...), status: 200, want: extraWant},
		{name: "empty JSON object", body: "{}", status: emptyStatus, want: emptyWant},
		{name: "empty body", hdr: []string{"Content-Type", "application/json"}, status: 400, want: `{"message":"[body] Required` + validationError},
		{name: "JSON null", body: "null", status: 400, want: `{"message":"[body] Expected object, received null` + validationError},
		{name: "JSON array", body: "[]", status: 400, want: `{"message":"[body] Expected object, received array` + validationError},
		{name: "invalid JSON", body: `{"key":`, status: 400, want: `{"message":"Invalid JSON in request body","code":"BAD_REQUEST"}`},
		{name: "no Content-Type header", body: v, hdr: []string{"Content-Type", "-"}, status: 400, want: `{"message":"[body] Required` + validationError},
		{name: "form Content-Type (curl default)", body: v, hdr: []string{"Content-Type", "application/x-www-form-urlencoded"}, status: 415,
			want: `{"message":"Content-Type \"application/x-www-form-urlencoded\" is not allowed. Allowed types: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}`},
		{name: "text/plain Content-Type", body: v, hdr: []string{"Content-Type", "text/plain"}, status: 415,
			want: `{"message":"Content-Type \"text/plain\" is not allowed. Allowed types: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}`},
		{name: "wrong method GET", method: "GET", status: 404, want: ""},
		{name: "wrong method PUT", method: "PUT", body: v, status: 404, want: ""},
		{name: "customerId not a string", body: jsonObj(withMember(valid, "customerId", "123")...), status: 400,
			want: `{"message":"[body.customerId] Expected string, received number` + validationError},
		{name: "customerId empty string", body: jsonObj(withMember(valid, "customerId", `""`)...), status: 401, want: `{"message":"Sign in first"}`},
	}
}

// keyRows are the rows of the endpoints that take a key.
func keyRows(valid []string) []vrow {
	return []vrow{
		{name: "missing key", body: jsonObj(withoutMember(valid, "key")...), status: 400, want: `{"message":"[body.key] Required` + validationError},
		{name: "key empty string", body: jsonObj(withMember(valid, "key", `""`)...), status: 400, want: `{"message":"[body.key] String must contain at least 1 character(s)` + validationError},
		{name: "key whitespace", body: jsonObj(withMember(valid, "key", `"   "`)...), status: 400, want: `{"message":"key is required"}`},
		{name: "key number", body: jsonObj(withMember(valid, "key", "5")...), status: 400, want: `{"message":"[body.key] Expected string, received number` + validationError},
		{name: "unknown key", body: jsonObj(withMember(valid, "key", `"no-such-key"`)...), status: 404, want: `{"message":"Unknown entitlement: no-such-key"}`},
	}
}

func usageJSON(balance, included, consumedOf, overage string, allowed, enabled bool, resets string) string {
	b := func(v bool) string {
		if v {
			return "true"
		}
		return "false"
	}
	if resets != "null" {
		resets = `"` + resets + `"`
	}
	return `{"customerId":"{cust}","balance":` + balance + `,"included":` + included + `,"consumed":` + consumedOf +
		`,"overage":` + overage + `,"overageAllowed":` + b(allowed) + `,"overageEnabled":` + b(enabled) + `,"resets":` + resets + `}`
}

// TestValidationMatrix replays transcripts.md §4 for every guapocado POST
// endpoint, each on a fresh server whose clock is the recorded run's.
func TestValidationMatrix(t *testing.T) {
	t.Parallel()
	plans := catalogueJSON(t)
	customer := `{"id":"{cust}","name":"{name}","email":"{email}"}`
	const dec = "2026-12-01T00:00:00.000Z"

	proWithOverage := func(t *testing.T, srv *guapocadotest.Server, s guapocadotest.Session) {
		if err := srv.SetPlan(s.CustomerID, "pro"); err != nil {
			t.Fatal(err)
		}
		r := rawDo(t, srv, "POST", "/guapocado/usage/settings", `{"key":"api-calls","overageEnabled":true}`, bearerHdr(s.Token)...)
		if r.Status != 200 {
			t.Fatalf("enable overage: %d %s", r.Status, r.Body)
		}
	}

	type endpoint struct {
		path  string
		setup func(*testing.T, *guapocadotest.Server, guapocadotest.Session)
		rows  []vrow
	}
	cat := func(parts ...[]vrow) []vrow {
		var out []vrow
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}

	customerRows := validationRows(nil, `{"customerId":"{cust}","customer":`+customer+`}`, `{"customerId":"{cust}","customer":`+customer+`}`,
		200, `{"customerId":"{cust}","customer":`+customer+`}`)
	customerRows[12] = vrow{name: "wrong method GET (the GET endpoint)", method: "GET", status: 200, want: `{"customerId":"{cust}"}`}

	contextDefault := `{"customerId":"{cust}","customer":` + customer + `,"features":{},"usage":{},"limits":{},"plans":` + plans + `,"subscription":null}`
	has := []string{"key", `"csv-export"`}
	limit := []string{"key", `"seats"`}
	limitSettings := []string{"key", `"seats"`, "purchased", "1"}
	balance := []string{"key", `"api-calls"`}
	consume := []string{"key", `"api-calls"`, "amount", "1"}
	usageSettings := []string{"key", `"api-calls"`, "overageEnabled", "false"}
	change := []string{"planKey", `"pro"`}
	checkout := []string{"productKey", `"pro"`, "successUrl", `"https://app.example.test/ok"`, "cancelUrl", `"https://app.example.test/no"`}
	amountRows := func(wants [3]string) []vrow {
		return []vrow{
			{name: "amount 0", body: jsonObj(withMember(consume, "amount", "0")...), status: 400, want: `{"message":"[body.amount] Number must be greater than 0` + validationError},
			{name: "amount -1", body: jsonObj(withMember(consume, "amount", "-1")...), status: 400, want: `{"message":"[body.amount] Number must be greater than 0` + validationError},
			{name: "amount 1.5", body: jsonObj(withMember(consume, "amount", "1.5")...), status: 400, want: `{"message":"[body.amount] Expected integer, received float` + validationError},
			{name: "amount -1.5", body: jsonObj(withMember(consume, "amount", "-1.5")...), status: 400,
				want: `{"message":"[body.amount] Expected integer, received float; [body.amount] Number must be greater than 0` + validationError},
			{name: `amount "1"`, body: jsonObj(withMember(consume, "amount", `"1"`)...), status: 400, want: `{"message":"[body.amount] Expected number, received string` + validationError},
			{name: `amount "abc"`, body: jsonObj(withMember(consume, "amount", `"abc"`)...), status: 400, want: `{"message":"[body.amount] Expected number, received string` + validationError},
			{name: "amount null", body: jsonObj(withMember(consume, "amount", "null")...), status: 400, want: `{"message":"[body.amount] Expected number, received null` + validationError},
			{name: "amount true", body: jsonObj(withMember(consume, "amount", "true")...), status: 400, want: `{"message":"[body.amount] Expected number, received boolean` + validationError},
			{name: "amount 1e2", body: jsonObj(withMember(consume, "amount", "1e2")...), status: 200, want: wants[0]},
			{name: "amount 2.0", body: jsonObj(withMember(consume, "amount", "2.0")...), status: 200, want: wants[1]},
			{name: "amount 9007199254740993", body: jsonObj(withMember(consume, "amount", "9007199254740993")...), status: 200, want: wants[2]},
		}
	}
	subscription := `{"customerId":"{cust}","subscription":{"id":"sub_000001","customerId":"{cust}","planKey":"pro","status":"active","stripeSubscriptionId":null,` +
		`"currentPeriodStart":"{now}","currentPeriodEnd":"2026-12-01T00:00:00.000Z","createdAt":"{now}","updatedAt":"{now}","changed":`

	endpoints := []endpoint{
		{path: "/guapocado/customer", rows: customerRows},
		{path: "/guapocado/context", rows: cat(validationRows(nil, contextDefault, contextDefault, 200, contextDefault), []vrow{
			{name: "features not an array", body: `{"features":"csv-export"}`, status: 400, want: `{"message":"[body.features] Expected array, received string` + validationError},
			{name: "features with empty string", body: `{"features":[""]}`, status: 400, want: `{"message":"[body.features.0] String must contain at least 1 character(s)` + validationError},
			{name: "usage item a number", body: `{"usage":["api-calls",7]}`, status: 400, want: `{"message":"[body.usage.1] Expected string, received number` + validationError},
			{name: "unknown keys in lists", body: `{"features":["nope"],"usage":["nope"],"limits":["nope"],"includePlans":false}`, status: 200,
				want: `{"customerId":"{cust}","customer":` + customer + `,"features":{"nope":false},"usage":{},"limits":{},"plans":[],"subscription":null}`},
		})},
		{path: "/guapocado/has", rows: cat(validationRows(has, `{"customerId":"{cust}","allowed":true}`, `{"customerId":"{cust}","allowed":true}`,
			400, `{"message":"[body.key] Required`+validationError), keyRows(has))},
		{path: "/guapocado/limit", rows: cat(validationRows(limit,
			`{"customerId":"{cust}","limit":3,"included":3,"purchased":0,"expansionAllowed":false,"autoExpansionEnabled":false}`,
			`{"customerId":"{cust}","limit":3,"included":3,"purchased":0,"expansionAllowed":false,"autoExpansionEnabled":false}`,
			400, `{"message":"[body.key] Required`+validationError), keyRows(limit))},
		{path: "/guapocado/limit/settings",
			setup: func(t *testing.T, srv *guapocadotest.Server, s guapocadotest.Session) {
				if err := srv.SetPlan(s.CustomerID, "pro"); err != nil {
					t.Fatal(err)
				}
			},
			rows: cat(validationRows(limitSettings,
				`{"customerId":"{cust}","limit":11,"included":10,"purchased":1,"expansionAllowed":true,"autoExpansionEnabled":false}`,
				`{"customerId":"{cust}","limit":11,"included":10,"purchased":1,"expansionAllowed":true,"autoExpansionEnabled":false}`,
				400, `{"message":"[body.key] Required`+validationError), keyRows(limitSettings), []vrow{
				{name: "purchased -1", body: `{"key":"seats","purchased":-1}`, status: 400, want: `{"message":"[body.purchased] Number must be greater than or equal to 0` + validationError},
				{name: "purchased 1.5", body: `{"key":"seats","purchased":1.5}`, status: 200,
					want: `{"customerId":"{cust}","limit":11.5,"included":10,"purchased":1.5,"expansionAllowed":true,"autoExpansionEnabled":false}`},
				{name: "purchased string", body: `{"key":"seats","purchased":"2"}`, status: 400, want: `{"message":"[body.purchased] Expected number, received string` + validationError},
				{name: "only key", body: `{"key":"seats"}`, status: 200,
					want: `{"customerId":"{cust}","limit":11.5,"included":10,"purchased":1.5,"expansionAllowed":true,"autoExpansionEnabled":false}`},
				{name: "autoExpansionEnabled string", body: `{"key":"seats","autoExpansionEnabled":"yes"}`, status: 400,
					want: `{"message":"[body.autoExpansionEnabled] Expected boolean, received string` + validationError},
				{name: "autoExpansionEnabled true", body: `{"key":"seats","autoExpansionEnabled":true}`, status: 200,
					want: `{"customerId":"{cust}","limit":11.5,"included":10,"purchased":1.5,"expansionAllowed":true,"autoExpansionEnabled":true}`},
			})},
		{path: "/guapocado/usage/balance", rows: cat(validationRows(balance,
			usageJSON("100", "100", "0", "0", false, false, dec), usageJSON("100", "100", "0", "0", false, false, dec),
			400, `{"message":"[body.key] Required`+validationError), keyRows(balance))},
		{path: "/guapocado/usage/consume", setup: proWithOverage, rows: cat(validationRows(consume,
			usageJSON("9999", "10000", "1", "0", true, true, dec), usageJSON("9998", "10000", "2", "0", true, true, dec),
			400, `{"message":"[body.key] Required`+validationError), keyRows(consume), amountRows([3]string{
			usageJSON("9898", "10000", "102", "0", true, true, dec),
			usageJSON("9896", "10000", "104", "0", true, true, dec),
			usageJSON("0", "10000", "9007199254741096", "9007199254731096", true, true, dec),
		}))},
		{path: "/guapocado/usage/refund",
			setup: func(t *testing.T, srv *guapocadotest.Server, s guapocadotest.Session) {
				proWithOverage(t, srv, s)
				r := rawDo(t, srv, "POST", "/guapocado/usage/consume", `{"key":"api-calls","amount":9007199254751152}`, bearerHdr(s.Token)...)
				if r.Status != 200 {
					t.Fatalf("consume: %d %s", r.Status, r.Body)
				}
			},
			// The recorded values: doubles above 2^53 cannot move by 1.
			rows: cat(validationRows(consume,
				usageJSON("0", "10000", "9007199254751152", "9007199254741152", true, true, dec),
				usageJSON("0", "10000", "9007199254751152", "9007199254741152", true, true, dec),
				400, `{"message":"[body.key] Required`+validationError), keyRows(consume), amountRows([3]string{
				usageJSON("0", "10000", "9007199254751052", "9007199254741052", true, true, dec),
				usageJSON("0", "10000", "9007199254751050", "9007199254741050", true, true, dec),
				usageJSON("0", "10000", "10058", "58", true, true, dec),
			}), []vrow{
				{name: "refund below zero stops at zero", body: `{"key":"api-calls","amount":20000}`, status: 200, want: usageJSON("10000", "10000", "0", "0", true, true, dec)},
			})},
		{path: "/guapocado/usage/settings", setup: func(t *testing.T, srv *guapocadotest.Server, s guapocadotest.Session) {
			if err := srv.SetPlan(s.CustomerID, "pro"); err != nil {
				t.Fatal(err)
			}
		}, rows: cat(validationRows(usageSettings,
			usageJSON("10000", "10000", "0", "0", true, false, dec), usageJSON("10000", "10000", "0", "0", true, false, dec),
			400, `{"message":"[body.key] Required; [body.overageEnabled] Required`+validationError), keyRows(usageSettings), []vrow{
			{name: "overageEnabled missing", body: `{"key":"api-calls"}`, status: 400, want: `{"message":"[body.overageEnabled] Required` + validationError},
			{name: "overageEnabled string", body: `{"key":"api-calls","overageEnabled":"true"}`, status: 400,
				want: `{"message":"[body.overageEnabled] Expected boolean, received string` + validationError},
			{name: "overageEnabled true", body: `{"key":"api-calls","overageEnabled":true}`, status: 200, want: usageJSON("10000", "10000", "0", "0", true, true, dec)},
		})},
		{path: "/guapocado/subscription", rows: validationRows(nil, `{"customerId":"{cust}","subscription":null}`,
			`{"customerId":"{cust}","subscription":null}`, 200, `{"customerId":"{cust}","subscription":null}`)},
		{path: "/guapocado/subscription/change", rows: cat(validationRows(change, subscription+"true}}", subscription+"false}}",
			400, `{"message":"[body.planKey] Required`+validationError), []vrow{
			{name: "unknown plan", body: `{"planKey":"gold"}`, status: 404, want: `{"message":"Unknown plan: gold"}`},
			{name: "planKey empty", body: `{"planKey":""}`, status: 400, want: `{"message":"[body.planKey] String must contain at least 1 character(s)` + validationError},
			{name: "one-time product", body: `{"planKey":"credits-pack"}`, status: 400, want: `{"message":"Plan credits-pack is not a recurring plan"}`},
		})},
		{path: "/guapocado/checkout", rows: cat(validationRows(checkout,
			`{"customerId":"{cust}","url":"https://checkout.fake-guapocado.test/c/cs_000001"}`,
			`{"customerId":"{cust}","url":"https://checkout.fake-guapocado.test/c/cs_000002"}`,
			400, `{"message":"[body.successUrl] Required; [body.cancelUrl] Required`+validationError), []vrow{
			{name: "no productKey/planKey", body: `{"successUrl":"https://a.test/ok","cancelUrl":"https://a.test/no"}`, status: 400,
				want: `{"message":"productKey, successUrl, and cancelUrl are required"}`},
			{name: "missing successUrl", body: `{"productKey":"pro","cancelUrl":"https://a.test/no"}`, status: 400, want: `{"message":"[body.successUrl] Required` + validationError},
			{name: "relative URLs (platform rejects)", body: `{"productKey":"pro","successUrl":"/ok","cancelUrl":"/no"}`, status: 400,
				want: `{"message":"successUrl must be an absolute URL"}`},
			{name: "unknown product", body: `{"productKey":"gold","successUrl":"https://a.test/ok","cancelUrl":"https://a.test/no"}`, status: 404,
				want: `{"message":"Unknown product: gold"}`},
			{name: "deprecated planKey alias", body: `{"planKey":"credits-pack","successUrl":"https://a.test/ok","cancelUrl":"https://a.test/no"}`, status: 200,
				want: `{"customerId":"{cust}","url":"https://checkout.fake-guapocado.test/c/cs_000003"}`},
		})},
	}

	for _, ep := range endpoints {
		t.Run(strings.TrimPrefix(ep.path, "/guapocado/"), func(t *testing.T) {
			t.Parallel()
			srv := guapocadotest.NewServer()
			defer srv.Close()
			srv.SetNow(transcriptNow)
			sess, err := srv.SignUp("alice@example.com", "password1234", "Alice")
			if err != nil {
				t.Fatal(err)
			}
			sess, err = srv.CreateOrganization(sess.Token, "Acme", "acme")
			if err != nil {
				t.Fatal(err)
			}
			if ep.setup != nil {
				ep.setup(t, srv, sess)
			}
			fill := strings.NewReplacer("{cust}", sess.CustomerID, "{name}", "Alice", "{email}", "alice@example.com",
				"{now}", "2026-11-26T22:27:55.800Z")
			for _, row := range ep.rows {
				method := row.method
				if method == "" {
					method = "POST"
				}
				hdr := row.hdr
				if hdr == nil {
					hdr = bearerHdr(sess.Token)
				}
				got := rawDo(t, srv, method, ep.path, row.body, hdr...)
				expectAnswer(t, row.name, got, row.status, fill.Replace(row.want))
				if row.want != "" && got.Header.Get("Content-Type") != "application/json" {
					t.Errorf("%s: Content-Type %q", row.name, got.Header.Get("Content-Type"))
				}
			}
		})
	}
}

// TestGetEndpoints replays the "GET endpoints" table of transcripts.md §4.
func TestGetEndpoints(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithWebhookSecret("whsec_test"))
	defer srv.Close()
	sess := mustSession(t, srv)
	plans := `{"plans":` + catalogueJSON(t) + `}`
	guap := `{"enabled":true,"id":"we_000001","status":"pending_approval","url":"` + srv.URL + `/api/auth/guap","events":"*","relay":null}`
	rows := []struct {
		name, method, path, body string
		hdr                      []string
		status                   int
		want                     string
	}{
		{"GET /guapocado/plans valid", "GET", "/guapocado/plans", "", bearerHdr(sess.Token), 200, plans},
		{"GET /guapocado/plans no session", "GET", "/guapocado/plans", "", nil, 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`},
		{"POST /guapocado/plans (wrong method)", "POST", "/guapocado/plans", "{}", bearerHdr(sess.Token), 404, ""},
		{"GET /guapocado/customer no session", "GET", "/guapocado/customer", "", nil, 401, `{"message":"Unauthorized","code":"UNAUTHORIZED"}`},
		{"GET /guapocado/customer?customerId=x (query ignored)", "GET", "/guapocado/customer?customerId=x", "", bearerHdr(sess.Token), 200, `{"customerId":"` + sess.CustomerID + `"}`},
		{"GET /guap no session", "GET", "/guap", "", nil, 200, guap},
		{"GET /guap again (same id)", "GET", "/guap", "", nil, 200, guap},
		{"PUT /guap", "PUT", "/guap", "{}", nil, 404, ""},
		{"GET /guapocado/nope (unknown path)", "GET", "/guapocado/nope", "", bearerHdr(sess.Token), 404, ""},
		{"GET /api/auth/ok", "GET", "/ok", "", nil, 200, `{"ok":true}`},
		{"OPTIONS /guapocado/has (preflight)", "OPTIONS", "/guapocado/has", "", []string{"Origin", srv.URL, "Access-Control-Request-Method", "POST"}, 404, ""},
		{"POST /guapocado/has/ (trailing slash)", "POST", "/guapocado/has/", `{"key":"csv-export"}`, bearerHdr(sess.Token), 404, ""},
		{"POST /guapocado/HAS (case)", "POST", "/guapocado/HAS", `{"key":"csv-export"}`, bearerHdr(sess.Token), 404, ""},
		{"outside the base path", "GET", "/api/other/ok", "", nil, 404, ""},
		{"HEAD /ok", "HEAD", "/ok", "", nil, 404, ""},
	}
	for _, r := range rows {
		expectAnswer(t, r.name, rawDo(t, srv, r.method, r.path, r.body, r.hdr...), r.status, r.want)
	}
}

// TestContentTypeVariants replays the Content-Type table of transcripts.md §4.
func TestContentTypeVariants(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	sess := mustSession(t, srv)
	ok := `{"customerId":"` + sess.CustomerID + `","allowed":true}`
	refused := func(ct string) string {
		return `{"message":"Content-Type \"` + ct + `\" is not allowed. Allowed types: application/json","code":"UNSUPPORTED_MEDIA_TYPE"}`
	}
	for _, r := range []struct {
		ct     string
		status int
		want   string
	}{
		{"application/json", 200, ok},
		{"application/json; charset=utf-8", 200, ok},
		{"APPLICATION/JSON", 200, ok},
		{"application/vnd.api+json", 415, refused("application/vnd.api+json")},
		{"application/merge-patch+json", 415, refused("application/merge-patch+json")},
		{"text/json", 415, refused("text/json")},
	} {
		got := rawDo(t, srv, "POST", "/guapocado/has", `{"key":"csv-export"}`, append(bearerHdr(sess.Token), "Content-Type", r.ct)...)
		expectAnswer(t, "Content-Type: "+r.ct, got, r.status, r.want)
	}
	expectAnswer(t, "no Content-Type, no body (POST /guapocado/customer)",
		rawDo(t, srv, "POST", "/guapocado/customer", "", bearerHdr(sess.Token)...), 400, `{"message":"[body] Required","code":"VALIDATION_ERROR"}`)
	got := rawDo(t, srv, "POST", "/sign-out", "", bearerHdr(sess.Token)...)
	expectAnswer(t, "no Content-Type, no body (POST /sign-out)", got, http.StatusOK, `{"success":true}`)
}
