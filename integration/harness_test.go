//go:build integration

// Package integration runs the SDK against a real Better Auth server: the
// Node program server.mjs in this folder (better-auth from npm, the
// organization and bearer plugins, and a Guapocado plugin stand-in backed by
// an in-process ledger). Every file here is a _test.go file behind the
// "integration" build tag, so `go test ./...` compiles nothing here; run
//
//	(cd integration && npm ci) && go test -tags integration ./integration/
package integration

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

const (
	// startTimeout bounds how long a server may take to print its LISTENING
	// line (loading better-auth takes about a second on an idle machine).
	startTimeout = 30 * time.Second
	// stopTimeout bounds how long a server may take to exit after SIGTERM
	// before it is killed.
	stopTimeout = 10 * time.Second
	// stderrCap bounds the server's stderr kept for failure reports.
	stderrCap = 64 << 10
)

// harnessEnvVars are removed from the inherited environment, so that each
// server gets exactly the configuration its test asks for (in particular,
// never an inherited NODE_ENV=test, which turns the Origin checks off).
var harnessEnvVars = []string{
	"NODE_ENV", "PORT", "BA_BASE_URL_SCHEME", "GUAP_CUSTOMER_SOURCE",
	"GUAP_WEBHOOK_SECRET", "BETTER_AUTH_SECRET", "BA_COOKIE_PREFIX", "BA_NO_BEARER", "BA_CORS_ORIGINS",
}

var listeningLine = regexp.MustCompile(`^LISTENING (http://127\.0\.0\.1:[0-9]+) BASEURL (https?://127\.0\.0\.1:[0-9]+)$`)

// server is one running server.mjs.
type server struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	stderr  *tailBuffer
	exited  chan struct{} // closed once the process has been waited for
	waitErr error         // valid after exited is closed
	stopped atomic.Bool
}

// startServer starts `node server.mjs` from this folder with env added to
// the environment (see server.mjs for the variables: PORT, BA_BASE_URL_SCHEME,
// GUAP_CUSTOMER_SOURCE, GUAP_WEBHOOK_SECRET, NODE_ENV), waits for its
// LISTENING line and returns:
//
//   - baseURL: Better Auth's configured baseURL, the origin a cookie session
//     must send as Origin (https://127.0.0.1:<port> with
//     BA_BASE_URL_SCHEME=https);
//   - appURL: where the server actually listens, always
//     http://127.0.0.1:<port>: send requests there.
//
// Both are equal unless BA_BASE_URL_SCHEME=https. The server is stopped
// (SIGTERM, then killed after stopTimeout) and waited for when t ends; its
// stdin stays an open pipe, so if the test binary dies the server sees EOF
// and exits by itself.
func startServer(t testing.TB, env map[string]string) (baseURL, appURL string) {
	t.Helper()
	s := launch(t, env)
	t.Cleanup(func() { s.stop(t) })
	return s.waitReady(t)
}

// launch starts the process without waiting for it to be ready. The caller
// must arrange for stop to run.
func launch(t testing.TB, env map[string]string) *server {
	t.Helper()
	if env["NODE_ENV"] == "test" {
		t.Fatal("startServer: NODE_ENV=test turns Better Auth's Origin checks off; never use it")
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("startServer: node is not on PATH: the integration tests need Node 20+: %v", err)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatalf("startServer: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "better-auth", "package.json")); err != nil {
		t.Fatalf("startServer: better-auth is not installed in %s: run `npm ci` there first", dir)
	}

	cmd := exec.Command(node, "server.mjs")
	cmd.Dir = dir
	cmd.Env = serverEnv(os.Environ(), env)
	cmd.WaitDelay = stopTimeout
	s := &server{cmd: cmd, stderr: &tailBuffer{max: stderrCap}, exited: make(chan struct{})}
	cmd.Stderr = s.stderr
	s.stdin, err = cmd.StdinPipe()
	if err != nil {
		t.Fatalf("startServer: stdin pipe: %v", err)
	}
	cmd.Stdout = newLineWatcher()
	if err := cmd.Start(); err != nil {
		t.Fatalf("startServer: start node server.mjs: %v", err)
	}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s
}

// waitReady waits for the LISTENING line and returns (baseURL, appURL).
func (s *server) waitReady(t testing.TB) (baseURL, appURL string) {
	t.Helper()
	lines := s.cmd.Stdout.(*lineWatcher).lines
	timer := time.NewTimer(startTimeout)
	defer timer.Stop()
	for {
		select {
		case line := <-lines:
			m := listeningLine.FindStringSubmatch(line)
			if m == nil {
				t.Fatalf("startServer: unexpected first line on the server's stdout: %q", line)
			}
			return m[2], m[1]
		case <-s.exited:
			t.Fatalf("startServer: server exited before it was ready (%v); stderr:\n%s", s.waitErr, s.stderr)
		case <-timer.C:
			t.Fatalf("startServer: no LISTENING line within %v; stderr:\n%s", startTimeout, s.stderr)
		}
	}
}

// stop ends the server (SIGTERM, then kill) and waits for it.
func (s *server) stop(t testing.TB) {
	if !s.stopped.CompareAndSwap(false, true) {
		return
	}
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(stopTimeout):
			_ = s.cmd.Process.Kill()
			<-s.exited
		}
	}
	_ = s.stdin.Close()
	if t.Failed() {
		t.Logf("server stderr:\n%s", s.stderr)
	}
}

