package readmodel

import (
	"context"
	"fmt"
	"time"
)

// The process cache in front of the store: decoded entries by ckey, and
// per customer a generation that every drop raises. A read or a write
// that goes to the store notes the generation first and caches what it got
// only if it has not moved since, so an invalidation that ran meanwhile
// (here, or seen from another instance by Follow) is never undone by an
// answer that was in flight.

// customerEntries indexes one customer's cached entries.
type customerEntries struct {
	keys map[ckey]struct{}
	gen  uint64
}

// generation returns customer's cache generation.
func (rm *ReadModel) generation(customer string) uint64 {
	rm.mu.RLock()
	defer rm.mu.RUnlock()
	if c := rm.byCust[customer]; c != nil {
		return c.gen
	}
	return rm.baseGen
}

func (rm *ReadModel) entriesLocked(customer string) *customerEntries {
	c := rm.byCust[customer]
	if c == nil {
		c = &customerEntries{keys: map[ckey]struct{}{}, gen: rm.baseGen}
		rm.byCust[customer] = c
	}
	return c
}

// setIfLocked caches e under k when the customer's generation is still
// gen, and reports whether it did.
func (rm *ReadModel) setIfLocked(k ckey, e *entry, gen uint64) bool {
	c := rm.entriesLocked(k.customer)
	if c.gen != gen {
		return false
	}
	rm.cache[k] = e
	c.keys[k] = struct{}{}
	return true
}

func (rm *ReadModel) bumpLocked(customer string) { rm.entriesLocked(customer).gen++ }

// drop forgets the cached entry of k and raises its customer's generation.
func (rm *ReadModel) drop(k ckey) {
	rm.mu.Lock()
	rm.dropLocked(k)
	rm.mu.Unlock()
}

func (rm *ReadModel) dropLocked(k ckey) {
	c := rm.entriesLocked(k.customer)
	delete(rm.cache, k)
	delete(c.keys, k)
	c.gen++
}

// watermarkKind names the record of a customer's last invalidation of its
// features, limits and balances.
const watermarkKind = "invalidated"

func watermarkKey(customer string) string { return Key(customer, watermarkKind, "entitlements") }

// beatsInvalidation is called after a write of kind to key, as of source,
// won in the store. Features, limits and balances must also be newer than
// the customer's last invalidation (its watermark): a record that was not
// stored when the invalidation listed the customer's records (an answer
// in flight) would escape its tombstones. When the watermark is as new or
// newer, the record is deleted as of the watermark and beatsInvalidation
// reports false. invalidate writes the watermark before it lists, so of
// any write and invalidation one sees the other.
func (rm *ReadModel) beatsInvalidation(ctx context.Context, customer string, kind uint8, key string, source time.Time) (bool, error) {
	if kind != kFeature && kind != kLimit && kind != kUsage {
		return true, nil
	}
	wm, found, err := rm.store.Get(ctx, watermarkKey(customer))
	if err != nil {
		err = fmt.Errorf("readmodel: read the invalidations of %q: %w", customer, err)
		rm.report(err)
		return false, err
	}
	if !found || wm.SourceTime.Before(source) {
		return true, nil
	}
	if _, err := rm.store.Delete(ctx, key, wm.SourceTime); err != nil {
		err = fmt.Errorf("readmodel: drop %s %q, older than its invalidation: %w", kindNames[kind], key, err)
		rm.report(err)
		return false, err
	}
	return false, nil
}

// Follow keeps the process cache of a read model on a shared store (one
// that implements [ChangeFeed], such as [SQLStore]) in step with the
// writes of every instance, so that answers are served from process memory
// (a hot Has costs what it costs on a [MemoryStore]) without serving one
// another instance changed. It polls the store's change feed every
// interval and drops the entries of the keys that changed; it runs until
// ctx is done and then returns ctx's error. Run it in a goroutine of its
// own:
//
//	go rm.Follow(ctx, 25*time.Millisecond)
//
// While polls succeed the cache is trusted for 4×interval after the start
// of the last successful one: an answer is then never older than what the
// store held 4×interval ago, and a change written by any instance is seen
// by every instance within about one interval plus a poll's round trip.
// When polls fail (the error handler receives their errors) the read model
// falls back to reading the store on every call ([WithCacheTTL]) until a
// poll succeeds again; polls resume where they left off, so nothing is
// missed. Follow fails at once when the store has no change feed or
// interval is not positive.
func (rm *ReadModel) Follow(ctx context.Context, interval time.Duration) error {
	feed, ok := rm.store.(ChangeFeed)
	if !ok {
		return invalid("Follow: the store %T has no change feed", rm.store)
	}
	if interval <= 0 {
		return invalid("Follow: interval %s is not positive", interval)
	}
	if !rm.following.CompareAndSwap(false, true) {
		return invalid("Follow: already running")
	}
	defer rm.following.Store(false)
	defer rm.followedUntil.Store(0)
	trust := 4 * int64(interval)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var cursor int64
	seen := map[KeyVersion]struct{}{}
	for {
		start := rm.nowNs()
		changes, next, err := feed.Changes(ctx, cursor)
		switch {
		case ctx.Err() != nil:
			return ctx.Err()
		case err != nil:
			rm.report(fmt.Errorf("readmodel: follow the store's changes: %w", err))
		case cursor == 0:
			// Started: what was cached before, or is being read now, may
			// have missed changes.
			rm.mu.Lock()
			for k := range rm.cache {
				rm.dropLocked(k)
			}
			for _, c := range rm.byCust {
				c.gen++
			}
			rm.baseGen++
			rm.mu.Unlock()
			cursor = next
			rm.followedUntil.Store(start + trust)
		default:
			rm.applyChanges(changes, seen)
			for kv := range seen {
				if kv.Version < next {
					delete(seen, kv)
				}
			}
			cursor = next
			rm.followedUntil.Store(start + trust)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
	}
}

// Following reports whether Follow keeps the process cache in step with
// the store right now: it runs and its last poll succeeded less than
// 4×interval ago. A health check can use it.
func (rm *ReadModel) Following() bool { return rm.nowNs() <= rm.followedUntil.Load() }

// applyChanges drops the cached entries that changes make stale. A change
// already seen (the feed may report one again) is skipped; an entry whose
// version is the changed one is kept.
func (rm *ReadModel) applyChanges(changes []KeyVersion, seen map[KeyVersion]struct{}) {
	if len(changes) == 0 {
		return
	}
	rm.mu.Lock()
	defer rm.mu.Unlock()
	for _, kv := range changes {
		if _, ok := seen[kv]; ok {
			continue
		}
		seen[kv] = struct{}{}
		customer, kind, name, ok := SplitKey(kv.Key)
		if !ok {
			continue
		}
		i, ok := kindIndex(Kind(kind))
		if !ok {
			rm.bumpLocked(customer) // a watermark or another record of the customer
			continue
		}
		k := ckey{customer: customer, name: name, kind: i}
		if e := rm.cache[k]; e != nil && e.version != 0 && e.version == kv.Version {
			continue
		}
		rm.dropLocked(k)
	}
}
