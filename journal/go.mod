// The metering journal (package journal) and its backend-job example. A
// module of its own so that the core module github.com/guapocado/guapocado-go
// keeps River and the database drivers out of its dependencies.
//
//   - github.com/riverqueue/river (and riverdriver, rivertype): the
//     transactional job queue the journal is built on: inserts in the
//     caller's transaction, claiming across instances, retries, rescue.
//   - github.com/riverqueue/river/riverdriver/riverpgxv5 and
//     github.com/jackc/pgx/v5: PostgreSQL, the store for several instances
//     (pgx v5.13, as storetests).
//   - github.com/riverqueue/river/riverdriver/riversqlite and
//     modernc.org/sqlite: SQLite in pure Go (no cgo), for one machine, the
//     example and the tests that need no server.
//
// River v0.51 and modernc.org/sqlite v1.63 ask for go 1.26, so this module
// says go 1.26 while the core module says go 1.25.
module github.com/guapocado/guapocado-go/journal

go 1.26.0

replace github.com/guapocado/guapocado-go => ../

require (
	github.com/guapocado/guapocado-go v0.2.0
	github.com/jackc/pgx/v5 v5.13.0
	github.com/riverqueue/river v0.51.2
	github.com/riverqueue/river/riverdriver v0.51.2
	github.com/riverqueue/river/riverdriver/riverpgxv5 v0.51.2
	github.com/riverqueue/river/riverdriver/riversqlite v0.51.2
	github.com/riverqueue/river/rivertype v0.51.2
	modernc.org/sqlite v1.63.0
)

require (
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.3 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/riverqueue/river/rivershared v0.51.2 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.2.0 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.43.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)
