package main

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

// TestRunOnEmbeddedFake runs the command's code with no environment: the
// job is metered once, and its rerun records and charges nothing.
func TestRunOnEmbeddedFake(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), env(map[string]string{"JOB_ITEMS": "12"}), &out); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	for _, re := range []string{
		`(?m)^platform +http://127\.0\.0\.1:\d+ \(embedded fake platform\)$`,
		`(?m)^job +nightly: 12 items for customer org_demo on api-calls$`,
		`(?m)^metered +12 items recorded and delivered, consumed 0 -> 24 \(keys job-nightly-item-1 … job-nightly-item-12\)$`,
		`(?m)^rerun +0 items recorded again, consumed 24 -> 24: nothing charged twice$`,
	} {
		if !regexp.MustCompile(re).Match(out.Bytes()) {
			t.Errorf("output lacks %s:\n%s", re, out.String())
		}
	}
	if strings.Contains(out.String(), "sk_guap") {
		t.Error("the output shows the API key")
	}
}

func TestRunEnvChecks(t *testing.T) {
	for _, e := range []map[string]string{
		{"GUAPOCADO_API_URL": "https://api.example.com"}, // a URL without a key
		{"JOB_ITEMS": "zero"},
	} {
		if err := run(context.Background(), env(e), &bytes.Buffer{}); err == nil {
			t.Errorf("%v: no error", e)
		}
	}
}
