package main

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestCLIInvalidAPIKey: when the app's Guapocado API key is refused (the
// plugin's 401 "Invalid API key", no code), the CLI says the app is
// misconfigured instead of asking the user to sign in again.
func TestCLIInvalidAPIKey(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	h.org("Acme", "acme")
	h.ok("login", "--org", "acme", "--email", aliceEmail)
	h.srv.InjectFaults(1, guapocadotest.Fault{Path: guapocadotest.BasePath + "/guapocado/has", Status: 401, Body: `{"message":"Invalid API key"}`})
	r := h.run("has", "csv-export")
	if r.code != exitMisconfigured || !strings.Contains(r.stderr, "the app is misconfigured (its Guapocado API key was refused)") || strings.Contains(r.stderr, "login") {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// silentServer accepts connections and never answers.
func silentServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_, _ = io.Copy(io.Discard, conn)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// TestCLITimeout: every command is bounded by --timeout (default 30 s), so a
// server that goes silent ends the command with a clear message instead of
// a hang; the time spent typing a password does not count.
func TestCLITimeout(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	silent := silentServer(t)
	// A stored session for the silent server, for the session commands.
	a := &app{env: func(k string) string { return h.env[k] }}
	if err := a.saveSession(&storedSession{BaseURL: silent, Email: aliceEmail, Token: "tok.sig"}); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"--base-url", silent, "--timeout", "300ms", "login", "--email", aliceEmail},
		{"--base-url", silent, "has", "csv-export", "--timeout", "300ms"},
		{"--timeout=300ms", "usage", "consume", "ai-credits", "--base-url=" + silent},
	} {
		// The silent server never answers: a command that ignored --timeout
		// would hang until go test's -timeout.
		r := h.run(args...)
		if r.code != exitUnavailable || !strings.Contains(r.stderr, "did not answer in time") && !strings.Contains(r.stderr, "may or may not have been applied") {
			t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
		}
	}
	h.fails(exitUsage, "--timeout must be greater than 0", "has", "x", "--timeout", "0s")
	if defaultTimeout <= 0 || defaultTimeout > time.Minute {
		t.Errorf("defaultTimeout %s", defaultTimeout)
	}
}
