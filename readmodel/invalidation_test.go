package readmodel_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

// roundTripFunc adapts a function to http.RoundTripper.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// entitlementsEvent is the entitlements.updated event the platform sends
// when cust's plan changed, created at at.
func entitlementsEvent(id, cust string, at time.Time) *readmodel.Event {
	data, _ := json.Marshal(map[string]any{"customerId": cust, "reason": "subscription.updated", "productKey": "pro"})
	return &readmodel.Event{ID: id, Type: webhook.EventEntitlementsUpdated, CreatedAt: at, Data: data}
}

// gatedStore is a MemoryStore whose Get of a key containing match waits,
// once, for release after telling reached.
type gatedStore struct {
	*readmodel.MemoryStore
	match            string
	once             sync.Once
	reached, release chan struct{}
}

func (s *gatedStore) Get(ctx context.Context, key string) (readmodel.Record, bool, error) {
	rec, found, err := s.MemoryStore.Get(ctx, key)
	if strings.Contains(key, s.match) {
		s.once.Do(func() { close(s.reached); <-s.release })
	}
	return rec, found, err
}

// TestInvalidationBeatsReadInFlight forces the race of a read whose answer
// is in flight while the event that changes it is projected: the answer
// fetched before the event must not be served afterwards. Two moments:
// the answer still on the wire (no record yet for the invalidation to
// drop), and the answer stored but not yet cached when the invalidation
// runs.
func TestInvalidationBeatsReadInFlight(t *testing.T) {
	for _, tc := range []struct {
		name string
		// gateHTTP holds the server's answer; otherwise the store holds the
		// write-back between its Put and caching it.
		gateHTTP bool
	}{{"answer on the wire", true}, {"answer stored, not cached", false}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			srv := guapocadotest.NewServer()
			defer srv.Close()
			reached, release := make(chan struct{}), make(chan struct{})
			var gateOnce sync.Once
			opts := []guapocado.Option{guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0)}
			if tc.gateHTTP {
				opts = append(opts, guapocado.WithTransportWrapper(func(next http.RoundTripper) http.RoundTripper {
					return roundTripFunc(func(r *http.Request) (*http.Response, error) {
						resp, err := next.RoundTrip(r)
						if strings.HasSuffix(r.URL.Path, "/has") {
							gateOnce.Do(func() { close(reached); <-release })
						}
						return resp, err
					})
				}))
			}
			api, err := guapocado.NewAPIClient(srv.APIKey(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			admin, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
			if err != nil {
				t.Fatal(err)
			}
			var store readmodel.Store = readmodel.NewMemoryStore()
			if !tc.gateHTTP {
				store = &gatedStore{MemoryStore: readmodel.NewMemoryStore(), match: ":invalidated:", reached: reached, release: release}
			}
			// The cache in front of the store is trusted for ever, as with a
			// MemoryStore or a followed SQLStore.
			rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithCacheTTL(-1))
			if err != nil {
				t.Fatal(err)
			}
			const cust = "cus_race"
			first := make(chan bool, 1)
			go func() {
				ok, _, err := rm.Has(ctx, cust, "advanced-analytics")
				if err != nil {
					t.Error(err)
				}
				first <- ok
			}()
			<-reached // the server answered false (the free plan); the answer is not stored yet
			if _, err := admin.Subscription.Change(ctx, "pro", guapocado.ForCustomer(cust)); err != nil {
				t.Fatal(err)
			}
			if err := rm.Project(ctx, entitlementsEvent("evt_race", cust, srv.Now())); err != nil {
				t.Fatal(err)
			}
			close(release)
			if ok := <-first; ok {
				t.Fatal("the read in flight answered true; it was sent before the plan changed")
			}
			ok, m, err := rm.Has(ctx, cust, "advanced-analytics")
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Fatalf("Has after the entitlements.updated event = false (local %v, as of %s): the answer fetched before the event was stored and served",
					m.Local, m.AsOf.Format(time.RFC3339Nano))
			}
		})
	}
}
