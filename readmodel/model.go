package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Kind names one kind of record the read model keeps; it is the middle part
// of a [Key].
type Kind string

// The kinds of records a [ReadModel] keeps, per customer unless noted.
const (
	KindFeature      Kind = "feature"      // Has: true or false, by feature key
	KindLimit        Kind = "limit"        // Limit, by limit key
	KindUsage        Kind = "usage"        // Usage balance, by meter key
	KindSubscription Kind = "subscription" // the current subscription (name "current"; null for none)
	KindCustomer     Kind = "customer"     // the customer (name "profile")
	KindPlans        Kind = "plans"        // the catalogue: customer "" and name "all"
	KindPurchase     Kind = "purchase"     // purchases by id (webhooks only)
	KindInvoice      Kind = "invoice"      // invoices by id (webhooks only)
)

// DefaultMaxAge is how long an answer is served from the store when
// [WithMaxAge] does not say otherwise.
const DefaultMaxAge = 5 * time.Minute

// DefaultClaimTTL is how long the webhook handler remembers an event id
// once it was processed.
const DefaultClaimTTL = 72 * time.Hour

// DefaultClaimLease is how long an instance may take to process a webhook
// event before another instance sharing the store may take it over.
const DefaultClaimLease = time.Minute

// ErrEventInProgress is returned by [ReadModel.Project] for an event that
// another delivery (to this instance or to another sharing the store) has
// claimed and not yet processed: the webhook handler answers 500, so the
// sender delivers it again; once the claim's lease (see [WithClaimLease])
// has passed without the event being processed, a delivery takes it over.
var ErrEventInProgress = errors.New("readmodel: the event is being processed by another delivery; retry later")

// ErrCustomerMismatch is returned when a session client's answer names
// another customer than the one the read model was asked about: a session
// client acts for its session's customer only (see [ReadModel]).
var ErrCustomerMismatch = errors.New("readmodel: the session's customer is not the customer asked about")

// kind indexes (the hot path keys the cache by a small integer).
const (
	kFeature uint8 = iota
	kLimit
	kUsage
	kSubscription
	kCustomer
	kPlans
	kPurchase
	kInvoice
	numKinds
)

var kindNames = [numKinds]Kind{KindFeature, KindLimit, KindUsage, KindSubscription, KindCustomer, KindPlans, KindPurchase, KindInvoice}

func kindIndex(k Kind) (uint8, bool) {
	for i, n := range kindNames {
		if n == k {
			return uint8(i), true
		}
	}
	return 0, false
}

// Meta says where an answer of the read model comes from and how old it is.
type Meta struct {
	// Local is true when the answer came from the store, without a request
	// to Guapocado.
	Local bool
	// AsOf is the time the answer was true at: the createdAt of the webhook
	// event it came from, or the moment the request that fetched it was
	// sent (the server's state is at least that recent). An answer whose
	// event had no createdAt, or one later than the moment it was stored
	// (a sender's clock ahead of this one), is as of the moment it was
	// stored.
	AsOf time.Time
	// Age is how long ago AsOf was, by the read model's clock; never
	// negative. A local answer is never older than its kind's MaxAge.
	Age time.Duration
}

// Change tells a [WithOnChange] callback that a stored answer changed:
// written with another value, or dropped by a webhook that invalidated it.
type Change struct {
	CustomerID string
	Kind       Kind
	Name       string
	// Deleted is true when the answer was dropped (the next read goes to
	// the server).
	Deleted bool
	// Value is the new answer: bool (feature), *guapocado.Limit,
	// *guapocado.Usage, *guapocado.Subscription (nil for none),
	// *guapocado.Customer or []guapocado.Plan; nil when Deleted.
	Value any
}

// ckey is the cache key: no string is built on the hot path.
type ckey struct {
	customer string
	name     string
	kind     uint8
}

