// Package readmodel is the local read model of Guapocado billing: answers
// such as entitlements, limits, usage balances, the subscription, the plans
// and a customer's purchases kept in a [Store], written by webhook events
// and by the answers of API calls, and read without a round trip to
// Guapocado while they are fresh.
//
// # The read model
//
// [New] makes a [ReadModel] over either client's shared surface
// (&client.Billing). Its reads (Has, Limit, Balance, Subscription, Plans,
// Snapshot, Purchases) answer from the store while the stored answer is
// younger than its MaxAge, and otherwise ask the server and write the
// answer back; its writes (Consume, Refund, the settings, ChangePlan) go to
// the server and write its answer back, so a caller reads its own writes.
// Every answer says where it came from and how old it is ([Meta]). When
// the store fails a read, the answer comes from the server and the store's
// error goes to [WithErrorHandler]. [ReadModel.Project] and
// [ReadModel.WebhookHandler] apply verified webhook events, last-write-wins
// by their createdAt, and run the [Hooks]. [WithRegistration] registers the
// app's webhook endpoint with the platform and keeps its signing secret in
// the store for every instance.
//
// The user guide, with what differs from the platform's TypeScript SDK on
// purpose and why, is docs/readmodel.md in the repository.
//
// # Stores
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
// processed by another once the lease has passed. A [SecretStore] also
// keeps small secrets, apart from the records.
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
//
// # Options
//
// Each constructor takes its own option type, so an option that does not
// apply to it does not compile: [New] takes [Option], [NewMemoryStore]
// takes [MemoryOption] and [NewSQLStore] takes [SQLOption]. [WithClock]
// returns a [ClockOption], which is all three.
package readmodel
