//go:build !js

// Command serve runs the WebAssembly example: it builds the Go module of
// examples/wasm to main.wasm and serves, on one origin on 127.0.0.1, the
// page (index.html, app.js), Go's wasm_exec.js, main.wasm (gzip-compressed
// for browsers that accept it) and, under /api/auth/, the app the page
// calls:
//
//   - by default an embedded fake of a Better Auth app with the Guapocado
//     plugin (guapocadotest), trusting the page's origin; the page's
//     "Sign up" button creates a demo user and organization on it;
//   - with GUAPOCADO_BASE_URL set, a real app, reverse-proxied so that the
//     page and the app share an origin. The proxy presents the page's
//     requests with the app's own Origin and drops Domain from the cookies
//     the app sets, as a development proxy does; sign in with the app's
//     credentials.
//
// Usage, from the repository:
//
//	go run ./examples/wasm/serve                    # http://127.0.0.1:8080
//	go run ./examples/wasm/serve -addr 127.0.0.1:9000 -wasm /tmp/main.wasm
//	GUAPOCADO_BASE_URL=https://app.example.com go run ./examples/wasm/serve
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// examplePkg is the Go/WebAssembly module's package.
const examplePkg = "github.com/guapocado/guapocado-go/examples/wasm"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "serve:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	src := fs.String("src", "", "directory of the example (index.html, app.js, main.go); default: found with go list")
	wasmFile := fs.String("wasm", "", "a main.wasm already built with GOOS=js GOARCH=wasm; default: build it from -src")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *src == "" {
		// -e: the package is GOOS=js only, which go list would report as an error.
		dir, err := goCmd(ctx, "", "list", "-e", "-f", "{{.Dir}}", examplePkg)
		if err == nil && dir == "" {
			err = errors.New("not found from here")
		}
		if err != nil {
			return fmt.Errorf("finding %s (run from the repository, or pass -src): %w", examplePkg, err)
		}
		*src = dir
	}

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	origin := "http://" + ln.Addr().String()

	s, err := loadSite(ctx, *src, *wasmFile)
	if err != nil {
		return err
	}
	app := "the embedded fake app (guapocadotest)"
	if base := os.Getenv("GUAPOCADO_BASE_URL"); base != "" {
		target, err := url.Parse(strings.TrimRight(base, "/"))
		if err != nil || (target.Scheme != "http" && target.Scheme != "https") || target.Host == "" {
			return fmt.Errorf("GUAPOCADO_BASE_URL %q is not an http(s) URL", base)
		}
		s.api = appProxy(target, origin)
		app = target.Scheme + "://" + target.Host + " (proxied)"
	} else {
		fake := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins(origin))
		defer fake.Close()
		s.api = fake
	}
	fmt.Fprintf(out, "serving %s\n  app       %s under /api/auth/\n  main.wasm %d bytes, %d gzip-compressed\n",
		origin, app, len(s.wasm), len(s.wasmGz))

	srv := &http.Server{Handler: s.handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// site is what the server serves.
type site struct {
	index, app, wasmExec []byte
	wasm, wasmGz         []byte
	api                  http.Handler // /api/auth/
}

// loadSite reads the page from src, Go's wasm_exec.js, and main.wasm from
// wasmFile or, when it is empty, a fresh build of src.
func loadSite(ctx context.Context, src, wasmFile string) (*site, error) {
	s := &site{}
	var err error
	if s.index, err = os.ReadFile(filepath.Join(src, "index.html")); err != nil {
		return nil, err
	}
	if s.app, err = os.ReadFile(filepath.Join(src, "app.js")); err != nil {
		return nil, err
	}
	root, err := goCmd(ctx, "", "env", "GOROOT")
	if err != nil {
		return nil, err
	}
	if s.wasmExec, err = os.ReadFile(filepath.Join(root, "lib", "wasm", "wasm_exec.js")); err != nil {
		return nil, err
	}
	if wasmFile == "" {
		tmp, err := os.MkdirTemp("", "guapocado-wasm-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(tmp)
		wasmFile = filepath.Join(tmp, "main.wasm")
		if err := buildWasm(ctx, src, wasmFile); err != nil {
			return nil, err
		}
	}
	if s.wasm, err = os.ReadFile(wasmFile); err != nil {
		return nil, err
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	_, _ = zw.Write(s.wasm)
	if err := zw.Close(); err != nil {
		return nil, err
	}
	s.wasmGz = gz.Bytes()
	return s, nil
}

// buildWasm builds the module in dir with the flags of the size check.
func buildWasm(ctx context.Context, dir, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-trimpath", "-ldflags=-s -w", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("GOOS=js GOARCH=wasm go build in %s: %v\n%s", dir, err, b)
	}
	return nil
}

// goCmd runs the go command and returns its trimmed output.
func goCmd(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSpace(string(b)), nil
}

func (s *site) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", serveBytes("text/html; charset=utf-8", s.index))
	mux.HandleFunc("GET /app.js", serveBytes("text/javascript; charset=utf-8", s.app))
	mux.HandleFunc("GET /wasm_exec.js", serveBytes("text/javascript; charset=utf-8", s.wasmExec))
	mux.HandleFunc("GET /main.wasm", s.serveWasm)
	mux.Handle("/api/auth/", s.api)
	return mux
}

func serveBytes(contentType string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if b == nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-cache")
		_, _ = w.Write(b)
	}
}

// serveWasm sends main.wasm, gzip-compressed when the browser accepts it
// (the size a user downloads; see the README's size figures).
func (s *site) serveWasm(w http.ResponseWriter, r *http.Request) {
	if s.wasm == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/wasm")
	h.Set("Cache-Control", "no-cache")
	h.Add("Vary", "Accept-Encoding")
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		_, _ = w.Write(s.wasmGz)
		return
	}
	_, _ = w.Write(s.wasm)
}

func acceptsGzip(accept string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(name), "gzip") {
			return strings.ReplaceAll(strings.TrimSpace(params), " ", "") != "q=0"
		}
	}
	return false
}

// appProxy forwards /api/auth/ to the app at target. The page's Origin is
// replaced by the app's own (so that the app's CSRF check, which knows
// nothing of this proxy, passes), and the Domain attribute is dropped from
// the cookies the app sets (so that the browser keeps them for 127.0.0.1).
func appProxy(target *url.URL, pageOrigin string) http.Handler {
	targetOrigin := target.Scheme + "://" + target.Host
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(target)
			if pr.In.Header.Get("Origin") == pageOrigin {
				pr.Out.Header.Set("Origin", targetOrigin)
			}
			if ref := pr.In.Header.Get("Referer"); strings.HasPrefix(ref, pageOrigin+"/") {
				pr.Out.Header.Set("Referer", targetOrigin+strings.TrimPrefix(ref, pageOrigin))
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			for i, v := range resp.Header.Values("Set-Cookie") {
				resp.Header["Set-Cookie"][i] = withoutDomain(v)
			}
			return nil
		},
	}
}

// withoutDomain removes the Domain attribute from a Set-Cookie value.
func withoutDomain(setCookie string) string {
	parts := strings.Split(setCookie, ";")
	kept := parts[:1]
	for _, p := range parts[1:] {
		if name, _, _ := strings.Cut(strings.TrimSpace(p), "="); strings.EqualFold(name, "domain") {
			continue
		}
		kept = append(kept, p)
	}
	return strings.Join(kept, ";")
}
