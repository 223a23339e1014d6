package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// The keys of guapocadotest's default catalogue the differential test uses.
var (
	diffFeatures = []string{"advanced-analytics", "csv-export"}
	diffMeters   = []string{"api-calls", "ai-credits"}
	diffLimits   = []string{"seats", "projects"}
	diffPlans    = []string{"free", "pro"}
)

// diffMaxAge is the read model's MaxAge in the differential test: no
// answer may be older.
const diffMaxAge = time.Hour

// RunDifferential is the read model's differential test on the store
// newStore makes: random sequences of consumes, refunds, plan changes,
// purchases and settings go to guapocadotest, some through a read model on
// that store and some straight to the fake (as another service instance
// would), while the fake delivers its webhooks to the read model's handler
// with duplicates, reordering and a held-back tail. After the deliveries
// settle, every answer of the read model (Has, Limit, Balance,
// Subscription, Snapshot, Plans, Purchases) must equal the fake's own
// answer for the same call, and no answer may be older than MaxAge.
func RunDifferential(t *testing.T, newStore func(t *testing.T) readmodel.Store) {
	for _, seed := range []int64{1, 2, 3} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			runDifferential(t, newStore(t), seed)
		})
	}
}

func runDifferential(t *testing.T, store readmodel.Store, seed int64) {
	ctx := context.Background()
	const secret = "whsec_differential"
	var handler atomic.Value // http.Handler, set once the read model exists
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	defer hs.Close()
	srv := guapocadotest.NewServer(
		guapocadotest.WithWebhookEndpoint(hs.URL, secret),
		guapocadotest.WithWebhookFaults(guapocadotest.WebhookFaults{Seed: seed, Duplicate: 0.3, Reorder: 0.3}),
	)
	defer srv.Close()

	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()), guapocado.WithRetry(0, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	var storeErrs atomic.Int64
	rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithMaxAge(diffMaxAge),
		readmodel.WithErrorHandler(func(err error) { storeErrs.Add(1); t.Errorf("read model error: %v", err) }))
	if err != nil {
		t.Fatal(err)
	}
	h, err := rm.WebhookHandler(secret, readmodel.Endpoint{})
	if err != nil {
		t.Fatal(err)
	}
	handler.Store(h)

	rng := rand.New(rand.NewSource(seed))
	customers := []string{fmt.Sprintf("cus_a%d", seed), fmt.Sprintf("cus_b%d", seed)}
	pick := func(l []string) string { return l[rng.Intn(len(l))] }
	for round := 0; round < 4; round++ {
		for i := 0; i < 30; i++ {
			c := pick(customers)
			direct := rng.Intn(3) == 0 // as another instance would: straight to the server
			switch op := rng.Intn(8); op {
			case 0, 1:
				k, n := pick(diffMeters), int64(1+rng.Intn(4))
				if direct {
					_, err = api.Usage.Consume(ctx, k, n, guapocado.ForCustomer(c))
				} else {
					_, err = rm.Consume(ctx, c, k, n)
				}
			case 2:
				k, n := pick(diffMeters), int64(1+rng.Intn(3))
				if direct {
					_, err = api.Usage.Refund(ctx, k, n, guapocado.ForCustomer(c))
				} else {
					_, err = rm.Refund(ctx, c, k, n)
				}
			case 3:
				p := pick(diffPlans)
				if direct {
					_, err = api.Subscription.Change(ctx, p, guapocado.ForCustomer(c))
				} else {
					_, err = rm.ChangePlan(ctx, c, p)
				}
			case 4:
				_, err = srv.AddPurchase(c, "credits-pack")
			case 5:
				k, on := pick(diffMeters), rng.Intn(2) == 0
				if direct {
					_, err = api.Usage.Configure(ctx, k, guapocado.UsageSettings{OverageEnabled: on}, guapocado.ForCustomer(c))
				} else {
					_, err = rm.ConfigureUsage(ctx, c, k, guapocado.UsageSettings{OverageEnabled: on})
				}
			case 6:
				// Limit settings send no webhook: only the read model's own
				// writes are guaranteed to be seen, so they go through it.
				// Switching auto-expansion on is refused (400) on a plan that
				// allows no expansion of that limit; nothing changes then.
				_, err = rm.ConfigureLimit(ctx, c, pick(diffLimits), guapocado.LimitSettings{AutoExpansionEnabled: guapocado.Ptr(rng.Intn(2) == 0)})
				if errors.Is(err, guapocado.ErrInvalidRequest) {
					err = nil
				}
			case 7: // reads, which fill the store between writes
				_, _, err = rm.Snapshot(ctx, c, &guapocado.SnapshotParams{Features: diffFeatures, Usage: diffMeters, Limits: diffLimits})
			}
			if err != nil && !errors.Is(err, guapocado.ErrInsufficientBalance) {
				t.Fatalf("round %d op %d: %v", round, i, err)
			}
		}
		srv.FlushWebhooks()
		for _, c := range customers {
			compareAll(t, ctx, rm, api, c)
		}
	}
	dup := 0
	for _, d := range srv.WebhookDeliveries() {
		if d.Status != http.StatusOK {
			t.Errorf("delivery %s %s answered %d %s", d.EventID, d.Type, d.Status, d.Err)
		}
		dup++
	}
	if st := rm.Status(readmodel.Endpoint{}); st.Duplicates == 0 || st.Processed == 0 {
		t.Errorf("status %+v: want processed events and skipped duplicates (%d deliveries)", st, dup)
	}
}

