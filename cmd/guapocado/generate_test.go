package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// generate go writes the package the library generates, named after the
// output directory, with a header that names the command and no machine
// path; the same config gives the same bytes.
func TestGenerateGoWritesThePackage(t *testing.T) {
	h := newHarness(t)
	config, err := filepath.Abs("../../billingconfig/testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "billing")
	stdout := h.ok("generate", "go", "--config", config, "-o", out)
	if !strings.Contains(stdout, "catalogue_gen.go (package billing)") {
		t.Errorf("stdout: %s", stdout)
	}
	got, err := os.ReadFile(filepath.Join(out, "catalogue_gen.go"))
	if err != nil {
		t.Fatal(err)
	}
	golden, err := os.ReadFile("../../billingconfig/testdata/full.golden")
	if err != nil {
		t.Fatal(err)
	}
	// The golden file was generated with -config billing.json; the command
	// names the file it read (without its directory).
	want := strings.Replace(string(golden), "-config billing.json", "-config full.json", 1)
	if string(got) != want {
		t.Fatalf("generated package differs from the library's golden output:\n%s", got)
	}
	if strings.Contains(string(got), filepath.Dir(config)) {
		t.Error("the generated file holds a machine path")
	}
	h.ok("generate", "go", "--config", config, "-o", out)
	again, _ := os.ReadFile(filepath.Join(out, "catalogue_gen.go"))
	if string(again) != string(got) {
		t.Error("a second run wrote other bytes")
	}
}

func TestGenerateGoRefusesABadConfig(t *testing.T) {
	h := newHarness(t)
	config := filepath.Join(t.TempDir(), "billing.json")
	if err := os.WriteFile(config, []byte(`{"version":1,"entitlements":{"x":{"type":"gauge"}},"products":[{"key":"p","entitlements":{"y":true}}]}`), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("generate", "go", "--config", config, "-o", t.TempDir())
	if r.code != exitFailure || !strings.Contains(r.stderr, `entitlements.x.type: unknown type "gauge"`) ||
		!strings.Contains(r.stderr, `products[0].entitlements.y: no entitlement "y" is defined`) {
		t.Fatalf("exit %d\nstderr: %s", r.code, r.stderr)
	}
	h.fails(exitUsage, `unknown target "ts"`, "generate", "ts")
}

// --check against the fake's platform: the fake's own catalogue agrees; a
// config with a renamed meter and a meter declared as a feature fails,
// naming each key.
func TestGenerateGoCheck(t *testing.T) {
	h := newHarness(t)
	h.env["GUAPOCADO_API_KEY"] = h.srv.APIKey()
	h.env["GUAPOCADO_API_URL"] = h.srv.APIURL()
	out := h.ok("generate", "go", "--check", "--config", "../../billingconfig/testdata/full.json")
	if !strings.Contains(out, "agree (6 entitlements, 4 products)") {
		t.Errorf("stdout: %s", out)
	}
	src, err := os.ReadFile("../../billingconfig/testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	drifted := strings.ReplaceAll(string(src), `"ai-credits"`, `"ai-credit"`)
	drifted = strings.Replace(drifted, `"csv-export": { "type": "feature"`, `"csv-export": { "type": "meter"`, 1)
	drifted = strings.ReplaceAll(drifted, `"csv-export": true`, `"csv-export": {"included": 1}`)
	config := filepath.Join(t.TempDir(), "billing.json")
	if err := os.WriteFile(config, []byte(drifted), 0o600); err != nil {
		t.Fatal(err)
	}
	r := h.run("generate", "go", "--check", "--config", config)
	for _, want := range []string{
		"differ on 3 key(s)",
		`entitlement "ai-credit" (meter) is missing from the live catalogue`,
		`entitlement "ai-credits" (meter or limit) is live but missing from the catalogue`,
		`entitlement "csv-export" is a meter in the catalogue but a feature live`,
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q", want)
		}
	}
	if r.code != exitFailure {
		t.Errorf("exit %d, want %d", r.code, exitFailure)
	}
	if t.Failed() {
		t.Logf("stderr: %s", r.stderr)
	}
}
