//go:build unix

// Package browsertest runs a package's GOOS=js GOARCH=wasm tests inside a real
// headless Chromium, on a page served from a local origin that also serves an
// API handler, so that the tests see what a browser front end sees: fetch,
// browser-owned cookies, Origin headers and CORS.
//
// Run compiles the test binary (GOOS=js GOARCH=wasm go test -c), starts two
// servers on 127.0.0.1 (the page origin, which serves the runner's page under
// /__browsertest/ and everything else through the caller's page handler, and
// a second origin on another port served by the caller's cross handler),
// launches Chromium on the page and collects the program's output and exit
// code, which the page posts back. Chromium is always killed before Run
// returns.
//
// The wasm program gets two environment variables: BROWSERTEST_PAGE_ORIGIN
// and BROWSERTEST_CROSS_ORIGIN.
package browsertest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

//go:embed page.html
var pageHTML []byte

// Prefix is the path prefix the runner keeps for itself on the page origin.
const Prefix = "/__browsertest/"

// Origins are the two origins a run serves.
type Origins struct {
	Page  string // serves the test page and the page handler, e.g. "http://127.0.0.1:41234"
	Cross string // a second origin (another port) served by the cross handler
}

// Options configure Run.
type Options struct {
	// Dir is the directory go test -c runs in (the module or package
	// directory); empty means the current directory.
	Dir string
	// Package is the package whose tests run in the browser, as given to
	// go test, e.g. "." or "./internal/x". Ignored when WasmFile is set.
	Package string
	// BuildFlags are extra go test -c flags, e.g. "-tags=foo".
	BuildFlags []string
	// WasmFile is an already built GOOS=js test binary; when set, Run does
	// not build.
	WasmFile string
	// TestArgs are the test binary's flags, e.g. "-test.v",
	// "-test.run=^TestBrowser".
	TestArgs []string
	// Env is extra environment for the wasm program.
	Env map[string]string
	// API returns the handlers of the two origins once their addresses are
	// known: page serves every path of the page origin outside Prefix, cross
	// every path of the second origin. Nil (or a nil handler) answers 404.
	API func(Origins) (page, cross http.Handler)
	// Output receives the program's output line by line as it arrives, each
	// line preceded by LinePrefix. Nil discards (Result.Output still has it).
	Output     io.Writer
	LinePrefix string
	// Timeout bounds the whole run after the build; zero means 2 minutes.
	Timeout time.Duration
	// Chromium is the browser binary; empty means $BROWSERTEST_CHROMIUM, else
	// "chromium" from PATH.
	Chromium string
}

// Result is what the program reported.
type Result struct {
	ExitCode int    // the wasm program's exit code (go test's: 0 pass, 1 fail)
	Output   string // everything it wrote to stdout and stderr
}

// ChromiumFlags are the flags Chromium is started with, before
// --user-data-dir (a fresh temporary directory) and the page URL. Running as
// root needs --no-sandbox; the rest stop Chromium from reaching the network
// on its own (where no network exists, its attempts only add noise and
// delay).
var ChromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--disable-default-apps",
	"--disable-extensions",
	"--disable-dev-shm-usage",
	"--mute-audio",
}

