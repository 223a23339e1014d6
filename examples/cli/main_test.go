package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/testenv"
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

// TestDocumentedSetUp runs the shell steps of this package's doc comment,
// in order, in bash, with two substitutions: guapocado is the command built
// from cmd/guapocado, listening on a free port (--addr 127.0.0.1:0) instead
// of 8787, and go run runs from the repository's root (go -C). The fake's
// environment file is complete when sourced, so the example meters one use.
func TestDocumentedSetUp(t *testing.T) {
	testenv.NeedFull(t, "builds cmd/guapocado and runs the documented steps in bash")
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(line, "package ") {
			break
		}
		if step, ok := strings.CutPrefix(line, "//\t"); ok {
			steps = append(steps, step)
		}
	}
	if len(steps) == 0 {
		t.Fatalf("no documented steps in main.go: %q", steps)
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	// The command is a module of its own, built from its directory with its
	// go.work (the checkout of the SDK and the journal).
	build := exec.Command("go", "build", "-C", "../../cmd/guapocado", "-o", filepath.Join(bin, "guapocado-real"), ".")
	build.Env = append(os.Environ(), "GOWORK=")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	wrapper := "#!/bin/sh\nexec \"" + filepath.Join(bin, "guapocado-real") + "\" \"$@\" --addr 127.0.0.1:0\n"
	if err := os.WriteFile(filepath.Join(bin, "guapocado"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	// The harness's own line: whatever happens, stop what the steps left
	// running in the background.
	script := "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT\nset -e\n" + strings.ReplaceAll(strings.Join(steps, "\n"), "go run ", `go -C "$REPO" run `) + "\n"
	work := t.TempDir()
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = work
	cmd.WaitDelay = time.Second // a process the steps left behind must not hold the output open
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), "REPO="+root)
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "csv-export: entitled; api-calls balance 99\n") {
		t.Fatalf("the documented steps: %v\n%s\n--- script\n%s", err, out, script)
	}
	// The fake stopped and removed its file.
	for {
		if _, err := os.Stat(filepath.Join(work, "fake.env")); os.IsNotExist(err) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
}
