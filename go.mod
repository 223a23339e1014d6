module github.com/guapocado/guapocado-go

go 1.25.0

require (
	github.com/google/go-querystring v1.2.0
	github.com/jarcoal/httpmock v1.4.2
	// cmd/guapocado: terminal detection and password prompts without echo on
	// every OS (termios on Unix, the console mode on Windows). v0.45.0 is the
	// newest that keeps go 1.25.0.
	golang.org/x/term v0.45.0
)

require golang.org/x/sys v0.47.0 // indirect; golang.org/x/term's system calls
