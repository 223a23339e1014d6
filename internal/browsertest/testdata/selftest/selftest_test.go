//go:build js && wasm

// Package selftest holds the wasm tests browsertest's own tests run in
// Chromium: one that passes only in a browser page served by the runner, one
// that always fails.
package selftest

import (
	"io"
	"net/http"
	"os"
	"syscall/js"
	"testing"
)

func TestPasses(t *testing.T) {
	origin := js.Global().Get("location").Get("origin").String()
	if got := os.Getenv("BROWSERTEST_PAGE_ORIGIN"); got != origin {
		t.Fatalf("BROWSERTEST_PAGE_ORIGIN = %q, page origin %q", got, origin)
	}
	cross := os.Getenv("BROWSERTEST_CROSS_ORIGIN")
	if cross == "" || cross == origin {
		t.Fatalf("BROWSERTEST_CROSS_ORIGIN = %q, page origin %q", cross, origin)
	}
	if got := os.Getenv("SELFTEST_EXTRA"); got != "extra" {
		t.Fatalf("SELFTEST_EXTRA = %q", got)
	}
	resp, err := http.Get(origin + "/hello")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(b) != "hello from the page handler" {
		t.Fatalf("GET /hello: %d %q", resp.StatusCode, b)
	}
	t.Log("user agent:", js.Global().Get("navigator").Get("userAgent").String())
}

func TestFails(t *testing.T) {
	t.Error("deliberate failure")
}
