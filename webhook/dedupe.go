package webhook

import (
	"context"
	"crypto/sha256"
	"errors"
	"sync"
	"time"
)

// DefaultDedupeCapacity is the most event ids a [MemoryDeduper] holds at
// once when its Capacity is 0. Each id costs about 110 bytes whatever its
// length (a 16-byte digest of the id and its expiry in a map, and two
// places in the expiry queue, measured by TestMemoryDeduperMemory), so a
// full default deduper holds about 11 MB. At the default TTL of 10
// minutes it absorbs a sustained 166 events per second; beyond that, new
// events are answered 503 until ids expire.
const DefaultDedupeCapacity = 100_000

// ErrDeduperFull is returned by [MemoryDeduper.Seen] (and may be returned
// by any [Deduper]) when an id cannot be remembered because every place is
// taken by an id still inside its TTL. A [Handler] answers 503 without
// processing the event, so the sender retries later, rather than process an
// event it could not recognise when redelivered.
var ErrDeduperFull = errors.New("guapocado: webhook deduper is full")

// Deduper remembers processed event ids. A [Handler] calls Seen before
// running a callback and Mark only after the callback succeeded, so a
// failed delivery is processed again when retried. Seen may answer an error
// matching [ErrDeduperFull] (the handler answers 503); any other error
// answers 500. Implementations must be safe for concurrent use; one shared
// by several processes (a database table, Redis) should also be the place
// where those processes agree on who processes an event, since the
// handler's in-flight guard is per process.
type Deduper interface {
	Seen(ctx context.Context, id string) (bool, error)
	Mark(ctx context.Context, id string) error
}

// MemoryDeduper is an in-memory [Deduper] that remembers each marked id
// for TTL, by time rather than by count, and holds at most Capacity ids.
//
// Seen of an id it does not know takes a place for it (the delivery is in
// flight), so an event is processed only when its id can be remembered:
// when all Capacity places are held by ids inside their TTL, Seen answers
// [ErrDeduperFull] and the handler answers 503. Mark keeps the id for TTL
// from then. A place taken by Seen and never marked (the callback failed)
// is kept for TTL from Seen; a retry of the same id reuses it.
//
// The zero value is ready to use with the defaults. Set the fields before
// first use and do not change them afterwards. It is safe for concurrent
// use. Memory: at most Capacity entries, see [DefaultDedupeCapacity].
type MemoryDeduper struct {
	// Capacity is the most ids held at once; 0 means DefaultDedupeCapacity.
	Capacity int
	// TTL is how long an id is remembered after Mark; 0 means twice
	// DefaultTolerance (a signed delivery is accepted from the tolerance
	// before its timestamp to the tolerance after, so a copy of it can be
	// replayed up to twice the tolerance after the first one arrived). A
	// Handler's default deduper uses twice the handler's tolerance.
	TTL time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time

	mu      sync.Mutex
	base    time.Time // expiries are offsets from base (monotonic with time.Now)
	entries map[dedupeKey]dedupeEntry
	queue   []queuedExpiry // pushed in time order: the oldest expiry first
	head    int
}

// dedupeKey is the first 16 bytes of the SHA-256 of an id: entries have a
// fixed size whatever the ids are.
type dedupeKey [16]byte

type dedupeEntry struct {
	expires time.Duration // offset from base
	pending bool          // taken by Seen, not marked yet
}

type queuedExpiry struct {
	key     dedupeKey
	expires time.Duration
}

func keyOf(id string) (k dedupeKey) {
	sum := sha256.Sum256([]byte(id))
	copy(k[:], sum[:])
	return k
}

func (d *MemoryDeduper) capacity() int {
	if d.Capacity > 0 {
		return d.Capacity
	}
	return DefaultDedupeCapacity
}

func (d *MemoryDeduper) ttl() time.Duration {
	if d.TTL > 0 {
		return d.TTL
	}
	return 2 * DefaultTolerance
}

// clock returns now as an offset from base, expiring what is due. Called
// with d.mu held.
func (d *MemoryDeduper) clock() time.Duration {
	var now time.Time
	if d.Now != nil {
		now = d.Now()
	} else {
		now = time.Now()
	}
	if d.entries == nil {
		d.entries = make(map[dedupeKey]dedupeEntry)
		d.base = now
	}
	off := now.Sub(d.base)
	// The queue is in expiry order (with a clock that does not go back).
	// An entry renewed since an item was queued (marked after Seen) has a
	// later item: the earlier one is skipped.
	for d.head < len(d.queue) && d.queue[d.head].expires <= off {
		q := d.queue[d.head]
		d.queue[d.head] = queuedExpiry{}
		d.head++
		if e, ok := d.entries[q.key]; ok && e.expires <= off {
			delete(d.entries, q.key)
		}
	}
	switch {
	case d.head == len(d.queue):
		d.queue, d.head = d.queue[:0], 0
		if cap(d.queue) > 1024 && len(d.entries) == 0 {
			d.queue = nil // give a burst's memory back
		}
	case d.head > 1024 && d.head > len(d.queue)/2:
		n := copy(d.queue, d.queue[d.head:])
		clear(d.queue[n:])
		d.queue, d.head = d.queue[:n], 0
	}
	return off
}

// put stores e under k and queues its expiry. An id is queued at most
// twice per life (Seen, then Mark), so the queue holds at most twice
// Capacity items.
func (d *MemoryDeduper) put(k dedupeKey, e dedupeEntry) {
	d.entries[k] = e
	d.queue = append(d.queue, queuedExpiry{key: k, expires: e.expires})
}

// Seen reports whether id was marked within its TTL. For an id it does
// not hold, it takes a place (see MemoryDeduper) or, when every place is
// held, returns an error matching ErrDeduperFull.
func (d *MemoryDeduper) Seen(_ context.Context, id string) (bool, error) {
	k := keyOf(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock()
	e, ok := d.entries[k]
	if ok && e.expires > now {
		return !e.pending, nil
	}
	if !ok && len(d.entries) >= d.capacity() {
		return false, ErrDeduperFull
	}
	d.put(k, dedupeEntry{expires: now + d.ttl(), pending: true})
	return false, nil
}

// Mark remembers id for TTL from now. An id already marked within its TTL
// keeps its first expiry. It returns an error matching ErrDeduperFull when
// id holds no place and every place is held.
func (d *MemoryDeduper) Mark(_ context.Context, id string) error {
	k := keyOf(id)
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.clock()
	e, ok := d.entries[k]
	if ok && !e.pending && e.expires > now {
		return nil
	}
	if !ok && len(d.entries) >= d.capacity() {
		return ErrDeduperFull
	}
	d.put(k, dedupeEntry{expires: now + d.ttl()})
	return nil
}

// Len returns how many ids are held (marked or in flight) and not expired.
func (d *MemoryDeduper) Len() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.clock()
	return len(d.entries)
}
