package guapocadotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// exch is one answer from the fake.
type exch struct {
	Status int
	Header http.Header
	Body   string
}

// send makes one raw HTTP request. path is below /api/auth unless it starts
// with "/api/". hdr is a list of name, value pairs; a POST with a body gets
// Content-Type: application/json unless hdr names Content-Type ("-" leaves
// the header out). A Cookie value of "" sends an empty Cookie header.
func send(t *testing.T, srv *guapocadotest.Server, method, path, body string, hdr ...string) exch {
	t.Helper()
	if !strings.HasPrefix(path, "/api/") {
		path = guapocadotest.BasePath + path
	}
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" && method != http.MethodGet {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		name, value := hdr[i], hdr[i+1]
		if value == "-" {
			req.Header.Del(name)
			continue
		}
		req.Header[http.CanonicalHeaderKey(name)] = []string{value}
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return exch{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// bearer is the header pair for a bearer token.
func bearer(token string) []string { return []string{"Authorization", "Bearer " + token} }

// sessionCookie is the Cookie header value carrying token.
func sessionCookie(token string) string {
	return "better-auth.session_token=" + strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(token)
}

// newSession makes a ready-to-bill session or fails the test.
func newSession(t *testing.T, srv *guapocadotest.Server) guapocadotest.Session {
	t.Helper()
	s, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// check compares an answer with the wanted status and body ("" = empty).
func check(t *testing.T, what string, got exch, status int, body string) {
	t.Helper()
	if got.Status != status || got.Body != body {
		t.Errorf("%s:\n got %d %s\nwant %d %s", what, got.Status, got.Body, status, body)
	}
}

// decode parses a JSON object answer.
func decode(t *testing.T, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("decode %q: %v", body, err)
	}
	return m
}
