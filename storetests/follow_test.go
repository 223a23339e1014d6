package storetests

import (
	"context"
	"fmt"
	"math/rand"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
	"github.com/guapocado/guapocado-go/readmodel"
)

// followInterval is how often the instances of these tests poll the
// store's change feed.
const followInterval = 20 * time.Millisecond

// followedModels returns n read models, each on its own pool of one
// PostgreSQL database and the same tables, as n instances of a service
// have, each following the store's changes, with its webhook handler.
func followedModels(t *testing.T, n int, api *guapocado.APIClient, secret string) ([]*readmodel.ReadModel, []http.Handler) {
	t.Helper()
	first := openPG(t)
	prefix := pgPrefix(t, first)
	ctx, cancel := context.WithCancel(context.Background())
	models := make([]*readmodel.ReadModel, n)
	handlers := make([]http.Handler, n)
	done := make(chan struct{}, n)
	t.Cleanup(func() {
		cancel()
		for range n {
			<-done
		}
	})
	for i := range n {
		db := first
		if i > 0 {
			db = openPG(t)
		}
		rm, err := readmodel.New(&api.Billing, readmodel.WithStore(newPGStore(t, db, prefix)), readmodel.WithMaxAge(time.Hour),
			readmodel.WithErrorHandler(func(err error) { t.Errorf("instance %d: %v", i, err) }))
		if err != nil {
			t.Fatal(err)
		}
		h, err := rm.WebhookHandler(secret, readmodel.Endpoint{})
		if err != nil {
			t.Fatal(err)
		}
		models[i], handlers[i] = rm, h
		go func() {
			defer func() { done <- struct{}{} }()
			if err := rm.Follow(ctx, followInterval); err != context.Canceled {
				t.Errorf("instance %d: Follow = %v", i, err)
			}
		}()
	}
	for _, rm := range models {
		for !rm.Following() {
			time.Sleep(time.Millisecond)
		}
	}
	return models, handlers
}

func usageEvent(id, cust string, balance int, at time.Time) []byte {
	return guapocadotest.WebhookPayload(id, "usage.updated", at, map[string]any{
		"customerId": cust, "key": "api-calls", "balance": balance, "included": 1 << 20, "consumed": 1<<20 - balance})
}

func deliver(t *testing.T, h http.Handler, secret string, payload []byte) {
	t.Helper()
	req, err := guapocadotest.NewWebhookRequest("http://127.0.0.1/guap", secret, time.Now(), payload)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("delivery answered %d %s", rec.Code, rec.Body)
	}
}

