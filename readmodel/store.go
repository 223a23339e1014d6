package readmodel

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Record is one stored answer of the read model: a JSON value and the two
// times that decide conflicts and staleness.
type Record struct {
	// Key identifies the record. Build it with [Key] so that every record of
	// a customer shares that customer's [CustomerPrefix].
	Key string
	// Value is a JSON document. A store keeps its own copy: changing the
	// slice after Put, or the one Get returned, changes nothing stored.
	Value []byte
	// SourceTime is the time of the event or API answer the value comes
	// from. It orders writes: see [Store.Put].
	SourceTime time.Time
	// WrittenAt is the wall-clock time of the local write, for staleness
	// checks. Put fills it with the store's clock when it is zero.
	WrittenAt time.Time
	// Rank orders writes of an equal SourceTime: the higher rank wins (see
	// [Store.Put]). The read model ranks a value by its own state (a usage
	// balance by what was consumed in its period, a subscription by its
	// start and status), so two events of one millisecond apply in the
	// order of what they say, not of their arrival. Zero for deletes.
	Rank int64
	// Version is set by a store that reports changes ([ChangeFeed]): it
	// differs after every write of the key. Get and List fill it; Put
	// ignores it. Zero from a store without a change feed.
	Version int64
}

// Store is the storage under the read model: point reads, conditional
// last-write-wins writes and deletes, a prefix listing for one customer's
// records, and a claim primitive that deduplicates webhook deliveries.
//
// Every method is safe for concurrent use, including from several processes
// sharing one backing database (for [SQLStore]). Invalid arguments return an
// error wrapping [ErrInvalidArgument]; a done context returns an error
// wrapping the context's error.
//
// Ordering rule: a write (Put or Delete) is applied when no record or
// tombstone exists for its key, or when the stored (SourceTime, Rank) is not
// greater than the write's (compared in that order; a Delete has the highest Rank, so at an equal
// SourceTime it wins over every Put),
// and only then. So an older event that arrives late loses; at an equal
// SourceTime the higher Rank wins; at an equal SourceTime and Rank the later
// arrival wins, which makes repeating a write (a redelivered event, or two
// instances projecting the same event at once) idempotent: both report won
// and the same value stays stored. The check and the write are one atomic
// step.
//
// Claims make webhook processing at-least-once across instances: Claim
// takes a short lease on an event id, Complete records it as processed for
// a long ttl, Release gives up a lease whose processing failed. An event
// whose lease is held but not completed (the instance holding it is slow,
// or died) is neither processed again nor reported as done until the lease
// expires; then another instance may take it over.
type Store interface {
	// Get returns the live record under key. found is false when the key
	// was never written or its latest write is a delete.
	Get(ctx context.Context, key string) (rec Record, found bool, err error)

	// Put stores rec under rec.Key if it wins by the ordering rule and
	// reports whether it did. A losing Put changes nothing and is not an
	// error.
	Put(ctx context.Context, rec Record) (won bool, err error)

	// Delete removes key as of sourceTime by writing a tombstone under the
	// same ordering rule as Put, and reports whether it won. The tombstone
	// stays, so a Put older than the delete that arrives after it loses
	// instead of bringing the record back; a newer Put replaces it.
	// Deleting a key that was never written still leaves a tombstone.
	Delete(ctx context.Context, key string, sourceTime time.Time) (won bool, err error)

	// List returns the live records whose key starts with prefix (usually a
	// [CustomerPrefix]), sorted by key in byte order. Tombstones are left
	// out. An empty prefix lists every live record.
	List(ctx context.Context, prefix string) ([]Record, error)

	// Claim records the event id until ttl has passed and reports whether
	// this caller is the first to claim it within that window. Of any number
	// of concurrent callers (in one process or many sharing the store),
	// exactly one gets first == true; after ttl the id may be claimed anew,
	// unless it was completed since.
	Claim(ctx context.Context, id string, ttl time.Duration) (first bool, err error)

	// Complete records id as processed until ttl has passed: Claim of it is
	// then not first and Completed reports true. It applies whether or not
	// id is claimed, and replaces a claim's expiry with its own.
	Complete(ctx context.Context, id string, ttl time.Duration) error

	// Completed reports whether id was completed and its ttl has not
	// passed.
	Completed(ctx context.Context, id string) (bool, error)

	// Release gives up the claim of id, unless it was completed, so that
	// the next Claim of it is first.
	Release(ctx context.Context, id string) error
}

// KeyVersion is one change a [ChangeFeed] reports: key was written (a Put
// or a Delete) and its record now has Version.
type KeyVersion struct {
	Key     string
	Version int64
}

