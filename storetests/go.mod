// Driver-backed tests of the readmodel stores. A module of its own so that
// the core module github.com/guapocado/guapocado-go keeps no database
// driver among its dependencies.
//
//   - github.com/jackc/pgx/v5: its stdlib package is the database/sql driver
//     for PostgreSQL, the shared store of a multi-instance deployment.
//   - modernc.org/sqlite: SQLite in pure Go (no cgo), for the single-file
//     store and for tests that need no server.
//
// Both are their current releases. modernc.org/sqlite v1.63 asks for
// go 1.26, so this test-only module says go 1.26 while the modules users
// import (the core module, otelguapocado) say go 1.25.
module github.com/guapocado/guapocado-go/storetests

go 1.26.0

require (
	github.com/guapocado/guapocado-go v0.0.0
	github.com/jackc/pgx/v5 v5.13.0
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
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	golang.org/x/text v0.41.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)

replace github.com/guapocado/guapocado-go => ../
