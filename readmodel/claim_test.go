package readmodel_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// TestEventNotLostWhenItsInstanceStalls: instance A takes a delivery and
// stalls inside a hook (slow, or about to die). The platform's redeliveries
// reach instance B, sharing the store: B must not answer 200 while the
// event is unprocessed, must take it over once A's lease has passed, and
// only then answer 200; later redeliveries are duplicates.
func TestEventNotLostWhenItsInstanceStalls(t *testing.T) {
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{t: time.Now()}
	store := readmodel.NewMemoryStore(readmodel.WithClock(clock.now))
	const secret = "whsec_lease"
	inA, stuck := make(chan struct{}), make(chan struct{})
	var ranB atomic.Int64
	newInstance := func(onEvent func(context.Context, *readmodel.Event) error) http.Handler {
		rm, err := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithClock(clock.now),
			readmodel.WithClaimLease(30*time.Second), readmodel.WithHooks(readmodel.Hooks{OnEvent: onEvent}))
		if err != nil {
			t.Fatal(err)
		}
		h, err := rm.WebhookHandler(secret, readmodel.Endpoint{})
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	a := newInstance(func(context.Context, *readmodel.Event) error {
		close(inA)
		<-stuck
		return errors.New("instance A gave up")
	})
	b := newInstance(func(context.Context, *readmodel.Event) error { ranB.Add(1); return nil })

	payload := guapocadotest.WebhookPayload("evt_stall", "customer.updated", clock.now(),
		map[string]any{"customer": map[string]any{"id": "cus_1", "name": "Ada"}})
	deliver := func(h http.Handler) int {
		req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/guap", secret, time.Now(), payload)
		if err != nil {
			t.Fatal(err)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Code
	}
	aDone := make(chan int)
	go func() { aDone <- deliver(a) }()
	<-inA // A holds the claim, inside its hook

	for i := 0; i < 3; i++ {
		if code := deliver(b); code == http.StatusOK {
			t.Fatalf("redelivery %d to B while A holds the unprocessed event answered 200: the event would be lost", i+1)
		}
		clock.add(5 * time.Second)
	}
	if ranB.Load() != 0 {
		t.Fatal("B ran the hook while A's lease was live")
	}
	clock.add(30 * time.Second) // A's lease has passed: A is presumed dead
	if code := deliver(b); code != http.StatusOK {
		t.Fatalf("redelivery to B after A's lease answered %d, want 200 (taken over and processed)", code)
	}
	if ranB.Load() != 1 {
		t.Fatalf("B ran the hook %d times, want 1", ranB.Load())
	}
	if code := deliver(b); code != http.StatusOK || ranB.Load() != 1 {
		t.Fatalf("a redelivery after B processed it answered %d and ran the hook %d times; want 200, once", code, ranB.Load())
	}
	close(stuck)
	if code := <-aDone; code != http.StatusInternalServerError {
		t.Errorf("A's own delivery answered %d, want 500 (its hook failed)", code)
	}
	// A's failure released nothing B completed.
	if code := deliver(b); code != http.StatusOK || ranB.Load() != 1 {
		t.Fatalf("after A failed: answer %d, hook ran %d times on B; want 200, once", code, ranB.Load())
	}
}

// TestProjectInProgress: Project of an event claimed and not completed
// returns ErrEventInProgress.
func TestProjectInProgress(t *testing.T) {
	ctx := context.Background()
	srv := guapocadotest.NewServer()
	defer srv.Close()
	api, _ := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	store := readmodel.NewMemoryStore()
	entered, release := make(chan struct{}), make(chan struct{})
	slow, _ := readmodel.New(&api.Billing, readmodel.WithStore(store), readmodel.WithHooks(readmodel.Hooks{
		OnEvent: func(context.Context, *readmodel.Event) error { close(entered); <-release; return nil }}))
	other, _ := readmodel.New(&api.Billing, readmodel.WithStore(store))
	ev := entitlementsEvent("evt_busy", "cus_1", time.Now())
	done := make(chan error)
	go func() { done <- slow.Project(ctx, ev) }()
	<-entered
	if err := other.Project(ctx, ev); !errors.Is(err, readmodel.ErrEventInProgress) {
		t.Fatalf("Project while another holds the event = %v, want ErrEventInProgress", err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := other.Project(ctx, ev); err != nil {
		t.Fatalf("Project of a completed event = %v, want nil (a duplicate)", err)
	}
	if st := other.Status(readmodel.Endpoint{}); st.Duplicates != 1 {
		t.Fatalf("duplicates = %d, want 1", st.Duplicates)
	}
}
