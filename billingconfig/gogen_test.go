package billingconfig

import (
	"bytes"
	"flag"
	goparser "go/parser"
	"go/token"
	"os"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const testCommand = "guapocado generate go -config billing.json -pkg billing"

func generate(t *testing.T, path string) []byte {
	t.Helper()
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	out, err := GenerateGo(cfg, GoOptions{Package: "billing", Command: testCommand})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The generated package is compared byte for byte with a golden file; run
// with -update after a deliberate change and read the diff.
func TestGenerateGoGolden(t *testing.T) {
	for _, name := range []string{"better-auth-app", "full"} {
		t.Run(name, func(t *testing.T) {
			got := generate(t, "testdata/"+name+".json")
			golden := "testdata/" + name + ".golden"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("generated code differs from %s (go test -run TestGenerateGoGolden -update ./billingconfig/ rewrites it):\n%s", golden, got)
			}
		})
	}
}

func TestGenerateGoIsMarkedAndParses(t *testing.T) {
	out := generate(t, "testdata/full.json")
	first, _, _ := bytes.Cut(out, []byte("\n"))
	if !regexp.MustCompile(`^// Code generated .* DO NOT EDIT\.$`).Match(first) {
		t.Fatalf("first line %q is not a generated-code header", first)
	}
	if !bytes.Contains(first, []byte(testCommand)) {
		t.Errorf("header %q does not name the command", first)
	}
	if _, err := goparser.ParseFile(token.NewFileSet(), "billing.go", out, goparser.AllErrors); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`FeatureAdvancedAnalytics Feature = "advanced-analytics"`,
		`MeterAPICalls is the meter "api-calls"; its balance resets monthly.`,
		`MeterAICredits is the meter "ai-credits"; its balance never resets.`,
		`LimitSeats Limit = "seats"`,
		`PlanPro is "pro" (Pro), 2900 usd a month.`,
		`PackCreditsPack Pack = "credits-pack"`,
		`CustomTierEnterprise CustomTier = "enterprise"`,
		`return "mailto:sales@example.test"`,
	} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("generated code lacks %q", want)
		}
	}
}

// Same input, same bytes: the entitlements of a config are a JSON object,
// so a file that lists them in another order must generate the same code.
func TestGenerateGoIsDeterministic(t *testing.T) {
	a := generate(t, "testdata/full.json")
	for i := 0; i < 20; i++ {
		if b := generate(t, "testdata/full.json"); !bytes.Equal(a, b) {
			t.Fatal("two runs on the same input differ")
		}
	}
	src, err := os.ReadFile("testdata/full.json")
	if err != nil {
		t.Fatal(err)
	}
	// Move "seats" (the first definition) to the end of the entitlements.
	moved := strings.Replace(string(src), `"seats": { "type": "limit" },`, ``, 1)
	moved = strings.Replace(moved, `"projects": { "type": "limit" }`, `"projects": { "type": "limit" }, "seats": { "type": "limit" }`, 1)
	path := t.TempDir() + "/billing.json"
	if err := os.WriteFile(path, []byte(moved), 0o600); err != nil {
		t.Fatal(err)
	}
	if b := generate(t, path); !bytes.Equal(a, b) {
		t.Fatal("reordering the entitlement definitions changed the generated code")
	}
}

func TestGenerateGoRefusesCollidingNames(t *testing.T) {
	cfg, err := Parse([]byte(`{"version":1,"entitlements":{"api-calls":{"type":"meter"},"api_calls":{"type":"meter"}},"products":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	_, err = GenerateGo(cfg, GoOptions{})
	if err == nil || !strings.Contains(err.Error(), `keys "api-calls" and "api_calls" both make the Go name MeterAPICalls`) {
		t.Fatalf("GenerateGo: %v", err)
	}
	if _, err := GenerateGo(cfg, GoOptions{Package: "func"}); err == nil {
		t.Fatal("a keyword was taken as a package name")
	}
}