// serverEnv returns base without the harness variables, plus env.
func serverEnv(base []string, env map[string]string) []string {
	out := make([]string, 0, len(base)+len(env))
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		drop := false
		for _, h := range harnessEnvVars {
			if name == h {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// lineWatcher is the server's stdout: it hands each complete line to lines
// (dropping lines nobody reads) and discards the rest.
type lineWatcher struct {
	lines chan string
	buf   []byte
}

func newLineWatcher() *lineWatcher { return &lineWatcher{lines: make(chan string, 1)} }

func (w *lineWatcher) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		select {
		case w.lines <- line:
		default:
		}
	}
	if len(w.buf) > 4096 {
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

// tailBuffer keeps the last max bytes written to it.
type tailBuffer struct {
	mu  sync.Mutex
	max int
	buf []byte
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf = append(b.buf, p...)
	if over := len(b.buf) - b.max; over > 0 {
		b.buf = b.buf[over:]
	}
	return len(p), nil
}

func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}

// emailSeq makes sign-up addresses unique within a test binary.
var emailSeq atomic.Int64

func uniqueEmail(prefix string) string {
	return fmt.Sprintf("%s-%d-%d@example.com", prefix, os.Getpid(), emailSeq.Add(1))
}

// rawResponse is a response read whole.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// send makes one request; body "" sends none. Headers are set verbatim
// (Content-Type included), so a test controls exactly what goes out.
func send(t testing.TB, method, url string, header map[string]string, body string) rawResponse {
	t.Helper()
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{Timeout: 15 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return rawResponse{status: resp.StatusCode, header: resp.Header, body: b}
}

// decode unmarshals r.body into v, failing the test on error.
func (r rawResponse) decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %d response: %v", r.status, err)
	}
}

// session is a signed-up user's credentials. Never print them.
type session struct {
	bearer string       // the set-auth-token value
	cookie *http.Cookie // the session cookie
	userID string
}

// signUp creates a user through POST /sign-up/email.
func signUp(t testing.TB, appURL, name string) session {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":"password1234","name":%q}`, uniqueEmail(strings.ToLower(name)), name)
	r := send(t, http.MethodPost, appURL+"/api/auth/sign-up/email", map[string]string{"Content-Type": "application/json"}, body)
	if r.status != http.StatusOK {
		t.Fatalf("sign-up: status %d, body %s", r.status, r.body)
	}
	var out struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	r.decode(t, &out)
	s := session{bearer: r.header.Get("Set-Auth-Token"), userID: out.User.ID}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if strings.HasSuffix(c.Name, "better-auth.session_token") {
			s.cookie = c
		}
	}
	if s.bearer == "" || s.cookie == nil || s.userID == "" {
		t.Fatalf("sign-up: missing set-auth-token (%t), session cookie (%t) or user id (%t)",
			s.bearer != "", s.cookie != nil, s.userID != "")
	}
	return s
}

// createOrganization creates (and so activates) an organization with the
// bearer token and returns its id.
func createOrganization(t testing.TB, appURL string, s session, slug string) string {
	t.Helper()
	r := send(t, http.MethodPost, appURL+"/api/auth/organization/create", map[string]string{
		"Content-Type":  "application/json",
		"Authorization": "Bearer " + s.bearer,
	}, fmt.Sprintf(`{"name":%q,"slug":%q}`, slug, slug))
	if r.status != http.StatusOK {
		t.Fatalf("organization/create: status %d, body %s", r.status, r.body)
	}
	var org struct {
		ID string `json:"id"`
	}
	r.decode(t, &org)
	if org.ID == "" {
		t.Fatal("organization/create: no id in the response")
	}
	return org.ID
}

