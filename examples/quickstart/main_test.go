package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"
)

// TestQuickstartOnEmbeddedServer runs the README's first command's code with
// no environment and checks what a newcomer sees.
func TestQuickstartOnEmbeddedServer(t *testing.T) {
	t.Setenv("GUAPOCADO_BASE_URL", "")
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, re := range []string{
		`(?m)^app +http://127\.0\.0\.1:\d+ \(embedded fake server\)$`,
		`(?m)^customer +[A-Za-z0-9]{32} \(Alice <alice@example\.com>\)$`,
		`(?m)^has csv-export +true$`,
		`(?m)^has advanced-analytics +false$`,
		`(?m)^api-calls +balance 100 of 100, resets \d{4}-\d\d-01 00:00 UTC$`,
		`(?m)^consume 5 +balance 100 -> 95 \(consumed 5\)$`,
		`(?m)^refund 5 +balance 95 -> 100$`,
		`(?m)^plans +free \(USD 0\.00/month\), pro \(USD 29\.00/month\), credits-pack \(USD 10\.00 once\), enterprise \(custom\)$`,
	} {
		if !regexp.MustCompile(re).Match(out.Bytes()) {
			t.Errorf("output lacks %s:\n%s", re, out.String())
		}
	}
}

func TestQuickstartNeedsTokenWithBaseURL(t *testing.T) {
	t.Setenv("GUAPOCADO_BASE_URL", "http://127.0.0.1:1")
	t.Setenv("GUAPOCADO_SESSION_TOKEN", "")
	t.Setenv("GUAPOCADO_BEARER_TOKEN", "")
	if err := run(context.Background(), &bytes.Buffer{}); err == nil {
		t.Fatal("no error without a token")
	}
}
