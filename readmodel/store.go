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
// tombstone exists for its key, or when the stored SourceTime is not newer
// than the write's, and only then. So an older event that arrives late loses;
// at an equal SourceTime the later arrival wins, which makes repeating a
// write (a redelivered event, or two instances projecting the same event at
// once) idempotent: both report won and the same value stays stored. The
// check and the write are one atomic step.
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
	// exactly one gets first == true; after ttl the id may be claimed anew.
	Claim(ctx context.Context, id string, ttl time.Duration) (first bool, err error)
}

// Releaser is a [Store] that can give up a claim before its ttl: the read
// model releases the claim of an event whose projection failed, so the
// sender's retry processes it. [MemoryStore] and [SQLStore] implement it; a
// store without it keeps the claim, and a failed event is then not
// processed again until the claim expires.
type Releaser interface {
	Release(ctx context.Context, id string) error
}

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
