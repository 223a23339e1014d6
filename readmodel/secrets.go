package readmodel

import (
	"context"
	"time"
)

// SecretStore is a [Store] that also keeps small secrets for every
// instance sharing it, apart from the records (a listing of records never
// shows them). The read model keeps its webhook endpoint's registration
// there, signing secret included ([WithRegistration]), so one
// registration serves every instance. [MemoryStore] and [SQLStore]
// implement it; [SQLStore] keeps them in the table <prefix>secrets, in
// plain text: restrict who can read that table.
type SecretStore interface {
	Store

	// GetSecret returns the value stored under name; found is false when
	// none is.
	GetSecret(ctx context.Context, name string) (value []byte, found bool, err error)

	// PutSecret stores value under name as of version and reports whether
	// it did, by the ordering rule of [Store.Put]: it applies unless a
	// newer version is stored (at an equal version the later arrival
	// wins), atomically.
	PutSecret(ctx context.Context, name string, value []byte, version time.Time) (won bool, err error)
}

// MaxSecretLen is the largest secret value, in bytes, that the stores
// accept.
const MaxSecretLen = 64 << 10

func checkGetSecret(ctx context.Context, name string) error {
	return checkGet(ctx, name)
}

func checkPutSecret(ctx context.Context, name string, value []byte, version time.Time) error {
	if err := checkGet(ctx, name); err != nil {
		return err
	}
	if len(value) > MaxSecretLen {
		return invalid("secret %q is %d bytes, longer than %d", name, len(value), MaxSecretLen)
	}
	return ValidateTime(version)
}
