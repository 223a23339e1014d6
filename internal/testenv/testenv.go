// Package testenv says which of the project's tests run in this go test.
//
// The README's test command, go test ./..., must pass on any machine that has
// Go, offline, and cost little more than compiling the test binaries. Tests
// that build other modules, other GOOS targets or browsers, start real
// servers, or run long fault and kill harnesses therefore run only when
// asked, with GUAPOCADO_FULL=1. .ci/run asks for them, so CI runs every
// test; a developer asks with
//
//	GUAPOCADO_FULL=1 go test ./...
package testenv

import (
	"os"
	"testing"
)

// FullEnv is the environment variable that asks for the full suite.
const FullEnv = "GUAPOCADO_FULL"

// Full reports whether the full suite was asked for (GUAPOCADO_FULL=1).
func Full() bool { return os.Getenv(FullEnv) == "1" }

// NeedFull skips tb unless the full suite was asked for. why says what the
// test needs or costs ("builds a temporary module", "kills 500 processes"),
// and is shown in the skip message with how to run it.
func NeedFull(tb testing.TB, why string) {
	tb.Helper()
	if !Full() {
		tb.Skipf("%s: runs with %s=1 (as .ci/run does)", why, FullEnv)
	}
}