// entry is one decoded record.
type entry struct {
	allowed bool // feature
	val     any  // *Limit, *Usage, *Subscription (nil for none), *Customer, []Plan
	raw     []byte
	version int64 // the record's Version in a ChangeFeed store; 0 when unknown
	source  int64 // SourceTime, Unix ns
	asOf    int64 // what it ages from (see agesFrom), Unix ns
	resets  int64 // a usage balance's reset time, Unix ns; 0 for none
	checked int64 // when it was read from or written to the store
}

// ReadModel answers billing questions (Has, Limit, usage balance, the
// subscription, the plans, the snapshot, the purchases) from a [Store]
// while the stored answer is fresh, and asks Guapocado through a *guapocado.Billing (either
// client) when it is missing or stale, writing the answer back. The writes
// it offers (Consume, Refund, the settings, a plan change) go to the server
// and write its answer back, so a caller reads its own writes. Webhook
// events ([ReadModel.Project], [ReadModel.WebhookHandler]) keep the store
// true between reads.
//
// Every answer names its customer: calls take the customer id, or bind one
// with [ReadModel.For]. On a platform client (NewAPIClient) the read model
// asks for that customer (ForCustomer). On a session client (NewClient) the
// session decides the customer: the read model never sends ForCustomer
// there, and an answer for another customer than the one asked about fails
// with [ErrCustomerMismatch] (the answer is still stored, under its own
// customer). Learn a session's customer with [ReadModel.Load] and an empty
// customer id.
//
// Freshness: a stored answer is served while now − AsOf ≤ MaxAge for its
// kind (see [WithMaxAge]); a usage balance whose reset time has passed is
// stale at once. A ReadModel is safe for concurrent use.
type ReadModel struct {
	b        *guapocado.Billing
	platform bool
	store    Store
	clock    func() time.Time // WithClock; nil: the monotonic clock from base
	base     time.Time
	baseWall int64
	maxAge   [numKinds]int64
	cacheTTL int64 // <0: forever
	hooks    Hooks
	onChange func(Change)
	onError  func(error)
	claimTTL time.Duration
	lease    time.Duration

	mu     sync.RWMutex
	cache  map[ckey]*entry
	byCust map[string]*customerEntries
	// baseGen is the generation of a customer not yet in byCust.
	baseGen uint64

	// followedUntil is, while Follow runs and its polls succeed, the time
	// (Unix ns) up to which the cache may be trusted without reading the
	// store: see Follow.
	followedUntil atomic.Int64
	following     atomic.Bool

	statMu sync.Mutex
	stats  handlerStats
	reg    *registrar // WithRegistration; nil without
	marks  usageMarks // this instance's own usage write-backs (tiedUsage)
}

// New returns a read model over b, the shared surface of either client
// (&client.Billing). Options: [WithStore] (default a new [MemoryStore]),
// [WithMaxAge], [WithKindMaxAge], [WithCacheTTL], [WithClock], [WithHooks],
// [WithOnChange], [WithErrorHandler], [WithClaimTTL], [WithRegistration].
// New does no I/O.
func New(b *guapocado.Billing, opts ...Option) (*ReadModel, error) {
	if b == nil {
		return nil, invalid("nil *guapocado.Billing")
	}
	c := newModelConfig(opts)
	if c.err != nil {
		return nil, c.err
	}
	rm := &ReadModel{
		b:        b,
		platform: b.IsPlatform(),
		store:    c.store,
		base:     time.Now(),
		onChange: c.onChange,
		onError:  c.onError,
		claimTTL: c.claimTTL,
		lease:    c.claimLease,
		cache:    map[ckey]*entry{},
		byCust:   map[string]*customerEntries{},
	}
	rm.baseWall = rm.base.UnixNano()
	if c.clockSet {
		rm.clock = c.now
	}
	if rm.store == nil {
		rm.store = NewMemoryStore(WithClock(rm.now))
	}
	wh := c.webhookOptions()
	rm.hooks = wh.hooks
	if wh.registration != nil {
		reg, err := newRegistrar(wh.registration, rm.store, rm.platform)
		if err != nil {
			return nil, err
		}
		rm.reg = reg
	}
	if rm.claimTTL <= 0 {
		rm.claimTTL = DefaultClaimTTL
	}
	if rm.lease <= 0 {
		rm.lease = DefaultClaimLease
	}
	for i := range rm.maxAge {
		rm.maxAge[i] = int64(DefaultMaxAge)
		if c.maxAge > 0 {
			rm.maxAge[i] = int64(c.maxAge)
		}
		if d, ok := c.kindMaxAge[kindNames[i]]; ok {
			rm.maxAge[i] = int64(d)
		}
	}
	switch {
	case c.cacheTTLSet:
		rm.cacheTTL = int64(c.cacheTTL)
	case isMemory(rm.store):
		rm.cacheTTL = -1
	default:
		rm.cacheTTL = 0
	}
	return rm, nil
}

