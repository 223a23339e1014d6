// Package readmodel is the storage layer of the local read model (issue
// 16): answers such as entitlements kept in a [Store], written by webhook
// events and API answers, and read without a round trip to Guapocado.
//
// A [Record] is a JSON value under a key, with the SourceTime of the event
// or answer it came from (the server's clock for both: an event's
// createdAt, an answer's Date) and a Rank. Writes are conditional,
// last-write-wins by (SourceTime, Rank): [Store.Put] and [Store.Delete]
// apply only when nothing newer is stored, atomically, and report whether
// they won, so events that arrive late or twice cannot undo newer state.
// Deletes leave tombstones for the same reason. At an equal SourceTime and
// Rank the later arrival wins, which makes a repeated write idempotent.
//
// Keys come from [Key](customerID, kind, name), which escapes each part so
// that [CustomerPrefix] of one customer never matches another's keys; list
// a customer's records with [Store.List]. [Store.Claim] leases a webhook
// event id to exactly one caller across every instance sharing the store,
// and [Store.Complete] records it as processed, so an event delivered to
// two instances is processed once, and an event whose instance died is
// processed by another once the lease has passed.
//
// Several instances sharing an [SQLStore] serve answers from process
// memory when each runs [ReadModel.Follow], which follows the store's
// change feed ([ChangeFeed]); see docs/readmodel-scaling.md in the
// repository.
//
// Three stores are shipped or supported:
//
//   - [MemoryStore], the default: in process, safe for concurrent use,
//     bounded (expired claims are purged), and builds for GOOS=js
//     GOARCH=wasm.
//   - [SQLStore] on PostgreSQL, to share one read model among the instances
//     of a service: open a *sql.DB with a driver such as
//     github.com/jackc/pgx/v5/stdlib and call [NewSQLStore] with [Postgres],
//     then [SQLStore.Migrate].
//   - [SQLStore] on SQLite ([SQLite]), for one machine, with a driver such as
//     modernc.org/sqlite.
//
// This package imports no driver. Any other store can be checked against
// the same contract with [github.com/guapocado/guapocado-go/readmodel/storetest.Run].
package readmodel
