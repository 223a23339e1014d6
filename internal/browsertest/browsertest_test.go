//go:build browser && unix

package browsertest

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRun runs testdata/selftest in Chromium twice from one build: a passing
// test (exit 0, its PASS line in the output) and a failing one (exit 1, its
// FAIL line and message in the output).
func TestRun(t *testing.T) {
	ctx := context.Background()
	wasm := filepath.Join(t.TempDir(), "selftest.wasm")
	if err := Build(ctx, "", "./testdata/selftest", wasm); err != nil {
		t.Fatal(err)
	}
	api := func(Origins) (http.Handler, http.Handler) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/hello" {
				http.NotFound(w, r)
				return
			}
			io.WriteString(w, "hello from the page handler")
		}), nil
	}
	for _, tc := range []struct {
		run      string
		wantCode int
		want     []string
	}{
		{"^TestPasses$", 0, []string{"--- PASS: TestPasses", "user agent:", "HeadlessChrome", "\nPASS\n"}},
		{"^TestFails$", 1, []string{"--- FAIL: TestFails", "deliberate failure", "\nFAIL\n"}},
	} {
		t.Run(tc.run, func(t *testing.T) {
			var live strings.Builder
			res, err := Run(ctx, Options{
				WasmFile:   wasm,
				TestArgs:   []string{"-test.v", "-test.run=" + tc.run},
				Env:        map[string]string{"SELFTEST_EXTRA": "extra"},
				API:        api,
				Output:     io.MultiWriter(&live, os.Stdout),
				LinePrefix: "chromium| ",
				Timeout:    90 * time.Second,
			})
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.wantCode {
				t.Errorf("exit code %d, want %d", res.ExitCode, tc.wantCode)
			}
			for _, w := range tc.want {
				if !strings.Contains(res.Output, w) {
					t.Errorf("output lacks %q:\n%s", w, res.Output)
				}
			}
			if !strings.Contains(live.String(), "chromium| --- ") {
				t.Errorf("streamed output lacks prefixed result lines:\n%s", live.String())
			}
		})
	}
}