// Run builds (unless WasmFile is set) and runs the tests in Chromium. A
// returned error means the run itself failed (build error, Chromium crash,
// timeout); a failing test is a Result with a non-zero ExitCode.
func Run(ctx context.Context, o Options) (*Result, error) {
	tmp, err := os.MkdirTemp("", "browsertest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)

	wasmFile := o.WasmFile
	if wasmFile == "" {
		wasmFile = filepath.Join(tmp, "test.wasm")
		if err := Build(ctx, o.Dir, o.Package, wasmFile, o.BuildFlags...); err != nil {
			return nil, err
		}
	}
	wasmExec, err := WasmExecJS(ctx)
	if err != nil {
		return nil, err
	}

	timeout := o.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	col := &collector{out: o.Output, prefix: o.LinePrefix, done: make(chan int, 1)}
	pageMux := http.NewServeMux()
	var pageAPI, crossAPI http.Handler = http.NotFoundHandler(), http.NotFoundHandler()
	pageMux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { pageAPI.ServeHTTP(w, r) }))
	page := httptest.NewUnstartedServer(pageMux)
	cross := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { crossAPI.ServeHTTP(w, r) }))
	origins := Origins{Page: "http://" + page.Listener.Addr().String(), Cross: "http://" + cross.Listener.Addr().String()}
	if o.API != nil {
		p, c := o.API(origins)
		if p != nil {
			pageAPI = p
		}
		if c != nil {
			crossAPI = c
		}
	}

	env := map[string]string{"BROWSERTEST_PAGE_ORIGIN": origins.Page, "BROWSERTEST_CROSS_ORIGIN": origins.Cross}
	for k, v := range o.Env {
		env[k] = v
	}
	config, err := json.Marshal(struct {
		Argv []string          `json:"argv"`
		Env  map[string]string `json:"env"`
	}{append([]string{"test.wasm"}, o.TestArgs...), env})
	if err != nil {
		return nil, err
	}
	pageMux.HandleFunc("GET "+Prefix+"{$}", serveBytes("text/html; charset=utf-8", pageHTML))
	pageMux.HandleFunc("GET "+Prefix+"wasm_exec.js", serveBytes("text/javascript", wasmExec))
	pageMux.HandleFunc("GET "+Prefix+"config.json", serveBytes("application/json", config))
	pageMux.HandleFunc("GET "+Prefix+"test.wasm", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/wasm")
		http.ServeFile(w, r, wasmFile)
	})
	pageMux.HandleFunc("POST "+Prefix+"output", col.serveOutput)
	pageMux.HandleFunc("POST "+Prefix+"exit", col.serveExit)
	page.Start()
	defer page.Close()
	cross.Start()
	defer cross.Close()

	code, err := runChromium(ctx, o.Chromium, tmp, origins.Page+Prefix, col.done)
	col.flush()
	res := &Result{ExitCode: code, Output: col.output()}
	if err != nil {
		return res, err
	}
	return res, nil
}

// runChromium starts Chromium on url and waits for an exit code on done, for
// Chromium to exit on its own (an error), or for ctx. It kills Chromium's
// whole process group before returning.
func runChromium(ctx context.Context, bin, tmp, url string, done <-chan int) (int, error) {
	if bin == "" {
		bin = os.Getenv("BROWSERTEST_CHROMIUM")
	}
	if bin == "" {
		bin = "chromium"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return -1, fmt.Errorf("browsertest: chromium not found (install Debian's chromium package or set BROWSERTEST_CHROMIUM): %w", err)
	}
	profile := filepath.Join(tmp, "profile")
	if err := os.Mkdir(profile, 0o700); err != nil {
		return -1, err
	}
	args := append(append([]string{}, ChromiumFlags...), "--user-data-dir="+profile, url)
	cmd := exec.Command(path, args...)
	var stderr tailBuffer
	cmd.Stdout = &stderr
	cmd.Stderr = &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return -1, fmt.Errorf("browsertest: start chromium: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	kill := func() {
		// Chromium forks helpers (zygote, renderer, utility); they share
		// the process group started above.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	select {
	case code := <-done:
		kill()
		return code, nil
	case err := <-exited:
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		return -1, fmt.Errorf("browsertest: chromium exited before the tests finished (%v); its output ends with:\n%s", err, stderr.String())
	case <-ctx.Done():
		kill()
		return -1, fmt.Errorf("browsertest: no exit code from the page: %w; chromium's output ends with:\n%s", ctx.Err(), stderr.String())
	}
}

