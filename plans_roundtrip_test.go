//go:build !(js && wasm)

package guapocado_test

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

// TestLargeCatalogueRoundTrips: every plan of the large fixture, decoded by
// Plans.List (one pass, raw JSON owned by the answer), marshals back to
// exactly what the server sent.
func TestLargeCatalogueRoundTrips(t *testing.T) {
	t.Parallel()
	srv := newBenchServer(t)
	c := newBenchClient(t, srv)
	plans, err := c.Plans.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var sent struct {
		Plans []json.RawMessage `json:"plans"`
	}
	if err := json.Unmarshal(largeCatalogue(t), &sent); err != nil || len(sent.Plans) != 20 || len(plans) != 20 {
		t.Fatalf("%d plans sent, %d decoded: %v", len(sent.Plans), len(plans), err)
	}
	for i, p := range plans {
		got, err := json.Marshal(p)
		if err != nil || !bytes.Equal(got, sent.Plans[i]) {
			t.Errorf("plan %d:\n got %s\nwant %s", i, got, sent.Plans[i])
		}
		if len(p.Config.Entitlements) != 60 {
			t.Errorf("plan %d: %d entitlements", i, len(p.Config.Entitlements))
		}
	}
	// The snapshot's plans too.
	snap, err := c.Snapshot(context.Background(), nil)
	if err != nil || len(snap.Plans) != 20 {
		t.Fatalf("snapshot: %v", err)
	}
	for i, p := range snap.Plans {
		if got, _ := json.Marshal(p); !bytes.Equal(got, sent.Plans[i]) {
			t.Errorf("snapshot plan %d does not round-trip", i)
		}
	}
}