func TestHarnessSmoke(t *testing.T) {
	t.Parallel()
	baseURL, appURL := startServer(t, nil)
	if baseURL != appURL {
		t.Fatalf("default server: baseURL %s differs from appURL %s", baseURL, appURL)
	}
	s := signUp(t, appURL, "Alice")
	orgID := createOrganization(t, appURL, s, "acme")
	has := appURL + "/api/auth/guapocado/has"
	cookie := s.cookie.Name + "=" + s.cookie.Value

	t.Run("bearer", func(t *testing.T) {
		r := send(t, http.MethodPost, has, map[string]string{
			"Content-Type":  "application/json",
			"Authorization": "Bearer " + s.bearer,
		}, `{"key":"csv-export"}`)
		if r.status != http.StatusOK {
			t.Fatalf("status %d, body %s", r.status, r.body)
		}
		var got struct {
			CustomerID string `json:"customerId"`
			Allowed    bool   `json:"allowed"`
		}
		r.decode(t, &got)
		if got.CustomerID != orgID || !got.Allowed {
			t.Fatalf("got customerId %q allowed %t, want %q true", got.CustomerID, got.Allowed, orgID)
		}
	})

	t.Run("cookie without Origin", func(t *testing.T) {
		r := send(t, http.MethodPost, has, map[string]string{
			"Content-Type": "application/json",
			"Cookie":       cookie,
		}, `{"key":"csv-export"}`)
		if r.status != http.StatusForbidden {
			t.Fatalf("status %d, body %s; want 403", r.status, r.body)
		}
		var got struct {
			Code string `json:"code"`
		}
		r.decode(t, &got)
		if got.Code != "MISSING_OR_NULL_ORIGIN" {
			t.Fatalf("code %q, want MISSING_OR_NULL_ORIGIN", got.Code)
		}
	})

	t.Run("cookie with Origin", func(t *testing.T) {
		r := send(t, http.MethodPost, has, map[string]string{
			"Content-Type": "application/json",
			"Cookie":       cookie,
			"Origin":       baseURL,
		}, `{"key":"csv-export"}`)
		want := fmt.Sprintf(`{"customerId":%q,"allowed":true}`, orgID)
		if r.status != http.StatusOK || string(r.body) != want {
			t.Fatalf("got %d %s, want 200 %s", r.status, r.body, want)
		}
	})
}

func TestHarnessHTTPSBaseURL(t *testing.T) {
	t.Parallel()
	baseURL, appURL := startServer(t, map[string]string{"BA_BASE_URL_SCHEME": "https"})
	if want := "https://" + strings.TrimPrefix(appURL, "http://"); baseURL != want {
		t.Fatalf("baseURL %s, want %s", baseURL, want)
	}
	s := signUp(t, appURL, "Sam")
	if s.cookie.Name != "__Secure-better-auth.session_token" || !s.cookie.Secure {
		t.Fatalf("session cookie %q (Secure %t), want __Secure-better-auth.session_token, Secure", s.cookie.Name, s.cookie.Secure)
	}
}

// TestHarnessStopsServer checks that nothing outlives a test: after the
// subtest's cleanup the port no longer answers, and a server whose stdin
// closes (its parent died) exits by itself.
func TestHarnessStopsServer(t *testing.T) {
	t.Parallel()
	var appURL string
	t.Run("run", func(t *testing.T) {
		_, appURL = startServer(t, nil)
	})
	if appURL == "" {
		t.Fatal("no server started")
	}
	addr := strings.TrimPrefix(appURL, "http://")
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after the test's cleanup", addr)
	}

	s := launch(t, nil)
	t.Cleanup(func() { s.stop(t) })
	s.waitReady(t)
	if err := s.stdin.Close(); err != nil {
		t.Fatalf("close stdin: %v", err)
	}
	select {
	case <-s.exited:
		if s.waitErr != nil {
			t.Fatalf("server exited with %v after stdin closed, want status 0", s.waitErr)
		}
	case <-time.After(stopTimeout):
		t.Fatal("server still running 10s after its stdin closed")
	}
}