// nowNs is the read model's clock in Unix nanoseconds: WithClock's, else
// the wall time at New advanced by the monotonic clock, which is one clock
// read (time.Now is two) and does not jump when the system clock is set.
func (rm *ReadModel) nowNs() int64 {
	if rm.clock != nil {
		return unixNano(rm.clock())
	}
	return rm.baseWall + int64(time.Since(rm.base))
}

func (rm *ReadModel) now() time.Time { return time.Unix(0, rm.nowNs()).UTC() }

func isMemory(s Store) bool { _, ok := s.(*MemoryStore); return ok }

// Store returns the store under the read model.
func (rm *ReadModel) Store() Store { return rm.store }

// MaxAge returns the longest a stored answer of kind is served.
func (rm *ReadModel) MaxAge(kind Kind) time.Duration {
	i, ok := kindIndex(kind)
	if !ok {
		return 0
	}
	return time.Duration(rm.maxAge[i])
}

// lookup returns the cached entry for k when it is usable without the
// store, and whether it is fresh. It does not allocate.
func (rm *ReadModel) lookup(k ckey, now int64) (*entry, bool) {
	rm.mu.RLock()
	e := rm.cache[k]
	rm.mu.RUnlock()
	if e == nil {
		return nil, false
	}
	if rm.cacheTTL >= 0 && now-e.checked > rm.cacheTTL && now > rm.followedUntil.Load() {
		return nil, false // a shared store, not followed: read it again
	}
	return e, rm.fresh(e, k.kind, now)
}

func (rm *ReadModel) fresh(e *entry, kind uint8, now int64) bool {
	if now-e.asOf > rm.maxAge[kind] {
		return false
	}
	return e.resets == 0 || now < e.resets
}

func (rm *ReadModel) meta(e *entry, now int64, local bool) Meta {
	return Meta{Local: local, AsOf: time.Unix(0, e.asOf).UTC(), Age: age(now, e.asOf)}
}

// agesFrom is the time a stored answer ages from: its source time, or the
// time it was written when the source is unknown (an event without
// createdAt is stored at the oldest time, so that it loses every
// last-write-wins race) or later than the write (a sender's clock ahead of
// ours). So no answer stays fresh for ever and no Age is negative.
func agesFrom(source, written int64) int64 {
	if source == unixNano(minTime) || source > written {
		return written
	}
	return source
}

// age is now − asOf, never negative.
func age(now, asOf int64) time.Duration {
	return time.Duration(max(now-asOf, 0))
}

