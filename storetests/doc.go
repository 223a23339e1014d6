// Package storetests runs the readmodel store contract (readmodel/storetest)
// against real databases: SQLite through modernc.org/sqlite, always, and
// PostgreSQL through pgx when GUAPOCADO_PG_DSN names one. .ci/stores.sh
// starts a local PostgreSQL and runs it.
package storetests
