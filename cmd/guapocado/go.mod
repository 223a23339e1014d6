// The guapocado command. A module of its own so that the core module
// github.com/guapocado/guapocado-go keeps River and the SQLite driver out of
// its dependencies: `usage import` is a command over the metering journal
// (package journal), on a SQLite file.
//
// No replace directive: `go install
// github.com/guapocado/guapocado-go/cmd/guapocado@latest` refuses a module
// that has one. Inside the repository, go.work (this directory) uses the
// checkouts of the root module and the journal instead of their releases.
//
//   - github.com/guapocado/guapocado-go: the SDK (clients, fake, billing
//     config), at the release this command is tagged with.
//   - github.com/guapocado/guapocado-go/journal: usage import's delivery,
//     released with the same version.
//   - github.com/riverqueue/river, riverdriver/riversqlite and rivertype:
//     the journal's River client on the import's SQLite file, and the
//     worker middleware that watches each line's delivery (the journal's
//     versions).
//   - modernc.org/sqlite: SQLite in pure Go (no cgo), so the command still
//     builds with CGO_ENABLED=0 and installs everywhere.
//   - golang.org/x/term: terminal detection and password prompts without
//     echo on every OS.
//
// River v0.51 and modernc.org/sqlite v1.63 ask for go 1.26, as the journal.
module github.com/guapocado/guapocado-go/cmd/guapocado

go 1.26.0

require (
	github.com/guapocado/guapocado-go v0.2.0
	github.com/guapocado/guapocado-go/journal v0.2.0
	github.com/riverqueue/river v0.51.2
	github.com/riverqueue/river/riverdriver/riversqlite v0.51.2
	github.com/riverqueue/river/rivertype v0.51.2
	golang.org/x/term v0.45.0
	modernc.org/sqlite v1.63.0
)

require (
	github.com/dustin/go-humanize v1.1.0 // indirect
	github.com/google/go-querystring v1.2.0 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	github.com/hashicorp/go-retryablehttp v0.7.8 // indirect
	github.com/mattn/go-isatty v0.0.24 // indirect
	github.com/ncruces/go-strftime v1.1.0 // indirect
	github.com/remyoudompheng/bigfft v0.0.0-20230129092748-24d4a6f8daec // indirect
	github.com/riverqueue/river/riverdriver v0.51.2 // indirect
	github.com/riverqueue/river/rivershared v0.51.2 // indirect
	github.com/tidwall/gjson v1.20.0 // indirect
	github.com/tidwall/match v1.2.0 // indirect
	github.com/tidwall/pretty v1.2.1 // indirect
	github.com/tidwall/sjson v1.2.5 // indirect
	golang.org/x/sync v0.24.0 // indirect
	golang.org/x/sys v0.49.0 // indirect
	modernc.org/libc v1.80.1 // indirect
	modernc.org/mathutil v1.7.1 // indirect
	modernc.org/memory v1.12.1 // indirect
)
