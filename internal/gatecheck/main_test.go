package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestGatedTests: a test is gated when it calls testenv.NeedFull itself or
// through a helper of its package; files of other builds and nested
// modules are read with their own import paths.
func TestGatedTests(t *testing.T) {
	root := t.TempDir()
	write(t, filepath.Join(root, "go.mod"), "module example.com/m\n")
	write(t, filepath.Join(root, "a_test.go"), `package m
func TestDirect(t *testing.T) { testenv.NeedFull(t, "why") }
func TestQuick(t *testing.T) {}
func helper(t *testing.T) string { testenv.NeedFull(t, "why"); return "" }
func deeper(t *testing.T) { _ = helper(t) }
func TestThroughHelper(t *testing.T) { deeper(t) }
`)
	write(t, filepath.Join(root, "b_test.go"), "//go:build never\n\npackage m\nfunc TestOtherBuild(t *testing.T) { testenv.NeedFull(t, \"why\") }\n")
	write(t, filepath.Join(root, "sub", "go.mod"), "module example.com/sub\n")
	write(t, filepath.Join(root, "sub", "pkg", "c_test.go"), "package pkg\nfunc TestNested(t *testing.T) { testenv.NeedFull(t, \"why\") }\n")
	got, err := gatedTests(root)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"example.com/m.TestDirect", "example.com/m.TestThroughHelper", "example.com/sub/pkg.TestNested"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("gated tests %q, want %q", got, want)
	}
}

// TestReadLog: passes are attributed to the package whose summary line
// follows them, and NeedFull's skip message is reported.
func TestReadLog(t *testing.T) {
	log := filepath.Join(t.TempDir(), "x.log")
	write(t, log, `=== RUN   TestA
--- PASS: TestA (0.00s)
=== RUN   TestB
    b_test.go:3: builds a module: runs with GUAPOCADO_FULL=1 (as .ci/run does)
--- SKIP: TestB (0.00s)
PASS
ok  	example.com/m	0.01s
=== RUN   TestC
--- FAIL: TestC (0.00s)
=== RUN   TestD
--- PASS: TestD (0.00s)
    --- PASS: TestD/sub (0.00s)
FAIL
FAIL	example.com/n	0.01s
`)
	passed, skips, err := readLog(log)
	if err != nil {
		t.Fatal(err)
	}
	if want := map[string]bool{"example.com/m.TestA": true, "example.com/n.TestD": true}; !reflect.DeepEqual(passed, want) {
		t.Errorf("passed %v, want %v", passed, want)
	}
	if want := []string{"example.com/m.TestB"}; !reflect.DeepEqual(skips, want) {
		t.Errorf("gate skips %q, want %q", skips, want)
	}
}
