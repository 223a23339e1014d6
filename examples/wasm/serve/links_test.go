//go:build !js

package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/guapocado/guapocado-go/internal/testenv"
)

// TestModuleLeavesOut checks, from the linker's own record of what it
// kept (-ldflags=-dumpdep), that the example's browser module does not
// carry code the page never runs: slog's logging (the SDK links it only
// where WithLogger is called) and the typed webhook events of the read
// model's hooks (linked only where WithHooks or WithRegistration is
// given). .ci/wasmsize.sh holds the module's size; this names what must
// stay out of it.
func TestModuleLeavesOut(t *testing.T) {
	testenv.NeedFull(t, "builds main.wasm (GOOS=js GOARCH=wasm)")
	cmd := exec.Command("go", "build", "-trimpath", "-ldflags=-dumpdep", "-o", filepath.Join(t.TempDir(), "main.wasm"), ".")
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
	var deps, stdout bytes.Buffer
	cmd.Stderr, cmd.Stdout = &deps, &stdout
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build: %v\n%s", err, tail(deps.String()))
	}
	kept := map[string]bool{}
	for _, line := range strings.Split(deps.String(), "\n") {
		if _, to, ok := strings.Cut(line, " -> "); ok {
			kept[strings.TrimSuffix(to, " <UsedInIface>")] = true
		}
	}
	if !kept["github.com/guapocado/guapocado-go/readmodel.New"] {
		t.Fatalf("the linker's record does not list readmodel.New: not the record this test reads\n%s", tail(deps.String()))
	}
	for _, sym := range []string{
		"log/slog.(*Logger).log",
		"log/slog.(*defaultHandler).Handle",
		"github.com/guapocado/guapocado-go/webhook.(*SubscriptionUpdated).UnmarshalJSON",
		"github.com/guapocado/guapocado-go/webhook.(*UsageUpdated).UnmarshalJSON",
		"github.com/guapocado/guapocado-go/webhook.(*Event).MarshalJSON",
	} {
		if kept[sym] {
			t.Errorf("main.wasm links %s, which the page never runs", sym)
		}
	}
}

// tail is the end of a long output, for a failure message.
func tail(s string) string {
	if len(s) > 2000 {
		return "…" + s[len(s)-2000:]
	}
	return s
}
