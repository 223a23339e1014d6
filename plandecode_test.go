package guapocado

import (
	"encoding/json"
	"os"
	"reflect"
	"testing"
)

// slowPlan decodes b the way encoding/json alone does, level by level.
func slowPlan(b []byte) (Plan, error) {
	type plain Plan
	var v plain
	err := json.Unmarshal(b, &v)
	p := Plan(v)
	var raw json.RawMessage // the bytes encoding/json hands an Unmarshaler
	_ = json.Unmarshal(b, &raw)
	p.Raw = raw
	return p, err
}

// checkPlanDecode: Plan.UnmarshalJSON (one pass) gives what encoding/json
// gives, or the same failure.
func checkPlanDecode(t *testing.T, b []byte) {
	t.Helper()
	want, werr := slowPlan(b)
	var got Plan
	gerr := json.Unmarshal(b, &got)
	if (werr == nil) != (gerr == nil) {
		t.Fatalf("%s: one-pass error %v, encoding/json error %v", b, gerr, werr)
	}
	if werr == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s:\none pass      %+v\nencoding/json %+v", b, got, want)
	}
	// The same plan in a list decoded without copies (planList, for
	// answers that own their body).
	list := append(append([]byte("[ "), b...), []byte(` , {"id":"second"} ]`)...)
	var wantList []Plan
	werr = json.Unmarshal(list, &wantList)
	var gotList planList
	gerr = json.Unmarshal(list, &gotList)
	if (werr == nil) != (gerr == nil) || werr == nil && !reflect.DeepEqual([]Plan(gotList), wantList) {
		t.Fatalf("list %s: planList %+v (%v), []Plan %+v (%v)", list, gotList, gerr, wantList, werr)
	}
	// The whole answer of Plans.List, decoded by plansAnswer itself.
	body := append(append([]byte(`{"x":[1,"]"],"plans":`), list...), '}')
	var wantBody struct {
		Plans []Plan `json:"plans"`
	}
	werr = json.Unmarshal(body, &wantBody)
	var gotBody plansAnswer
	gerr = gotBody.decodeBody(body)
	if (werr == nil) != (gerr == nil) || werr == nil && !reflect.DeepEqual([]Plan(gotBody.Plans), wantBody.Plans) {
		t.Fatalf("answer %s: %+v (%v), want %+v (%v)", body, gotBody.Plans, gerr, wantBody.Plans, werr)
	}
}

func TestPlanDecodeMatchesEncodingJSON(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/contract/plans.json")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Plans []json.RawMessage `json:"plans"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatal(err)
	}
	for _, p := range out.Plans {
		checkPlanDecode(t, p)
	}
	for _, s := range planDecodeSeeds {
		checkPlanDecode(t, []byte(s))
	}
	for _, l := range []string{`[]`, `null`, ` [ {"id":"a"} ] `} {
		var want []Plan
		var got planList
		if json.Unmarshal([]byte(l), &want) != nil || json.Unmarshal([]byte(l), &got) != nil || !reflect.DeepEqual([]Plan(got), want) {
			t.Errorf("list %s: %#v, want %#v", l, got, want)
		}
	}
}

// planDecodeSeeds are plans the fast path must hand to encoding/json, or
// decode exactly as it would.
var planDecodeSeeds = []string{
	`{"id":"p","key":"k","config":{"entitlements":{"a":true,"b":false,"c":{"included":5,"overage":{"allowed":true,"unit":1000,"amount":200,"currency":"usd"}}}}}`,
	`{"ID":"case-folded","KEY":"k"}`,
	`{"id":"esc\"aped","key":"k\u00e9"}`,
	`{"id":"p","config":{"entitlements":{"k\"ey":true}}}`,
	`{"id":"p","config":{"entitlements":{"a":{"included":1.5}}}}`,
	`{"id":"p","config":{"entitlements":{"a":{"included":"5"}}}}`,
	`{"id":"p","config":null,"createdAt":null,"updatedAt":"2026-01-01T00:00:00Z"}`,
	`{"id":"p","createdAt":"not a time"}`,
	`{"id":"p","config":{"pricing":{"mode":"custom","contact":"mailto:x@y.z"},"entitlements":null,"extra":[1,{"a":"}"}]}}`,
	`{"id":"p","id":"q","unknown":{"nested":["]","}"]}}`,
	` { "id" : "p" , "config" : { "entitlements" : { "a" : true } } } `,
	`{"id":7}`,
	`null`,
	`[]`,
	`{"id":"p","config":{"entitlements":{"a":null,"b":[true]}}}`,
	`{"id":"p","config":{"entitlements":{"a":{"overage":null,"expansion":{"Allowed":true}}}}}`,
}

func FuzzPlanDecode(f *testing.F) {
	for _, s := range planDecodeSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if !json.Valid(b) {
			return // encoding/json refuses it before any UnmarshalJSON runs
		}
		checkPlanDecode(t, b)
	})
}
