package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"

	guapocado "github.com/guapocado/guapocado-go"
	"github.com/guapocado/guapocado-go/guapocadotest"
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

// TestQuickstartColumnsAndConsumed: every value starts in the same column,
// and "consumed" is what the call consumed, not the meter's total (here
// the customer had consumed 7 before).
func TestQuickstartColumnsAndConsumed(t *testing.T) {
	srv := guapocadotest.New(t)
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	c, err := guapocado.NewClient(srv.URL, guapocado.WithBearerToken(sess.Token))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Usage.Consume(context.Background(), "api-calls", 7); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GUAPOCADO_BASE_URL", srv.URL)
	t.Setenv("GUAPOCADO_SESSION_TOKEN", "")
	t.Setenv("GUAPOCADO_BEARER_TOKEN", sess.Token)
	var out bytes.Buffer
	if err := run(context.Background(), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	if !regexp.MustCompile(`(?m)^consume 5 +balance 93 -> 88 \(consumed 5\)$`).Match(out.Bytes()) {
		t.Errorf("output lacks the consume of 5 after 7:\n%s", out.String())
	}
	// Every value starts in column 24, after the longest label
	// ("has advanced-analytics") and one space.
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if len(line) <= 23 || line[22] != ' ' || line[23] == ' ' {
			t.Errorf("the value of %q does not start in column 24:\n%s", line, out.String())
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
