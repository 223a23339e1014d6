package guapocado

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// TestPlanMarshalsWhatItsFieldsSay: a decoded plan marshals back exactly as
// received; an edited field is written as edited (it used to be dropped),
// and fields the SDK does not know survive the edit.
func TestPlanMarshalsWhatItsFieldsSay(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile("testdata/contract/plans.json")
	if err != nil {
		t.Fatal(err)
	}
	var out struct {
		Plans []json.RawMessage `json:"plans"`
	}
	if err := json.Unmarshal(data, &out); err != nil || len(out.Plans) < 4 {
		t.Fatalf("fixture: %v", err)
	}
	for _, raw := range out.Plans {
		var p Plan
		if err := json.Unmarshal(raw, &p); err != nil {
			t.Fatal(err)
		}
		got, err := json.Marshal(p)
		var want bytes.Buffer
		_ = json.Compact(&want, raw) // json.Marshal compacts what MarshalJSON returns
		if err != nil || !bytes.Equal(got, want.Bytes()) {
			t.Errorf("plan %s round trip:\n got %s\nwant %s", p.Key, got, want.Bytes())
		}
	}

	var ent Plan
	if err := json.Unmarshal(out.Plans[3], &ent); err != nil { // enterprise: custom pricing with a "contact"
		t.Fatal(err)
	}
	ent.Name = "Enterprise 2027"
	seats := ent.Config.Entitlements["seats"]
	seats.Included = 250
	ent.Config.Entitlements["seats"] = seats
	got, err := json.Marshal(ent)
	if err != nil {
		t.Fatal(err)
	}
	var back Plan
	if err := json.Unmarshal(got, &back); err != nil {
		t.Fatal(err)
	}
	if back.Name != "Enterprise 2027" || back.Config.Entitlements["seats"].Included != 250 ||
		back.Config.Entitlements["seats"].Expansion == nil || !back.Config.Entitlements["csv-export"].Enabled {
		t.Errorf("edits lost: %s", got)
	}
	if !strings.Contains(string(got), `"contact":"mailto:sales@example.test"`) || !strings.Contains(string(got), `"createdAt":"2026-01-01T00:00:00.000Z"`) {
		t.Errorf("unknown or unchanged fields not kept as received: %s", got)
	}

	// Built in Go, not decoded: the fields are all there is.
	built, err := json.Marshal(Plan{ID: "p1", Key: "team", Config: PlanConfig{Entitlements: map[string]Entitlement{"sso": {IsFeature: true, Enabled: true}}}})
	if err != nil || string(built) != `{"id":"p1","key":"team","config":{"entitlements":{"sso":true}}}` {
		t.Errorf("a plan built in Go: %s, %v", built, err)
	}
}
