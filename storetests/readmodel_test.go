package storetests

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/readmodel/storetest"
)

func TestSQLiteReadModelDifferential(t *testing.T) {
	storetest.RunDifferential(t, func(t *testing.T) readmodel.Store {
		return newSQLiteStore(t, openSQLite(t, filepath.Join(t.TempDir(), "rm.db")))
	})
}

func TestPostgresReadModelDifferential(t *testing.T) {
	db := openPG(t)
	storetest.RunDifferential(t, func(t *testing.T) readmodel.Store {
		return newPGStore(t, db, pgPrefix(t, db))
	})
}

// TestPostgresTwoHandlersOneEvent: two service instances, each with a read
// model and its webhook handler on its own pool of one PostgreSQL database,
// receive the same signed event at the same moment, 100 times. Each event
// must be projected once and its hooks fire once, a delivery answers 200
// only once the event was processed (the other one answers 500 while it
// is in progress, and its retry 200), and both instances must then read
// the same state.
func TestPostgresTwoHandlersOneEvent(t *testing.T) {
	storeA, storeB := twoPools(t)
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	const secret = "whsec_two_instances"
	var onEvent, onSubscribe atomic.Int64
	hooks := readmodel.Hooks{
		OnEvent: func(context.Context, *readmodel.Event) error { onEvent.Add(1); return nil },
		OnSubscribe: func(context.Context, *readmodel.Event, *guapocado.Subscription, *guapocado.Subscription) error {
			onSubscribe.Add(1)
			return nil
		},
	}
	var handlers [2]http.Handler
	var models [2]*readmodel.ReadModel
	for i, s := range []readmodel.Store{storeA, storeB} {
		rm, err := readmodel.New(&api.Billing, readmodel.WithStore(s), readmodel.WithHooks(hooks))
		if err != nil {
			t.Fatal(err)
		}
		h, err := rm.WebhookHandler(secret, readmodel.Endpoint{ID: fmt.Sprintf("we_%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		models[i], handlers[i] = rm, h
	}
	ctx := context.Background()
	run := time.Now().UnixNano()
	retried := 0
	const n = 100
	for i := 0; i < n; i++ {
		cust := fmt.Sprintf("cus_%d_%d", run, i)
		payload := guapocadotest.WebhookPayload(fmt.Sprintf("evt_%d_%d", run, i), "subscription.updated", time.Now(),
			map[string]any{"subscription": map[string]any{"id": "sub_" + cust, "customerId": cust, "planKey": "pro",
				"status": "active", "cancelAtPeriodEnd": false}})
		var wg sync.WaitGroup
		codes := make([]int, 2)
		start := make(chan struct{})
		for j := range handlers {
			req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/guap", secret, time.Now(), payload)
			if err != nil {
				t.Fatal(err)
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				rec := httptest.NewRecorder()
				handlers[j].ServeHTTP(rec, req)
				codes[j] = rec.Code
			}()
		}
		close(start)
		wg.Wait()
		// One processes the event; the other finds it done (200) or still
		// being processed (500, so the sender retries: 200 only once the
		// event was processed somewhere).
		for j, code := range codes {
			if code == http.StatusInternalServerError {
				retried++
				req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/guap", secret, time.Now(), payload)
				if err != nil {
					t.Fatal(err)
				}
				rec := httptest.NewRecorder()
				handlers[j].ServeHTTP(rec, req)
				code = rec.Code
			}
			if code != http.StatusOK {
				t.Fatalf("event %d: instance %d answered %d (after a retry), want 200", i, j, code)
			}
		}
		for j, rm := range models {
			sub, m, err := rm.Subscription(ctx, cust)
			if err != nil || sub == nil || sub.PlanKey != "pro" || !m.Local {
				t.Fatalf("event %d, instance %d: Subscription = %+v, %+v, %v; want the event's, from the store", i, j, sub, m, err)
			}
		}
	}
	a, b := models[0].Status(readmodel.Endpoint{}), models[1].Status(readmodel.Endpoint{})
	if a.Processed+b.Processed != n || a.Duplicates+b.Duplicates != n {
		t.Errorf("processed %d+%d, duplicates %d+%d; want %d and %d in all", a.Processed, b.Processed, a.Duplicates, b.Duplicates, n, n)
	}
	if onEvent.Load() != n || onSubscribe.Load() != n {
		t.Errorf("OnEvent fired %d times, OnSubscribe %d; want %d each", onEvent.Load(), onSubscribe.Load(), n)
	}
	t.Logf("instance A processed %d, instance B %d; %d deliveries found the event in progress and were retried", a.Processed, b.Processed, retried)
}

func TestSQLiteRegistration(t *testing.T) {
	storetest.RunRegistration(t, func(t *testing.T) readmodel.Store {
		return newSQLiteStore(t, openSQLite(t, filepath.Join(t.TempDir(), "reg.db")))
	})
}

func TestPostgresRegistration(t *testing.T) {
	db := openPG(t)
	storetest.RunRegistration(t, func(t *testing.T) readmodel.Store {
		return newPGStore(t, db, pgPrefix(t, db))
	})
}