// TestPostgresFollowInvalidationDelay: three instances on one PostgreSQL,
// each following the store's changes and serving from process memory.
// 1,000 usage.updated events (each a newer balance of one of 20 customers)
// are delivered to one instance at random; after each, the other two read
// the balance until they see the new one. Then 200 consumes go through one
// instance at random (its answer written back), and the others read until
// they serve it. It reports how long that took (the invalidation delay:
// from the delivery's 200, or the consume's return, to the first read that
// shows it) and fails on any stale answer: a read, after an instance saw a
// balance, that shows an older one.
func TestPostgresFollowInvalidationDelay(t *testing.T) {
	testenv.NeedFull(t, "delivers 1,000 events to three read models on PostgreSQL")
	// The server's clock (and its answers' Date) moves only when told, so
	// the write-backs below each have a second of their own.
	srv := guapocadotest.NewServer(guapocadotest.WithClockSkew(0))
	defer srv.Close()
	srv.SetNow(time.Now())
	api, err := guapocado.NewAPIClient(srv.APIKey(), guapocado.WithAPIURL(srv.APIURL()))
	if err != nil {
		t.Fatal(err)
	}
	const secret, instances, customers, events, writes = "whsec_follow", 3, 20, 1000, 200
	models, handlers := followedModels(t, instances, api, secret)
	ctx := context.Background()
	run := time.Now().UnixNano()
	cust := func(c int) string { return fmt.Sprintf("cus_%d_%d", run, c) }
	balance := 0
	// seen[i][c] is the newest balance instance i has answered for customer c.
	var seen [instances][customers]int
	read := func(i, c int) (int, readmodel.Meta) {
		u, m, err := models[i].Balance(ctx, cust(c), "api-calls")
		if err != nil {
			t.Fatalf("instance %d: Balance: %v", i, err)
		}
		b := int(u.Balance)
		if b < seen[i][c] {
			t.Fatalf("instance %d served balance %d of customer %d after it had served %d: a stale answer", i, b, c, seen[i][c])
		}
		seen[i][c] = b
		return b, m
	}
	// Every customer has a stored balance before the measured events, so
	// no read goes to the server.
	for c := range customers {
		balance++
		deliver(t, handlers[0], secret, usageEvent(fmt.Sprintf("evt_%d_seed_%d", run, c), cust(c), balance, time.Now()))
	}
	rng := rand.New(rand.NewSource(1))
	delays := make([]time.Duration, 0, events*(instances-1))
	local := 0
	for e := range events {
		c, to := rng.Intn(customers), rng.Intn(instances)
		for i := range instances { // the readers have it cached
			read(i, c)
		}
		balance++
		deliver(t, handlers[to], secret, usageEvent(fmt.Sprintf("evt_%d_%d", run, e), cust(c), balance, time.Now()))
		delivered := time.Now()
		for i := range instances {
			if i == to {
				if b, _ := read(i, c); b != balance {
					t.Fatalf("event %d: the instance it was delivered to reads %d, want %d", e, b, balance)
				}
				continue
			}
			for {
				b, m := read(i, c)
				if b == balance {
					delays = append(delays, time.Since(delivered))
					if m.Local {
						local++
					}
					break
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	if local != len(delays) {
		t.Errorf("%d of %d answers came from the server; want every one from the store or the cache", len(delays)-local, len(delays))
	}
	report(t, "events projected", delays, events, instances)

	// Writes written back: a Consume through one instance at random (for
	// 20 other customers; the free plan includes 100), and the others read
	// the balance until they serve its answer.
	consumed := map[[2]int]int64{} // [instance, customer] -> the newest consumed served
	readUsage := func(i, c int) (int64, readmodel.Meta) {
		u, m, err := models[i].Balance(ctx, cust(customers+c), "api-calls")
		if err != nil {
			t.Fatalf("instance %d: Balance: %v", i, err)
		}
		if u.Consumed < consumed[[2]int{i, c}] {
			t.Fatalf("instance %d served %d consumed of customer %d after it had served %d: a stale answer", i, u.Consumed, c, consumed[[2]int{i, c}])
		}
		consumed[[2]int{i, c}] = u.Consumed
		return u.Consumed, m
	}
	delays = delays[:0]
	local = 0
	for w := range writes {
		c, to := rng.Intn(customers), rng.Intn(instances)
		for i := range instances {
			readUsage(i, c)
		}
		srv.Advance(time.Second)
		u, err := models[to].Consume(ctx, cust(customers+c), "api-calls", 1)
		if err != nil {
			t.Fatalf("write %d: %v", w, err)
		}
		written := time.Now()
		for i := range instances {
			if i == to {
				continue
			}
			for {
				got, m := readUsage(i, c)
				if got == u.Consumed {
					delays = append(delays, time.Since(written))
					if m.Local {
						local++
					}
					break
				}
				time.Sleep(100 * time.Microsecond)
			}
		}
	}
	if local != len(delays) {
		t.Errorf("%d of %d answers after a write-back came from the server; want every one from the store or the cache", len(delays)-local, len(delays))
	}
	report(t, "writes written back", delays, writes, instances)
}

// report logs the invalidation delay's percentiles.
func report(t *testing.T, what string, delays []time.Duration, n, instances int) {
	t.Helper()
	slices.Sort(delays)
	pct := func(p float64) time.Duration {
		return delays[int(p*float64(len(delays)-1))].Round(10 * time.Microsecond)
	}
	t.Logf("%s: invalidation delay over %d reads (%d changes, %d instances, Follow every %s): p50 %s, p99 %s, max %s; 0 stale answers",
		what, len(delays), n, instances, followInterval, pct(0.50), pct(0.99), pct(1))
}
