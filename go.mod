module github.com/guapocado/guapocado-go

go 1.25.0

require (
	github.com/google/go-querystring v1.2.0
	github.com/jarcoal/httpmock v1.4.2
)
