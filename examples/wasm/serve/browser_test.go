//go:build browser && unix

package main

import (
	"bytes"
	"context"
	"html"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/browsertest"
)

// TestChromium runs the example module's tests (../main_test.go) in headless
// Chromium on a page whose origin serves this program's handler with the
// embedded fake, as go run ./examples/wasm/serve does: they call the
// module's Promise API (globalThis.guapocado) as the page's JavaScript
// does. Run with: go test -tags browser -run TestChromium ./examples/wasm/serve
func TestChromium(t *testing.T) {
	var fake *guapocadotest.Server
	defer func() {
		if fake != nil {
			fake.Close()
		}
	}()
	res, err := browsertest.Run(context.Background(), browsertest.Options{
		Dir:      "..",
		Package:  ".",
		TestArgs: []string{"-test.v", "-test.run=^TestPage"},
		API: func(o browsertest.Origins) (http.Handler, http.Handler) {
			fake = guapocadotest.NewServer(guapocadotest.WithTrustedOrigins(o.Page))
			return (&site{api: fake}).handler(), nil
		},
		Output:     os.Stdout,
		LinePrefix: "chromium| ",
		Timeout:    2 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("the example's wasm tests failed in Chromium (exit code %d); their output is above", res.ExitCode)
	}
}

// TestChromiumPage runs the program as go run ./examples/wasm/serve does and
// loads the real page (index.html, app.js, main.wasm) in headless Chromium
// with ?tour, which signs up a demo user and runs has, balance, consume,
// balance, refund and sync once, then a consume beyond the balance;
// Chromium then prints the page's DOM (--dump-dom), whose log must show each
// result labelled with its key, the one failure, and whose live balances
// must show every balance as it changed (100, 95 after the consume, 100
// after the refund), pushed by the read model's change notification, not
// by a reload.
func TestChromiumPage(t *testing.T) {
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
	origin := waitServing(t, &out, done)[1]

	bin := os.Getenv("BROWSERTEST_CHROMIUM")
	if bin == "" {
		bin = "chromium"
	}
	args := append(append([]string{}, browsertest.ChromiumFlags...),
		"--user-data-dir="+filepath.Join(t.TempDir(), "profile"),
		"--virtual-time-budget=60000", "--dump-dom", origin+"/?tour")
	cmd := exec.Command(bin, args...)
	var dom, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &dom, &stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	timer := time.AfterFunc(2*time.Minute, func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	timer.Stop()
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // helpers left behind, if any
	if err != nil {
		t.Fatalf("chromium --dump-dom: %v\n%s", err, stderr.String())
	}
	page := dom.String()
	if !strings.Contains(page, `data-tour="done"`) {
		t.Fatalf("the tour did not finish; the page:\n%s", page)
	}
	m := regexp.MustCompile(`(?s)<pre id="log">(.*?)</pre>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no log on the page:\n%s", page)
	}
	log := html.UnescapeString(m[1])
	for _, want := range []string{
		`signed up: {`, `"email": "demo-`, `"slug": "demo-`,
		"has csv-export: true",
		`balance api-calls: {`, `"balance": 100,`, `consume api-calls: {`, `"balance": 95,`, `"consumed": 5,`,
		`refund api-calls: {`, `sync customer: {`,
		`consume api-calls failed: {`, `"kind": "insufficient_balance"`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the page's log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "failed"); n != 1 {
		t.Errorf("%d actions failed, want only the tour's error case:\n%s", n, log)
	}
	lv := regexp.MustCompile(`(?s)<pre id="live">(.*?)</pre>`).FindStringSubmatch(page)
	if want := "api-calls: 100 → 95 → 100"; lv == nil || strings.TrimSpace(html.UnescapeString(lv[1])) != want {
		t.Errorf("live balances: %q, want %q (each balance pushed by onChange as it changed)", lv, want)
	}
	if !regexp.MustCompile(`<p id="status">App http://127\.0\.0\.1:\d+/api/auth: signed in as demo-\w+@example\.com\.</p>`).MatchString(page) {
		t.Errorf("status line: %s", regexp.MustCompile(`<p id="status">.*?</p>`).FindString(page))
	}
}