// compareAll checks every answer of rm for customer c against the server's.
func compareAll(t *testing.T, ctx context.Context, rm *readmodel.ReadModel, api *guapocado.APIClient, c string) {
	t.Helper()
	as := guapocado.ForCustomer(c)
	check := func(what string, got, want any, m readmodel.Meta) {
		t.Helper()
		g, _ := json.Marshal(got)
		w, _ := json.Marshal(want)
		if string(g) != string(w) {
			t.Errorf("%s of %s: read model %s (local %v, as of %s), server %s", what, c, g, m.Local, m.AsOf.Format(time.RFC3339Nano), w)
		}
		if m.Age > diffMaxAge || m.Age < 0 {
			t.Errorf("%s of %s: age %s, MaxAge %s", what, c, m.Age, diffMaxAge)
		}
	}
	for _, k := range diffFeatures {
		got, m, err := rm.Has(ctx, c, k)
		want, err2 := api.Has(ctx, k, as)
		if err != nil || err2 != nil {
			t.Fatalf("Has %s: %v / %v", k, err, err2)
		}
		check("Has "+k, got, want, m)
	}
	for _, k := range diffMeters {
		got, m, err := rm.Balance(ctx, c, k)
		want, err2 := api.Usage.Balance(ctx, k, as)
		if err != nil || err2 != nil {
			t.Fatalf("Balance %s: %v / %v", k, err, err2)
		}
		check("Balance "+k, got, want, m)
	}
	for _, k := range diffLimits {
		got, m, err := rm.Limit(ctx, c, k)
		want, err2 := api.Limit(ctx, k, as)
		if err != nil || err2 != nil {
			t.Fatalf("Limit %s: %v / %v", k, err, err2)
		}
		check("Limit "+k, got, want, m)
	}
	got, m, err := rm.Subscription(ctx, c)
	want, err2 := api.Subscription.Current(ctx, as)
	if err != nil || err2 != nil {
		t.Fatalf("Subscription: %v / %v", err, err2)
	}
	check("Subscription", got, want, m)

	params := &guapocado.SnapshotParams{Features: diffFeatures, Usage: diffMeters, Limits: diffLimits}
	snap, m, err := rm.Snapshot(ctx, c, params)
	wantSnap, err2 := api.Snapshot(ctx, params, as)
	if err != nil || err2 != nil {
		t.Fatalf("Snapshot: %v / %v", err, err2)
	}
	check("Snapshot", snap, wantSnap, m)

	plans, m, err := rm.Plans(ctx)
	wantPlans, err2 := api.Plans.List(ctx)
	if err != nil || err2 != nil {
		t.Fatalf("Plans: %v / %v", err, err2)
	}
	check("Plans", plans, wantPlans, m)

	purchases, m, err := rm.Purchases(ctx, c)
	wantPurchases, err2 := api.Purchases.List(ctx, as)
	if err != nil || err2 != nil {
		t.Fatalf("Purchases: %v / %v", err, err2)
	}
	check("Purchases", purchases, wantPurchases, m)
}
