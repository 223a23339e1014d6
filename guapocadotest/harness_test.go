package guapocadotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// answer is one answer from the fake.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

// rawDo makes one raw HTTP request. path is below /api/auth unless it starts
// with "/api/" or "/v1/" (the platform API). hdr is a list of name, value pairs; a POST with a body gets
// Content-Type: application/json unless hdr names Content-Type ("-" leaves
// the header out). A Cookie value of "" sends an empty Cookie header.
func rawDo(t *testing.T, srv *guapocadotest.Server, method, path, jsonObj string, hdr ...string) answer {
	t.Helper()
	if !strings.HasPrefix(path, "/api/") && !strings.HasPrefix(path, "/v1/") {
		path = guapocadotest.BasePath + path
	}
	var rd io.Reader
	if jsonObj != "" {
		rd = strings.NewReader(jsonObj)
	}
	req, err := http.NewRequest(method, srv.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if jsonObj != "" && method != http.MethodGet {
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
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: string(b)}
}

// bearerHdr is the header pair for a bearer token.
func bearerHdr(token string) []string { return []string{"Authorization", "Bearer " + token} }

// sessionCookieHdr is the Cookie header value carrying token.
func sessionCookieHdr(token string) string {
	return "better-auth.session_token=" + strings.NewReplacer("/", "%2F", "+", "%2B", "=", "%3D").Replace(token)
}

// mustSession makes a ready-to-bill session or fails the test.
func mustSession(t *testing.T, srv *guapocadotest.Server) guapocadotest.Session {
	t.Helper()
	s, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// expectAnswer compares an answer with the wanted status and body ("" = empty).
func expectAnswer(t *testing.T, what string, got answer, status int, jsonObj string) {
	t.Helper()
	if got.Status != status || got.Body != jsonObj {
		t.Errorf("%s:\n got %d %s\nwant %d %s", what, got.Status, got.Body, status, jsonObj)
	}
}

// decodeObject parses a JSON object answer.
func decodeObject(t *testing.T, jsonObj string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(jsonObj), &m); err != nil {
		t.Fatalf("decode %q: %v", jsonObj, err)
	}
	return m
}
