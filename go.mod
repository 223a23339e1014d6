module github.com/guapocado/guapocado-go

go 1.25.0

require (
	// go-querystring: every query string the SDK builds, from tagged parameter structs (query.go).
	github.com/google/go-querystring v1.2.0
	// go-retryablehttp: the one attempt loop of every call (retry.go); the SDK's policy plugs into it.
	github.com/hashicorp/go-retryablehttp v0.7.8
	// httpmock: the SDK's own tests, and users' tests of code that uses the SDK.
	github.com/jarcoal/httpmock v1.4.2
)

require (
	// go-cleanhttp: required by go-retryablehttp.
	github.com/hashicorp/go-cleanhttp v0.5.2 // indirect
	// x/sys: required by go-retryablehttp's test dependencies (go-hclog, go-isatty).
	golang.org/x/sys v0.47.0 // indirect
)
