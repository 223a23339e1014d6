package readmodel

import (
	"bytes"
	"context"
	"sort"
	"strings"
	"sync"
	"time"
)

// MemoryStore is a [Store] in process memory: the default, for tests,
// development and single-instance deployments that can rebuild the read
// model after a restart. It is safe for concurrent use and builds for every
// platform Go does, GOOS=js GOARCH=wasm included.
//
// Its memory is bounded by what it holds: expired claims are purged as new
// ones arrive (each sweep runs after the number of claims has doubled since
// the previous one, so the cost per Claim stays constant), and tombstones
// can be dropped with [MemoryStore.PurgeTombstones].
type MemoryStore struct {
	now func() time.Time

	mu      sync.RWMutex
	records map[string]memRecord

	claimMu   sync.Mutex
	claims    map[string]memClaim
	nextSweep int

	secretMu sync.Mutex
	secrets  map[string]memSecret // SecretStore; made on first use
}

type memRecord struct {
	value     []byte
	source    int64
	rank      int64
	written   int64
	tombstone bool
}

// memClaim is a claim's expiry (Unix nanoseconds) and whether it was
// completed.
type memClaim struct {
	expires int64
	done    bool
}

var _ Store = (*MemoryStore)(nil)

// NewMemoryStore returns an empty MemoryStore. Its only option is
// [WithClock].
func NewMemoryStore(opts ...MemoryOption) *MemoryStore {
	c := newMemoryConfig(opts)
	return &MemoryStore{
		now:       c.now,
		records:   make(map[string]memRecord),
		claims:    make(map[string]memClaim),
		nextSweep: minSweep,
	}
}

const minSweep = 64

// Get implements [Store.Get].
func (m *MemoryStore) Get(ctx context.Context, key string) (Record, bool, error) {
	if err := checkGet(ctx, key); err != nil {
		return Record{}, false, err
	}
	m.mu.RLock()
	r, ok := m.records[key]
	m.mu.RUnlock()
	if !ok || r.tombstone {
		return Record{}, false, nil
	}
	return r.record(key), true, nil
}

func (r memRecord) record(key string) Record {
	return Record{
		Key:        key,
		Value:      bytes.Clone(r.value),
		SourceTime: fromUnixNano(r.source),
		WrittenAt:  fromUnixNano(r.written),
		Rank:       r.rank,
	}
}

// Put implements [Store.Put].
func (m *MemoryStore) Put(ctx context.Context, rec Record) (bool, error) {
	if err := checkPut(ctx, rec); err != nil {
		return false, err
	}
	written := rec.WrittenAt
	if written.IsZero() {
		written = m.now()
	}
	return m.write(rec.Key, memRecord{
		value:   bytes.Clone(rec.Value),
		source:  unixNano(rec.SourceTime),
		rank:    rec.Rank,
		written: unixNano(written),
	}), nil
}

// Delete implements [Store.Delete].
func (m *MemoryStore) Delete(ctx context.Context, key string, sourceTime time.Time) (bool, error) {
	if err := checkDelete(ctx, key, sourceTime); err != nil {
		return false, err
	}
	return m.write(key, memRecord{
		source:    unixNano(sourceTime),
		rank:      deleteRank,
		written:   unixNano(m.now()),
		tombstone: true,
	}), nil
}

func (m *MemoryStore) write(key string, r memRecord) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	if old, ok := m.records[key]; ok && (old.source > r.source || old.source == r.source && old.rank > r.rank) {
		return false
	}
	m.records[key] = r
	return true
}

// List implements [Store.List].
func (m *MemoryStore) List(ctx context.Context, prefix string) ([]Record, error) {
	if err := checkList(ctx, prefix); err != nil {
		return nil, err
	}
	m.mu.RLock()
	out := []Record{}
	for k, r := range m.records {
		if !r.tombstone && strings.HasPrefix(k, prefix) {
			out = append(out, r.record(k))
		}
	}
	m.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Claim implements [Store.Claim].
func (m *MemoryStore) Claim(ctx context.Context, id string, ttl time.Duration) (bool, error) {
	if err := checkClaim(ctx, id, ttl); err != nil {
		return false, err
	}
	now := unixNano(m.now())
	m.claimMu.Lock()
	defer m.claimMu.Unlock()
	if c, ok := m.claims[id]; ok && c.expires > now {
		return false, nil
	}
	m.claims[id] = memClaim{expires: expiry(now, ttl)}
	if len(m.claims) >= m.nextSweep {
		m.sweepLocked(now)
	}
	return true, nil
}

// expiry adds ttl to now without overflowing: a claim whose end is past
// what int64 nanoseconds hold never expires.
func expiry(now int64, ttl time.Duration) int64 {
	if now > 1<<63-1-int64(ttl) {
		return 1<<63 - 1
	}
	return now + int64(ttl)
}

func (m *MemoryStore) sweepLocked(now int64) {
	for id, c := range m.claims {
		if c.expires <= now {
			delete(m.claims, id)
		}
	}
	m.nextSweep = max(2*len(m.claims), minSweep)
}

// PurgeExpiredClaims drops every claim whose ttl has passed and returns how
// many it dropped. Claim does this by itself as claims accumulate; call it
// to free memory at a moment of your choosing.
func (m *MemoryStore) PurgeExpiredClaims() int {
	now := unixNano(m.now())
	m.claimMu.Lock()
	defer m.claimMu.Unlock()
	before := len(m.claims)
	m.sweepLocked(now)
	return before - len(m.claims)
}

// PurgeTombstones drops the tombstones of deletes whose SourceTime is
// before cutoff and returns how many it dropped. After that a late Put older
// than such a delete is accepted again, so choose a cutoff older than any
// event that can still be delivered late.
func (m *MemoryStore) PurgeTombstones(cutoff time.Time) int {
	c := unixNano(cutoff)
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for k, r := range m.records {
		if r.tombstone && r.source < c {
			delete(m.records, k)
			n++
		}
	}
	return n
}

// Len reports how many live records and how many unexpired-or-unswept
// claims the store holds, for monitoring memory use.
func (m *MemoryStore) Len() (records, claims int) {
	m.mu.RLock()
	for _, r := range m.records {
		if !r.tombstone {
			records++
		}
	}
	m.mu.RUnlock()
	m.claimMu.Lock()
	claims = len(m.claims)
	m.claimMu.Unlock()
	return records, claims
}

// Complete implements [Store.Complete].
func (m *MemoryStore) Complete(ctx context.Context, id string, ttl time.Duration) error {
	if err := checkClaim(ctx, id, ttl); err != nil {
		return err
	}
	now := unixNano(m.now())
	m.claimMu.Lock()
	m.claims[id] = memClaim{expires: expiry(now, ttl), done: true}
	m.claimMu.Unlock()
	return nil
}

// Completed implements [Store.Completed].
func (m *MemoryStore) Completed(ctx context.Context, id string) (bool, error) {
	if err := checkGet(ctx, id); err != nil {
		return false, err
	}
	now := unixNano(m.now())
	m.claimMu.Lock()
	c, ok := m.claims[id]
	m.claimMu.Unlock()
	return ok && c.done && c.expires > now, nil
}

// Release implements [Store.Release]: it forgets the claim of id unless id
// was completed.
func (m *MemoryStore) Release(ctx context.Context, id string) error {
	if err := checkGet(ctx, id); err != nil {
		return err
	}
	m.claimMu.Lock()
	if c, ok := m.claims[id]; ok && !c.done {
		delete(m.claims, id)
	}
	m.claimMu.Unlock()
	return nil
}