// ChangeFeed is a [Store] that reports which keys changed, so that every
// instance sharing it can keep decoded answers in process memory and drop
// the ones another instance changed (see [ReadModel.Follow]). [SQLStore]
// implements it.
type ChangeFeed interface {
	Store
	// Changes returns the keys written since cursor and the cursor of the
	// next call. A cursor of 0 starts the feed: no changes, and the cursor
	// of now. A change may be reported more than once; every write
	// committed after the call that returned cursor is reported by a later
	// call.
	Changes(ctx context.Context, cursor int64) ([]KeyVersion, int64, error)
}

// deleteRank is the Rank of every Delete: the highest.
const deleteRank = 1<<63 - 1

// ErrInvalidArgument is wrapped by every error a store returns for input it
// refuses: a bad key, prefix or claim id, a Value that is not JSON, a
// SourceTime outside what the store can order, or a ttl that is not
// positive.
var ErrInvalidArgument = errors.New("readmodel: invalid argument")

// MaxKeyLen is the longest key or claim id, in bytes, that the stores
// accept. It keeps a key within what a database index takes.
const MaxKeyLen = 1024

// The SourceTime range that int64 Unix nanoseconds can hold.
var (
	minTime = time.Unix(0, -1<<63).UTC()
	maxTime = time.Unix(0, 1<<63-1).UTC()
)

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalidArgument}, args...)...)
}

// ValidateKey reports whether key can be stored: non-empty, valid UTF-8, no
// NUL byte and at most [MaxKeyLen] bytes. Keys made by [Key] always pass.
// Claim ids follow the same rule. Custom [Store] implementations can call it
// to refuse what the shipped stores refuse.
func ValidateKey(key string) error {
	if key == "" {
		return invalid("empty key")
	}
	return validateText("key", key)
}

// ValidatePrefix reports whether prefix can be listed: like [ValidateKey],
// except that it may be empty.
func ValidatePrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	return validateText("prefix", prefix)
}

func validateText(what, s string) error {
	if len(s) > MaxKeyLen {
		return invalid("%s is %d bytes, longer than %d", what, len(s), MaxKeyLen)
	}
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", what)
	}
	if strings.IndexByte(s, 0) >= 0 {
		return invalid("%s contains a NUL byte", what)
	}
	return nil
}

// ValidateTime reports whether t can order writes: it must lie between the
// years 1678 and 2262, the range of int64 Unix nanoseconds, so the zero
// time.Time is refused.
func ValidateTime(t time.Time) error {
	if t.Before(minTime) || t.After(maxTime) {
		return invalid("time %s is outside the storable range", t.Format(time.RFC3339Nano))
	}
	return nil
}

// Validate reports whether r can be stored: a valid key, a Value that is
// one JSON document, a storable SourceTime and a zero or storable WrittenAt.
func (r Record) Validate() error {
	if err := ValidateKey(r.Key); err != nil {
		return err
	}
	if !json.Valid(r.Value) {
		return invalid("value of %q is not a JSON document", r.Key)
	}
	if err := ValidateTime(r.SourceTime); err != nil {
		return fmt.Errorf("source time of %q: %w", r.Key, err)
	}
	if !r.WrittenAt.IsZero() {
		if err := ValidateTime(r.WrittenAt); err != nil {
			return fmt.Errorf("written-at time of %q: %w", r.Key, err)
		}
	}
	return nil
}

// ValidateTTL reports whether ttl can be used for [Store.Claim]: it must be
// positive.
func ValidateTTL(ttl time.Duration) error {
	if ttl <= 0 {
		return invalid("claim ttl %s is not positive", ttl)
	}
	return nil
}

// unixNano and fromUnixNano are how every shipped store keeps times, so a
// time read back equals, to the nanosecond, the time written, in UTC.
// Times outside the int64 range (only a clock or a purge cutoff can be,
// since writes are validated) are clamped to its ends.
func unixNano(t time.Time) int64 {
	switch {
	case t.Before(minTime):
		return -1 << 63
	case t.After(maxTime):
		return 1<<63 - 1
	}
	return t.UnixNano()
}

func fromUnixNano(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// The argument checks of each Store method, shared by the stores of this
// package: the context first, then the arguments.

func checkGet(ctx context.Context, key string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ValidateKey(key)
}

func checkPut(ctx context.Context, rec Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return rec.Validate()
}

func checkDelete(ctx context.Context, key string, sourceTime time.Time) error {
	if err := checkGet(ctx, key); err != nil {
		return err
	}
	return ValidateTime(sourceTime)
}

func checkList(ctx context.Context, prefix string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return ValidatePrefix(prefix)
}

func checkClaim(ctx context.Context, id string, ttl time.Duration) error {
	if err := checkGet(ctx, id); err != nil {
		return err
	}
	return ValidateTTL(ttl)
}
