package readmodel

// The ordering rules of what the read model stores: the time a write is
// as of (the server's, for answers and events alike) and, at an equal
// time, the rank of its value.

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// serverClock is the time a request's answer was true at, by the server's
// clock: the answer's Date (see guapocado.WithServerTime).
type serverClock struct {
	sent, date time.Time
	// seen counts this instance's usage write-backs done before the
	// request was sent: it orders this instance's own answers (see
	// usageMarks).
	seen int64
}

// askServer returns the context to send a request with, whose answer's
// Date the returned serverClock records.
func (rm *ReadModel) askServer(ctx context.Context) (context.Context, *serverClock) {
	sc := &serverClock{sent: rm.now(), seen: rm.marks.count.Load()}
	return guapocado.WithServerTime(ctx, &sc.date), sc
}

// at is the time the read model stores an answer as of: the server's Date,
// rounded down to the second, so that it orders with webhook events (whose
// createdAt is the server's too) whatever this machine's clock says; an
// answer that did not carry a Date falls back to the local send time.
// Rounded down, a write-back never passes for newer than an event it did
// not see; an event of the same second wins over it.
func (sc *serverClock) at() time.Time {
	if !sc.date.IsZero() && ValidateTime(sc.date) == nil {
		return sc.date
	}
	return sc.sent
}

// rankOf is the Record.Rank of a value of kind: what orders two writes of
// one key with an equal SourceTime (the platform's times have millisecond
// precision, so two events of a customer in one millisecond are ordinary;
// answers are as of the second). It orders the state itself where the
// state says which is newer: a subscription by the start of its current
// period (a new subscription, such as the active one of a plan change that
// cancels the old one in the same millisecond, wins over the old) and then
// by its status's place in the lifecycle (canceled, which ends it, wins).
//
// A usage balance does not say: what was consumed grows with consumes and
// shrinks with refunds. Two balances of one meter with an equal time and
// different values are ambiguous, and the read model drops the balance
// instead (see tiedUsage), so the next read asks the server. Other kinds
// rank 0: the later arrival wins.
func rankOf(kind uint8, v any) int64 {
	if kind == kSubscription {
		if s, ok := v.(*guapocado.Subscription); ok && s != nil {
			return subscriptionRank(s)
		}
	}
	return 0
}

// tiedUsage reports whether the store holds, under key, a usage balance as
// of exactly source that differs from raw: then neither can be known to be
// the newer, and the caller drops the key as of source (a Delete beats
// every Put of its time, so a repeat of either loses too).
//
// One case is not ambiguous: the stored balance is the one this instance
// wrote back from an answer it had received before it sent the request
// whose answer is now written (seen: how many write-backs this instance
// had done when it sent that request; -1 when unknown). The
// server applied that request after it answered the earlier one, so its
// answer is the newer: it is stored with the next rank, and a page that
// consumes and then refunds within one second of the server's clock sees
// both. rank is the Record.Rank to write with.
func (rm *ReadModel) tiedUsage(ctx context.Context, key string, raw []byte, source time.Time, seen int64) (tied bool, rank int64, err error) {
	prev, found, err := rm.store.Get(ctx, key)
	if err != nil || !found || !prev.SourceTime.Equal(source) || string(prev.Value) == string(raw) {
		return false, 0, err
	}
	if seen >= 0 && rm.marks.follows(key, prev, seen) {
		return false, prev.Rank + 1, nil
	}
	return true, 0, nil
}

// usageMarks remembers, per usage key, the balance this instance last
// wrote back from a server answer, numbered in the order of the
// write-backs, so that a later request knows whether it was sent after it.
type usageMarks struct {
	count atomic.Int64 // write-backs marked so far
	mu    sync.Mutex
	m     map[string]usageMark
}

type usageMark struct {
	source time.Time
	rank   int64
	raw    string
	seq    int64 // its number: count after it was marked
}

// maxUsageMarks bounds the marks kept; past it, all are forgotten (a
// forgotten mark only makes a tie ambiguous again, which drops the
// balance: the next read asks the server).
const maxUsageMarks = 4096

// follows reports whether prev is the balance this instance wrote back
// last for key, and was written back before the request that had seen
// seen write-backs was sent.
func (u *usageMarks) follows(key string, prev Record, seen int64) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	m, ok := u.m[key]
	return ok && m.source.Equal(prev.SourceTime) && m.rank == prev.Rank && m.raw == string(prev.Value) && seen >= m.seq
}

// mark records the balance just written back for key.
func (u *usageMarks) mark(key string, source time.Time, rank int64, raw []byte) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.m == nil || len(u.m) >= maxUsageMarks {
		u.m = map[string]usageMark{}
	}
	u.m[key] = usageMark{source: source, rank: rank, raw: string(raw), seq: u.count.Add(1)}
}

func subscriptionRank(s *guapocado.Subscription) int64 {
	return secondsOf(s.CurrentPeriodStart)<<3 | statusRank[s.Status]
}

// statusRank is a subscription status's place in the lifecycle.
var statusRank = map[guapocado.SubscriptionStatus]int64{
	guapocado.StatusIncomplete: 1,
	guapocado.StatusTrialing:   2,
	guapocado.StatusActive:     3,
	guapocado.StatusPastDue:    4,
	guapocado.StatusUnpaid:     5,
	guapocado.StatusCanceled:   6,
}

// secondsOf is t in Unix seconds, within 0 and 2^32 (years 1970 to 2106);
// 0 for nil.
func secondsOf(t *time.Time) int64 {
	if t == nil {
		return 0
	}
	return min(max(t.Unix(), 0), 1<<32-1)
}
