package readmodel_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/readmodel"
	"github.com/guapocado/guapocado-go/readmodel/storetest"
)

func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) readmodel.Store { return readmodel.NewMemoryStore() })
}

// fakeClock is a clock that only moves when told.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

func TestMemoryStoreClaimsStayBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := readmodel.NewMemoryStore(readmodel.WithClock(clock.now))
	ctx := context.Background()
	// 100 000 distinct events, each deduplicated for one minute, arriving
	// one per millisecond: at most ~60 000 can be live at once.
	peak := 0
	for i := 0; i < 100_000; i++ {
		first, err := s.Claim(ctx, fmt.Sprintf("evt_%d", i), time.Minute)
		if err != nil || !first {
			t.Fatalf("Claim %d = (%v, %v)", i, first, err)
		}
		clock.add(time.Millisecond)
		if _, n := s.Len(); n > peak {
			peak = n
		}
	}
	if peak > 2*60_000+64 {
		t.Fatalf("claims held peaked at %d; expired ones are not being purged", peak)
	}
	clock.add(time.Minute)
	if n := s.PurgeExpiredClaims(); n == 0 {
		t.Fatal("PurgeExpiredClaims dropped nothing after every ttl had passed")
	}
	if _, n := s.Len(); n != 0 {
		t.Fatalf("%d claims left after all expired and were purged", n)
	}
}

func TestMemoryStoreClaimExpiryWithClock(t *testing.T) {
	clock := &fakeClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
	s := readmodel.NewMemoryStore(readmodel.WithClock(clock.now))
	ctx := context.Background()
	claim := func() bool {
		first, err := s.Claim(ctx, "evt_1", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return first
	}
	if !claim() {
		t.Fatal("first claim not first")
	}
	clock.add(time.Hour - time.Nanosecond)
	if claim() {
		t.Fatal("claim 1ns before expiry was first")
	}
	clock.add(time.Nanosecond)
	if !claim() {
		t.Fatal("claim at expiry was not first")
	}
}

func TestMemoryStorePurgeTombstones(t *testing.T) {
	s := readmodel.NewMemoryStore()
	ctx := context.Background()
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 10; i++ {
		if _, err := s.Delete(ctx, readmodel.Key("c", "feature", fmt.Sprint(i)), t0.Add(time.Duration(i)*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if n := s.PurgeTombstones(t0.Add(5 * time.Hour)); n != 5 {
		t.Fatalf("PurgeTombstones dropped %d, want the 5 older than the cutoff", n)
	}
	// A late Put older than a purged delete is accepted again; one older
	// than a kept delete still loses.
	won, _ := s.Put(ctx, readmodel.Record{Key: readmodel.Key("c", "feature", "0"), Value: []byte(`1`), SourceTime: t0.Add(-time.Hour)})
	if !won {
		t.Fatal("Put after its tombstone was purged lost")
	}
	won, _ = s.Put(ctx, readmodel.Record{Key: readmodel.Key("c", "feature", "9"), Value: []byte(`1`), SourceTime: t0})
	if won {
		t.Fatal("Put older than a kept tombstone won")
	}
}
