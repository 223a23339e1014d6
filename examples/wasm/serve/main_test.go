//go:build !js

package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
)

// syncBuffer is an io.Writer safe to read while run writes to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// get fetches url and returns the response with its body read.
func get(t *testing.T, c *http.Client, url string, header ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

// waitServing waits for run's "serving" lines and returns their submatches:
// the origin, main.wasm's size and its gzip-compressed size.
func waitServing(t *testing.T, out *syncBuffer, done <-chan error) []string {
	t.Helper()
	re := regexp.MustCompile(`serving (http://127\.0\.0\.1:\d+)\n  app +the embedded fake app \(guapocadotest\) under /api/auth/\n  main\.wasm (\d+) bytes, (\d+) gzip-compressed\n`)
	// No deadline of its own: a cold GOOS=js build can take minutes on a slow
	// machine; go test's -timeout bounds the wait.
	for ; ; time.Sleep(50 * time.Millisecond) {
		select {
		case err := <-done:
			t.Fatalf("run returned early: %v\n%s", err, out.String())
		default:
		}
		if m := re.FindStringSubmatch(out.String()); m != nil {
			return m
		}
	}
}

func post(t *testing.T, c *http.Client, url, origin, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest("POST", url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", origin)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestServe runs the program as go run ./examples/wasm/serve does (it builds
// main.wasm) and checks what a browser gets from it: the page, the glue,
// wasm_exec.js, main.wasm (gzip-compressed when accepted) and the embedded
// fake app on the same origin.
func TestServe(t *testing.T) {
	testenv.NeedFull(t, "builds main.wasm (GOOS=js GOARCH=wasm)")
	t.Setenv("GUAPOCADO_BASE_URL", "")
	ctx, cancel := context.WithCancel(context.Background())
	var out syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"-addr", "127.0.0.1:0", "-src", ".."}, &out) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	m := waitServing(t, &out, done)
	origin := m[1]
	c := &http.Client{Transport: &http.Transport{DisableCompression: true}}

	resp, b := get(t, c, origin+"/")
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") ||
		!bytes.Contains(b, []byte(`src="app.js"`)) || !bytes.Contains(b, []byte(`src="wasm_exec.js"`)) {
		t.Fatalf("GET /: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	resp, b = get(t, c, origin+"/app.js")
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("guapocado.consume(")) {
		t.Fatalf("GET /app.js: %d", resp.StatusCode)
	}
	resp, b = get(t, c, origin+"/wasm_exec.js")
	if resp.StatusCode != 200 || !bytes.Contains(b, []byte("globalThis.Go")) {
		t.Fatalf("GET /wasm_exec.js: %d", resp.StatusCode)
	}
	resp, raw := get(t, c, origin+"/main.wasm")
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/wasm" || resp.Header.Get("Content-Encoding") != "" ||
		!bytes.HasPrefix(raw, []byte("\x00asm")) || m[2] != strconv.Itoa(len(raw)) {
		t.Fatalf("GET /main.wasm: %d %q %q, %d bytes (announced %s)", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Encoding"), len(raw), m[2])
	}
	resp, gz := get(t, c, origin+"/main.wasm", "Accept-Encoding", "gzip, deflate, br")
	if resp.Header.Get("Content-Encoding") != "gzip" || m[3] != strconv.Itoa(len(gz)) {
		t.Fatalf("GET /main.wasm accepting gzip: Content-Encoding %q, %d bytes (announced %s)", resp.Header.Get("Content-Encoding"), len(gz), m[3])
	}
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if unz, err := io.ReadAll(zr); err != nil || !bytes.Equal(unz, raw) {
		t.Fatalf("the gzip-compressed main.wasm does not decompress to main.wasm (%v)", err)
	}
	if resp, _ := get(t, c, origin+"/nope"); resp.StatusCode != 404 {
		t.Errorf("GET /nope: %d", resp.StatusCode)
	}

	// The embedded fake trusts the page's origin, and only it.
	jar, _ := cookiejar.New(nil)
	app := &http.Client{Jar: jar}
	if code, body := post(t, app, origin+"/api/auth/sign-up/email", origin, `{"email":"serve@example.com","password":"pw-serve-123","name":"S"}`); code != 200 {
		t.Fatalf("sign-up on the page's origin: %d %s", code, body)
	}
	if code, body := post(t, app, origin+"/api/auth/organization/create", "http://evil.example", `{"name":"S","slug":"s"}`); code != 403 {
		t.Fatalf("create organization from a foreign origin: %d %s, want 403", code, body)
	}
}

// TestAppProxy: with GUAPOCADO_BASE_URL the page's /api/auth/ is the real
// app's, reverse-proxied. The app (a guapocadotest server that trusts only
// its own origin, behind its own origin, setting cookies with a Domain) sees the page's requests
// with its own Origin, and the browser keeps its cookies for the page.
func TestAppProxy(t *testing.T) {
	// The app is a guapocadotest server behind a wrapper on its own origin
	// that adds a Domain to every cookie.
	app := httptest.NewUnstartedServer(nil)
	appSrv := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins("http://" + app.Listener.Addr().String()))
	defer appSrv.Close()
	app.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		appSrv.ServeHTTP(rec, r)
		for k, vs := range rec.Header() {
			for _, v := range vs {
				if k == "Set-Cookie" {
					v += "; Domain=app.example.com"
				}
				w.Header().Add(k, v)
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})
	app.Start()
	defer app.Close()

	page := httptest.NewUnstartedServer(nil)
	origin := "http://" + page.Listener.Addr().String()
	target := mustURL(t, app.URL)
	page.Config.Handler = (&site{api: appProxy(target, origin)}).handler()
	page.Start()
	defer page.Close()

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if code, body := post(t, c, page.URL+"/api/auth/sign-up/email", origin, `{"email":"proxy@example.com","password":"pw-proxy-123","name":"P"}`); code != 200 {
		t.Fatalf("sign-up through the proxy: %d %s", code, body)
	}
	if len(jar.Cookies(mustURL(t, page.URL))) == 0 {
		t.Fatal("the session cookie was not kept for the page's origin (a Domain left in would make the jar refuse it)")
	}
	if code, body := post(t, c, page.URL+"/api/auth/organization/create", origin, `{"name":"P","slug":"p"}`); code != 200 {
		t.Fatalf("create organization through the proxy: %d %s", code, body)
	}
	if code, body := post(t, c, page.URL+"/api/auth/guapocado/usage/consume", origin, `{"key":"api-calls","amount":2}`); code != 200 || !strings.Contains(body, `"balance":98`) {
		t.Fatalf("consume through the proxy: %d %s", code, body)
	}
	// Only the page's own Origin is vouched for.
	if code, body := post(t, c, page.URL+"/api/auth/guapocado/usage/consume", "http://evil.example", `{"key":"api-calls","amount":2}`); code != 403 {
		t.Fatalf("consume from a foreign origin through the proxy: %d %s, want 403", code, body)
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestWithoutDomain(t *testing.T) {
	for in, want := range map[string]string{
		"a=1; Path=/; HttpOnly":                                "a=1; Path=/; HttpOnly",
		"a=1; Domain=app.example.com; Path=/; Secure":          "a=1; Path=/; Secure",
		"a=1;domain=.example.com":                              "a=1",
		"a=domain=x; Path=/":                                   "a=domain=x; Path=/",
		"better-auth.session_token=v%3D; DOMAIN=x; Max-Age=60": "better-auth.session_token=v%3D; Max-Age=60",
	} {
		if got := withoutDomain(in); got != want {
			t.Errorf("withoutDomain(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAcceptsGzip(t *testing.T) {
	for in, want := range map[string]bool{
		"":                        false,
		"gzip":                    true,
		"gzip, deflate, br, zstd": true,
		"br;q=1.0, GZIP;q=0.5":    true,
		"gzip;q=0":                false,
		"deflate":                 false,
		"x-gzip":                  false,
	} {
		if got := acceptsGzip(in); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", in, got, want)
		}
	}
}
