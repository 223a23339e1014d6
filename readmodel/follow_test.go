package readmodel_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/readmodel"
)

// feedStore is a MemoryStore shared by several read models, as a database
// is by several instances, with a change feed of its writes; its polls fail
// while failing is set.
type feedStore struct {
	*readmodel.MemoryStore
	mu      sync.Mutex
	log     []readmodel.KeyVersion
	failing bool
}

var _ readmodel.ChangeFeed = (*feedStore)(nil)

func (s *feedStore) note(key string) {
	s.mu.Lock()
	s.log = append(s.log, readmodel.KeyVersion{Key: key, Version: int64(len(s.log) + 1)})
	s.mu.Unlock()
}

func (s *feedStore) Put(ctx context.Context, rec readmodel.Record) (bool, error) {
	won, err := s.MemoryStore.Put(ctx, rec)
	if won {
		s.note(rec.Key)
	}
	return won, err
}

func (s *feedStore) Delete(ctx context.Context, key string, at time.Time) (bool, error) {
	won, err := s.MemoryStore.Delete(ctx, key, at)
	if won {
		s.note(key)
	}
	return won, err
}

func (s *feedStore) Changes(_ context.Context, cursor int64) ([]readmodel.KeyVersion, int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failing {
		return nil, cursor, errors.New("the database is unreachable")
	}
	next := int64(len(s.log)) + 1
	if cursor == 0 {
		return nil, next, nil
	}
	return append([]readmodel.KeyVersion(nil), s.log[cursor-1:]...), next, nil
}

func (s *feedStore) fail(on bool) { s.mu.Lock(); s.failing = on; s.mu.Unlock() }

// TestFollow: two read models share a store; B follows it. B serves from
// its process cache, drops what A changes, and, while its polls fail,
// reads the store on every call instead of trusting its cache.
func TestFollow(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The server's clock moves only when told, and its answers' Date with
	// it: each step below is a second of its own, so no two balances tie.
	srv := guapocadotest.NewServer(guapocadotest.WithClockSkew(0))
	defer srv.Close()
	srv.SetNow(time.Now())
	store := &feedStore{MemoryStore: readmodel.NewMemoryStore()}
	var errs sync.Map
	a, _ := platformModelOn(t, srv, readmodel.WithStore(store))
	b, _ := platformModelOn(t, srv, readmodel.WithStore(store), readmodel.WithErrorHandler(func(err error) { errs.Store(err.Error(), true) }))

	if err := a.Follow(ctx, 0); !errors.Is(err, readmodel.ErrInvalidArgument) {
		t.Fatalf("Follow with interval 0 = %v, want ErrInvalidArgument", err)
	}
	mem, _ := platformModelOn(t, srv)
	if err := mem.Follow(ctx, time.Millisecond); !errors.Is(err, readmodel.ErrInvalidArgument) {
		t.Fatalf("Follow on a MemoryStore = %v, want ErrInvalidArgument (no change feed)", err)
	}
	followed := make(chan error, 1)
	go func() { followed <- b.Follow(ctx, time.Millisecond) }()
	for !b.Following() {
		time.Sleep(time.Millisecond)
	}

	const cust = "cus_follow"
	balance := func(m *readmodel.ReadModel) int64 {
		t.Helper()
		u, _, err := m.Balance(ctx, cust, "api-calls")
		if err != nil {
			t.Fatal(err)
		}
		return u.Consumed
	}
	if got := balance(b); got != 0 {
		t.Fatalf("first balance consumed %d", got)
	}
	srv.Advance(time.Second)
	if _, err := a.Consume(ctx, cust, "api-calls", 3); err != nil { // A writes the store
		t.Fatal(err)
	}
	for balance(b) != 3 { // until B's next poll drops its cached balance
		time.Sleep(time.Millisecond)
	}
	balance(b) // cached now: nothing changes any more

	store.fail(true)
	const pollErr = "readmodel: follow the store's changes: the database is unreachable"
	for _, reported := errs.Load(pollErr); !reported || b.Following(); _, reported = errs.Load(pollErr) {
		time.Sleep(time.Millisecond) // until a failed poll was reported and the cache is no longer trusted
	}
	srv.Advance(time.Second)
	if _, err := a.Consume(ctx, cust, "api-calls", 4); err != nil {
		t.Fatal(err)
	}
	if got := balance(b); got != 7 {
		t.Fatalf("while B's polls fail it served consumed %d from its cache; want 7 from the store", got)
	}
	store.fail(false)
	for !b.Following() {
		time.Sleep(time.Millisecond)
	}
	if err := b.Follow(ctx, time.Millisecond); !errors.Is(err, readmodel.ErrInvalidArgument) {
		t.Fatalf("a second Follow = %v, want ErrInvalidArgument", err)
	}
	cancel()
	if err := <-followed; !errors.Is(err, context.Canceled) {
		t.Fatalf("Follow returned %v after its context ended, want context.Canceled", err)
	}
	if b.Following() {
		t.Fatal("Following after Follow returned")
	}
}
