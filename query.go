package guapocado

import (
	"net/url"

	"github.com/google/go-querystring/query"
)

// Every query string the SDK sends is built here, by go-querystring, from
// typed parameter structs: the url tags of their fields are the names and
// rules (omitempty) of the query, and nothing else writes a query.

// ListParams page a platform listing (purchases, subscriptions,
// customers); the zero value asks for the first page.
type ListParams struct {
	// Cursor continues after a page (its NextCursor, or the id of the last
	// item seen).
	Cursor string `url:"cursor,omitempty"`
	// Limit is the page size; 0 lets the platform choose.
	Limit int `url:"limit,omitempty"`
	// MaxPages bounds the pages an All iteration fetches (0:
	// DefaultMaxPages); past it the iteration ends with a
	// *PageLimitError. List ignores it, and it is never sent.
	MaxPages int `url:"-"`
}

// customerQuery names the customer of a platform GET (the platform mode
// adds it to the caller's parameters).
type customerQuery struct {
	CustomerID string `url:"customerId"`
}

// withQuery returns path with the query of params appended: each a tagged
// struct (or a pointer to one; nil adds nothing), merged in order, the
// result sorted by name (url.Values.Encode). It is the SDK's addOptions.
func withQuery(path string, params ...any) (string, error) {
	var q url.Values
	for _, p := range params {
		if p == nil {
			continue
		}
		v, err := query.Values(p)
		if err != nil {
			return "", &ValidationError{Field: "params", Reason: err.Error()}
		}
		if q == nil {
			q = v
			continue
		}
		for k, vs := range v {
			q[k] = append(q[k], vs...)
		}
	}
	if enc := q.Encode(); enc != "" {
		return path + "?" + enc, nil
	}
	return path, nil
}
