package readmodel_test

import (
	"context"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/webhook"
)

// TestEventWithoutCreatedAtAges: an event without createdAt loses every
// last-write-wins race, but what it stores ages from the moment it was
// stored: it is served while fresh, with an Age that is never negative,
// and asked from the server again once MaxAge has passed.
func TestEventWithoutCreatedAtAges(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rm, _, srv := platformModel(t, readmodel.WithClock(clock.now), readmodel.WithMaxAge(time.Minute))
	ctx := context.Background()
	project(t, rm, event(t, "evt_no_time", webhook.EventUsageUpdated, time.Time{},
		map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": 42, "included": 100, "consumed": 58}))

	clock.add(10 * time.Second)
	u, m, err := rm.Balance(ctx, "cus_1", "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Local || u.Balance != 42 {
		t.Fatalf("Balance = %d, local %v; want the event's 42 from the store", u.Balance, m.Local)
	}
	if m.Age != 10*time.Second {
		t.Fatalf("Age = %s, want 10s (since the event was stored)", m.Age)
	}

	clock.add(time.Minute)
	before := len(srv.Requests())
	u, m, err = rm.Balance(ctx, "cus_1", "api-calls")
	if err != nil {
		t.Fatal(err)
	}
	if m.Local || len(srv.Requests()) == before {
		t.Fatalf("70 s after it was stored (MaxAge 1 min) the balance was served locally (%d, age %s)", u.Balance, m.Age)
	}
	if m.Age < 0 {
		t.Fatalf("Age %s is negative", m.Age)
	}
}

// TestAgeNeverNegative: an event stamped ahead of the read model's clock
// (a sender whose clock runs ahead) is not served with a negative Age, and
// does not stay fresh beyond MaxAge from the moment it was stored.
func TestAgeNeverNegative(t *testing.T) {
	clock := &testClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	rm, _, _ := platformModel(t, readmodel.WithClock(clock.now), readmodel.WithMaxAge(time.Minute))
	ctx := context.Background()
	project(t, rm, event(t, "evt_ahead", webhook.EventUsageUpdated, clock.now().Add(time.Hour),
		map[string]any{"customerId": "cus_1", "key": "api-calls", "balance": 7}))
	u, m, err := rm.Balance(ctx, "cus_1", "api-calls")
	if err != nil || !m.Local || u.Balance != 7 {
		t.Fatalf("Balance = %v, %+v, %v; want 7 from the store", u, m, err)
	}
	if m.Age < 0 {
		t.Fatalf("Age = %s, negative", m.Age)
	}
	clock.add(61 * time.Second)
	if _, m, err = rm.Balance(ctx, "cus_1", "api-calls"); err != nil || m.Local {
		t.Fatalf("61 s after it was stored: local %v, err %v; want a server answer", m.Local, err)
	}
}