// load returns the usable entry for k: the cache, else the store (decoded
// and cached). nil when neither has one.
func (rm *ReadModel) load(ctx context.Context, k ckey, now int64) (*entry, error) {
	if e, _ := rm.lookup(k, now); e != nil {
		return e, nil
	}
	gen := rm.generation(k.customer)
	rec, found, err := rm.store.Get(ctx, Key(k.customer, string(kindNames[k.kind]), k.name))
	if err != nil {
		if cerr := ctx.Err(); cerr != nil {
			return nil, cerr
		}
		// The store is down: the answer comes from the server instead.
		rm.report(fmt.Errorf("readmodel: read %s %q of %q from the store (asking the server instead): %w", kindNames[k.kind], k.name, k.customer, err))
		return nil, nil
	}
	if !found {
		rm.drop(k)
		return nil, nil
	}
	e, err := decodeEntry(k.kind, rec.Value)
	if err != nil {
		rm.report(fmt.Errorf("readmodel: stored %s %q of %q does not decode (read from the server instead): %w", kindNames[k.kind], k.name, k.customer, err))
		return nil, nil
	}
	e.source = unixNano(rec.SourceTime)
	e.asOf = agesFrom(e.source, unixNano(rec.WrittenAt))
	e.version = rec.Version
	e.checked = now
	rm.mu.Lock()
	rm.setIfLocked(k, e, gen)
	rm.mu.Unlock()
	return e, nil
}

// decodeEntry decodes a stored value of kind.
func decodeEntry(kind uint8, raw []byte) (*entry, error) {
	e := &entry{raw: raw}
	var err error
	switch kind {
	case kFeature:
		err = json.Unmarshal(raw, &e.allowed)
	case kLimit:
		var l guapocado.Limit
		err = json.Unmarshal(raw, &l)
		e.val = &l
	case kUsage:
		var u guapocado.Usage
		err = json.Unmarshal(raw, &u)
		e.val = &u
		if u.Resets != nil {
			e.resets = unixNano(*u.Resets)
		}
	case kSubscription:
		var s *guapocado.Subscription
		err = json.Unmarshal(raw, &s)
		e.val = s
	case kCustomer:
		var c guapocado.Customer
		err = json.Unmarshal(raw, &c)
		e.val = &c
	case kPlans:
		var p []guapocado.Plan
		err = json.Unmarshal(raw, &p)
		e.val = p
	default:
		var v json.RawMessage
		err = json.Unmarshal(raw, &v)
		e.val = v
	}
	return e, err
}

// write stores v (the answer of kind for customer/name) as of source and
// caches it when it wins. A store failure is reported to the error handler
// and returned; callers on the read path ignore it (the server's answer is
// returned all the same).
func (rm *ReadModel) write(ctx context.Context, customer string, kind uint8, name string, v any, source time.Time) (bool, error) {
	return rm.writeAt(ctx, customer, kind, name, v, source, -1)
}

// writeBack writes a server answer back, as of the server's time, ordered
// after this instance's own earlier answers (see tiedUsage).
func (rm *ReadModel) writeBack(ctx context.Context, customer string, kind uint8, name string, v any, sc *serverClock) (bool, error) {
	return rm.writeAt(ctx, customer, kind, name, v, sc.at(), sc.seen)
}

