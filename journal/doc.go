// Package journal is a durable metering journal for Guapocado: usage is
// recorded in the application's own database, in the application's own
// transaction, and delivered to the platform afterwards, once.
//
// It is built on River (github.com/riverqueue/river), a transactional job
// queue for PostgreSQL and SQLite: an intent is a River job inserted with
// InsertTx in the caller's transaction, claimed by any instance, retried
// with backoff, and rescued from an instance that died. The journal adds
// the billing: the intent's key as the platform idempotency key, the
// outcome rules, coalescing of post-paid meters, and Consume for gating.
//
// # Setup
//
// Run Migrate once per deployment (River's tables and the journal's), then
// New over a River driver (riverpgxv5 for PostgreSQL and several
// instances, riversqlite for one machine) and a *guapocado.APIClient: only
// the platform API takes idempotency keys, so a session client cannot be
// used. Start delivers; Close delivers what it can before its context ends
// and leaves the rest in the database.
//
// # Guarantees
//
// An intent recorded with RecordTx exists exactly when the caller's
// transaction commits. It is sent after the commit, as often as needed,
// always under its key, and the platform applies a key at most once: each
// committed intent is applied exactly once, and a rolled-back one never.
// A definite refusal (insufficient balance, unknown meter, invalid
// customer or amount) is not retried: it is cancelled in River with its
// error and handed to WithDeadLetter's callback. An unknown outcome
// (guapocado.ErrOutcomeUnknown, 5xx, a lost connection) is retried with the
// same key.
//
// The bound: the platform keeps an idempotency key for a limited time
// (WithKeyRetention, 24 hours by default). An intent whose earlier attempt
// may have reached the platform and that is older than that is not sent
// again (it could be applied twice): it goes to the dead letters with
// ErrKeyExpired, to be reconciled by hand.
//
// # Post-paid meters
//
// WithPostpaid meters are coalesced: their intents are rows of the
// journal's own table, written in the caller's transaction; a periodic
// job seals the open intents of one customer and meter into a batch, in
// one transaction that stores the batch, marks its members and inserts the
// batch's job. The batch is sent as one consume of its total under its own
// key. A crash before the seal commits leaves the members open; after it,
// the batch never changes: no member is in two batches, and none is
// applied twice.
//
// # Instances
//
// Instances on one PostgreSQL share the work: River claims jobs with FOR
// UPDATE SKIP LOCKED, and its leader rescues the jobs of an instance that
// died once they ran longer than RescueStuckJobsAfter (2 minutes here),
// then retries them under the same key. River's rescuer runs every 30 s
// and its leader's lease lasts 15 s, neither configurable: a dead
// instance's work resumes within about RescueStuckJobsAfter + 45 s.
package journal
