package main

import (
	"testing"
	"time"
)

// waitFor polls cond until it holds. It has no deadline of its own: a
// slow machine may take long, and go test's -timeout (which names the
// waiting test) bounds the wait. what says what is awaited, for the reader.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	_ = what
	for !cond() {
		time.Sleep(5 * time.Millisecond)
	}
}