// writeAt is write, for a value fetched by a request sent when this
// instance had done seen usage write-backs (-1 when unknown, as for
// webhook events).
func (rm *ReadModel) writeAt(ctx context.Context, customer string, kind uint8, name string, v any, source time.Time, seen int64) (bool, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		err = fmt.Errorf("readmodel: encode %s %q: %w", kindNames[kind], name, err)
		rm.report(err)
		return false, err
	}
	k := ckey{customer: customer, name: name, kind: kind}
	gen := rm.generation(customer)
	ctx = context.WithoutCancel(ctx)
	key := Key(customer, string(kindNames[kind]), name)
	rank := rankOf(kind, v)
	if kind == kUsage {
		tied, r, err := rm.tiedUsage(ctx, key, raw, source, seen)
		rank = max(rank, r)
		if err == nil && tied {
			_, err = rm.store.Delete(ctx, key, source)
		}
		if err != nil || tied {
			rm.drop(k)
			if err != nil {
				err = fmt.Errorf("readmodel: store %s %q of %q: %w", kindNames[kind], name, customer, err)
				rm.report(err)
			}
			return false, err
		}
	}
	written := rm.nowNs()
	won, err := rm.store.Put(ctx, Record{Key: key, Value: raw, SourceTime: source, Rank: rank,
		WrittenAt: time.Unix(0, written).UTC()})
	if err != nil {
		err = fmt.Errorf("readmodel: store %s %q of %q: %w", kindNames[kind], name, customer, err)
		rm.report(err)
		rm.drop(k)
		return false, err
	}
	if !won {
		rm.drop(k) // something newer is stored: read it next time
		return false, nil
	}
	if won, err = rm.beatsInvalidation(ctx, customer, kind, key, source); err != nil || !won {
		rm.drop(k)
		return false, err
	}
	if kind == kUsage && seen >= 0 {
		rm.marks.mark(key, source, rank, raw)
	}
	e, err := decodeEntry(kind, raw)
	if err != nil {
		rm.drop(k)
		return true, nil
	}
	e.source = unixNano(source)
	e.asOf = agesFrom(e.source, written)
	e.checked = written
	rm.mu.Lock()
	old := rm.cache[k]
	cached := rm.setIfLocked(k, e, gen)
	rm.mu.Unlock()
	if !cached {
		return true, nil // invalidated meanwhile: the next read asks the store
	}
	if rm.onChange != nil && (old == nil || string(old.raw) != string(raw)) {
		rm.onChange(Change{CustomerID: customer, Kind: kindNames[kind], Name: name, Value: changeValue(kind, e)})
	}
	return true, nil
}

func changeValue(kind uint8, e *entry) any {
	if kind == kFeature {
		return e.allowed
	}
	return e.val
}

// invalidate drops the customer's records of the given kinds as of source
// (tombstones: an answer fetched before source cannot come back).
func (rm *ReadModel) invalidate(ctx context.Context, customer string, source time.Time, kinds ...uint8) error {
	ctx = context.WithoutCancel(ctx)
	// The watermark first: a write of these kinds that is stored after the
	// listing below finds it (see beatsInvalidation).
	if _, err := rm.store.Put(ctx, Record{Key: watermarkKey(customer), Value: []byte(`{}`), SourceTime: source}); err != nil {
		return err
	}
	for _, kind := range kinds {
		recs, err := rm.store.List(ctx, KindPrefix(customer, string(kindNames[kind])))
		if err != nil {
			return err
		}
		for _, rec := range recs {
			_, _, name, ok := SplitKey(rec.Key)
			if !ok {
				continue
			}
			won, err := rm.store.Delete(ctx, rec.Key, source)
			if err != nil {
				return err
			}
			k := ckey{customer: customer, name: name, kind: kind}
			rm.drop(k)
			if won && rm.onChange != nil {
				rm.onChange(Change{CustomerID: customer, Kind: kindNames[kind], Name: name, Deleted: true})
			}
		}
	}
	// Entries cached from records that were already gone from the store,
	// and writes in flight (they do not cache what they stored).
	rm.mu.Lock()
	if c := rm.byCust[customer]; c != nil {
		for k := range c.keys {
			for _, kind := range kinds {
				if k.kind == kind {
					delete(rm.cache, k)
					delete(c.keys, k)
				}
			}
		}
	}
	rm.bumpLocked(customer)
	rm.mu.Unlock()
	return nil
}

// invalidateOne drops one record of the customer as of source (a
// tombstone, as invalidate).
func (rm *ReadModel) invalidateOne(ctx context.Context, customer string, kind uint8, name string, source time.Time) error {
	won, err := rm.store.Delete(context.WithoutCancel(ctx), Key(customer, string(kindNames[kind]), name), source)
	if err != nil {
		return err
	}
	rm.drop(ckey{customer: customer, name: name, kind: kind})
	if won && rm.onChange != nil {
		rm.onChange(Change{CustomerID: customer, Kind: kindNames[kind], Name: name, Deleted: true})
	}
	return nil
}

func (rm *ReadModel) report(err error) {
	if rm.onError != nil {
		rm.onError(err)
	}
}
