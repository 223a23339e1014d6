package guapocadotest

import (
	"net/http"
	"net/url"
	"testing"
)

// New starts a fake like NewServer and closes it when tb's test ends
// (tb.Cleanup):
//
//	func TestHandler(t *testing.T) {
//		srv := guapocadotest.New(t)
//		…
//	}
func New(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := NewServer(opts...)
	tb.Cleanup(s.Close)
	return s
}

// Authorize puts sess's session cookie on r, as a browser signed in to the
// app would send it (under the server's cookie name: the cookie prefix,
// "__Secure-" prefixed under WithHTTPS), for testing a handler that reads
// the session from its request: Client.ForRequest, or the SDK's
// middleware. Cookies already on r are kept.
func (s *Server) Authorize(r *http.Request, sess Session) {
	r.AddCookie(&http.Cookie{Name: s.cookieName("session_token"), Value: url.QueryEscape(sess.Token)})
}

// AuthorizeBearer puts sess's token on r as "Authorization: Bearer", as a
// client of Better Auth's bearer plugin sends it.
func AuthorizeBearer(r *http.Request, sess Session) {
	r.Header.Set("Authorization", "Bearer "+sess.Token)
}
