package main

import (
	"bytes"
	"testing"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

func TestExampleCLI(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close)
	sess, err := srv.NewSession()
	if err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GUAPOCADO_BASE_URL": srv.URL, "GUAPOCADO_SESSION_TOKEN": sess.Token}
	var out, errOut bytes.Buffer
	if code := run([]string{"csv-export", "api-calls"}, func(k string) string { return env[k] }, &out, &errOut); code != 0 || out.String() != "csv-export: entitled; api-calls balance 99\n" {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	out.Reset()
	if code := run([]string{"advanced-analytics", "api-calls"}, func(k string) string { return env[k] }, &out, &errOut); code != 3 || out.String() != "advanced-analytics: not entitled\n" {
		t.Fatalf("exit %d, stdout %q", code, out.String())
	}
}
