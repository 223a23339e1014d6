package readmodel_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/readmodel"
)

var errStoreDown = errors.New("store is down")

// downStore is a MemoryStore whose reads and writes fail.
type downStore struct{ *readmodel.MemoryStore }

func (downStore) Get(context.Context, string) (readmodel.Record, bool, error) {
	return readmodel.Record{}, false, errStoreDown
}
func (downStore) List(context.Context, string) ([]readmodel.Record, error) { return nil, errStoreDown }
func (downStore) Put(context.Context, readmodel.Record) (bool, error)      { return false, errStoreDown }

// TestStoreReadErrorFallsBackToTheServer: when the store fails, every read
// is answered by the server, the store's error goes to the error handler,
// and a read fails only when the server fails too.
func TestStoreReadErrorFallsBackToTheServer(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var reported []error
	rm, _, srv := platformModel(t, readmodel.WithStore(downStore{readmodel.NewMemoryStore()}),
		readmodel.WithErrorHandler(func(err error) { mu.Lock(); reported = append(reported, err); mu.Unlock() }))

	ok, m, err := rm.Has(ctx, "cus_1", "csv-export")
	if err != nil || !ok || m.Local {
		t.Fatalf("Has = %v, %+v, %v; want true from the server", ok, m, err)
	}
	if _, _, err := rm.Limit(ctx, "cus_1", "seats"); err != nil {
		t.Fatalf("Limit: %v", err)
	}
	if u, _, err := rm.Balance(ctx, "cus_1", "api-calls"); err != nil || u.Balance != 100 {
		t.Fatalf("Balance = %v, %v", u, err)
	}
	if _, _, err := rm.Subscription(ctx, "cus_1"); err != nil {
		t.Fatalf("Subscription: %v", err)
	}
	if _, _, err := rm.Plans(ctx); err != nil {
		t.Fatalf("Plans: %v", err)
	}
	if snap, _, err := rm.Snapshot(ctx, "cus_1", &guapocado.SnapshotParams{Features: []string{"csv-export"}}); err != nil || !snap.Features["csv-export"] {
		t.Fatalf("Snapshot = %v, %v", snap, err)
	}
	if allowed, found := rm.LocalFeature("cus_1", "csv-export"); found {
		t.Fatalf("LocalFeature = %v, found, with the store down", allowed)
	}

	mu.Lock()
	n, readErrs := len(reported), 0
	for _, e := range reported {
		if errors.Is(e, errStoreDown) && strings.Contains(e.Error(), "asking the server instead") {
			readErrs++
		}
	}
	mu.Unlock()
	if readErrs < 6 {
		t.Fatalf("%d store read errors reported (of %d errors); want one per read at least", readErrs, n)
	}

	// The server down too: the read fails, with the server's error.
	srv.Close()
	if _, _, err := rm.Has(ctx, "cus_1", "csv-export"); err == nil || errors.Is(err, errStoreDown) {
		t.Fatalf("Has with store and server down = %v; want the server's error", err)
	}
}