// Build compiles pkg's tests for GOOS=js GOARCH=wasm into out.
func Build(ctx context.Context, dir, pkg, out string, flags ...string) error {
	if pkg == "" {
		return errors.New("browsertest: no package to build")
	}
	args := append([]string{"test", "-c", "-o", out}, flags...)
	cmd := exec.CommandContext(ctx, goBin(), append(args, pkg)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("browsertest: GOOS=js GOARCH=wasm go %s: %v\n%s", strings.Join(append(args, pkg), " "), err, b)
	}
	return nil
}

// WasmExecJS returns the wasm_exec.js of the Go toolchain that builds the
// tests ($GOROOT/lib/wasm since Go 1.24, $GOROOT/misc/wasm before).
func WasmExecJS(ctx context.Context) ([]byte, error) {
	b, err := exec.CommandContext(ctx, goBin(), "env", "GOROOT").Output()
	if err != nil {
		return nil, fmt.Errorf("browsertest: go env GOROOT: %w", err)
	}
	root := strings.TrimSpace(string(b))
	for _, p := range []string{"lib/wasm/wasm_exec.js", "misc/wasm/wasm_exec.js"} {
		if js, err := os.ReadFile(filepath.Join(root, p)); err == nil {
			return js, nil
		}
	}
	return nil, fmt.Errorf("browsertest: no wasm_exec.js under %s", root)
}

// goBin is the go command found in PATH (go test puts the toolchain running
// the tests first in PATH).
func goBin() string {
	if p, err := exec.LookPath("go"); err == nil {
		return p
	}
	return "go"
}

func serveBytes(contentType string, b []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", contentType)
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	}
}

// collector gathers the output chunks the page posts (in order, numbered by
// the page) and the exit code.
type collector struct {
	out    io.Writer
	prefix string
	done   chan int

	mu      sync.Mutex
	next    int
	pending map[int]string
	all     strings.Builder
	line    strings.Builder
	exited  bool
}

func (c *collector) serveOutput(w http.ResponseWriter, r *http.Request) {
	seq, err := strconv.Atoi(r.URL.Query().Get("seq"))
	b, rerr := io.ReadAll(r.Body)
	if err != nil || rerr != nil {
		http.Error(w, "bad chunk", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pending == nil {
		c.pending = map[int]string{}
	}
	c.pending[seq] = string(b)
	for {
		s, ok := c.pending[c.next]
		if !ok {
			break
		}
		delete(c.pending, c.next)
		c.next++
		c.write(s)
	}
	w.WriteHeader(http.StatusNoContent)
}

// write appends s to the output and sends complete lines to c.out. Callers
// hold c.mu.
func (c *collector) write(s string) {
	c.all.WriteString(s)
	for s != "" {
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			c.line.WriteString(s)
			return
		}
		c.line.WriteString(s[:i])
		if c.out != nil {
			fmt.Fprintf(c.out, "%s%s\n", c.prefix, c.line.String())
		}
		c.line.Reset()
		s = s[i+1:]
	}
}

func (c *collector) flush() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.line.Len() > 0 {
		c.write("\n")
	}
}

func (c *collector) output() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.all.String()
}

func (c *collector) serveExit(w http.ResponseWriter, r *http.Request) {
	b, _ := io.ReadAll(r.Body)
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		http.Error(w, "bad exit code", http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	first := !c.exited
	c.exited = true
	c.mu.Unlock()
	if first {
		c.done <- code
	}
	w.WriteHeader(http.StatusNoContent)
}

// tailBuffer keeps the last few KiB written to it (Chromium's own logging).
type tailBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

const tailSize = 8 << 10

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Write(p)
	if t.buf.Len() > 2*tailSize {
		b := t.buf.Bytes()
		keep := append([]byte(nil), b[len(b)-tailSize:]...)
		t.buf.Reset()
		t.buf.Write(keep)
	}
	return len(p), nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	b := t.buf.Bytes()
	if len(b) > tailSize {
		b = b[len(b)-tailSize:]
	}
	return string(b)
}
