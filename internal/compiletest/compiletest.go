// Package compiletest builds small programs against this checkout, for
// tests that show a misuse of the API does not compile.
//
// Each program is a temporary module that requires the root module with a
// replace to this checkout and its go.sum, so the build needs no network
// beyond the root module's own dependencies. Building another module costs
// seconds, so the callers gate their tests with testenv.NeedFull.
package compiletest

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Root returns the root of this checkout (the directory of the root
// go.mod), found from the caller's working directory upwards.
func Root(tb testing.TB) string {
	tb.Helper()
	dir, err := os.Getwd()
	if err != nil {
		tb.Fatal(err)
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && string(firstLine(data)) == "module github.com/guapocado/guapocado-go" {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			tb.Fatal("compiletest: no root go.mod above the working directory")
		}
		dir = parent
	}
}

func firstLine(b []byte) []byte {
	for i, c := range b {
		if c == '\n' {
			return b[:i]
		}
	}
	return b
}

// Build writes files (paths relative to the module root, "main.go",
// "billing/billing.go", ...) into a temporary module that uses this
// checkout, and runs `go args...` in it (for example "build", "./...", or
// "vet", "./..."). It returns the command's combined output and its error;
// every compile error is reported (-gcflags=-e) so a test can look for each.
func Build(tb testing.TB, files map[string]string, args ...string) (string, error) {
	tb.Helper()
	root := Root(tb)
	goBin, err := exec.LookPath("go") // go test puts its own go first on PATH
	if err != nil {
		tb.Fatal("compiletest: no go command on PATH")
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		tb.Fatal(err)
	}
	dir := tb.TempDir()
	all := map[string]string{
		"go.mod": "module example.com/compiletest\n\ngo 1.25.0\n\nrequire github.com/guapocado/guapocado-go v0.0.0\n\nreplace github.com/guapocado/guapocado-go => " + root + "\n",
		"go.sum": string(sum),
	}
	for name, data := range files {
		all[name] = data
	}
	for name, data := range all {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			tb.Fatal(err)
		}
	}
	if len(args) > 0 && args[0] == "build" {
		args = append([]string{"build", "-gcflags=-e", "-o", os.DevNull}, args[1:]...)
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	return string(out), err
}
