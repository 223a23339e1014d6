package guapocado

import (
	"encoding/json"
	"testing"
)

// TestCustomerMetadataRaw: metadata that is not a JSON object is kept in
// MetadataRaw and written back as sent; an object, or a string holding one,
// fills Metadata.
func TestCustomerMetadataRaw(t *testing.T) {
	for _, tc := range []struct{ in, raw, plan, out string }{
		{`{"id":"c","metadata":"not json"}`, "not json", "", `{"id":"c","metadata":"not json"}`},
		{`{"id":"c","metadata":"{\"plan\":\"pro\"}"}`, "", "pro", `{"id":"c","metadata":{"plan":"pro"}}`},
		{`{"id":"c","metadata":{"plan":"pro"}}`, "", "pro", `{"id":"c","metadata":{"plan":"pro"}}`},
		{`{"id":"c","metadata":[1,2]}`, "[1,2]", "", `{"id":"c","metadata":"[1,2]"}`},
		{`{"id":"c","metadata":null}`, "", "", `{"id":"c"}`},
	} {
		var c Customer
		if err := json.Unmarshal([]byte(tc.in), &c); err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		plan, _ := c.Metadata["plan"].(string)
		if c.MetadataRaw != tc.raw || plan != tc.plan {
			t.Errorf("%s: Metadata %v, MetadataRaw %q", tc.in, c.Metadata, c.MetadataRaw)
		}
		out, _ := json.Marshal(c)
		if string(out) != tc.out {
			t.Errorf("%s: marshals to %s, want %s", tc.in, out, tc.out)
		}
	}
}
