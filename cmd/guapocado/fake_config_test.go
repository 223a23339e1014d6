package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fake --config serves a billing.json's catalogue: generate go --check of
// the same file against the fake's platform finds no difference, and a
// config that does not validate stops the fake before it listens.
func TestFakeServesABillingConfig(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	config, err := filepath.Abs("../../billingconfig/testdata/better-auth-app.json")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "fake.env")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- newApp(ctx, strings.NewReader(""), &out, &errOut, func(k string) string { return h.env[k] }).main(
			[]string{"fake", "--addr", "127.0.0.1:0", "--env-file", file, "--config", config})
	}()
	var content []byte
	waitFor(t, "the env file", func() bool {
		b, err := os.ReadFile(file)
		content = b
		return err == nil
	})
	env := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^export (\w+)='([^']*)'$`).FindAllStringSubmatch(string(content), -1) {
		env[m[1]] = m[2]
	}
	h.env["GUAPOCADO_API_URL"], h.env["GUAPOCADO_API_KEY"] = env["GUAPOCADO_API_URL"], env["GUAPOCADO_API_KEY"]
	if got := h.ok("generate", "go", "--check", "--config", config); !strings.Contains(got, "agree (3 entitlements, 2 products)") {
		t.Errorf("generate go --check: %s", got)
	}
	// The demo catalogue's keys are not served.
	r := h.run("generate", "go", "--check", "--config", "../../billingconfig/testdata/full.json")
	if r.code != exitFailure || !strings.Contains(r.stderr, `product "credits-pack" (one_time) is missing from the live catalogue`) {
		t.Errorf("check of the demo catalogue: exit %d: %s", r.code, r.stderr)
	}
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}

	bad := filepath.Join(t.TempDir(), "billing.json")
	if err := os.WriteFile(bad, []byte(`{"version":2,"entitlements":{},"products":[]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r = h.run("fake", "--addr", "127.0.0.1:0", "--config", bad)
	if r.code != exitFailure || !strings.Contains(r.stderr, "version: unsupported version 2") || strings.Contains(r.stdout, "listening") {
		t.Fatalf("fake with a bad config: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
}
