package main

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestLoginDevice: login --device shows the page and the code, waits for
// the browser side to approve it, and ends signed in with a bearer session.
func TestLoginDevice(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer(guapocadotest.WithDeviceTiming(time.Second, time.Minute))
	t.Cleanup(srv.Close)
	browser, err := srv.SignUpWithOrganization(aliceEmail, alicePass, "Alice", "Acme", "acme")
	if err != nil {
		t.Fatal(err)
	}
	h := newHarnessOn(t, srv)
	delete(h.env, "GUAPOCADO_PASSWORD")
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"login", "--device"}, strings.NewReader(""), &stdout, &stderr, func(k string) string { return h.env[k] })
	}()
	re := regexp.MustCompile(`(?s)open this page in a browser where you are signed in:\n\n  (http://127\.0\.0\.1:\d+/device\?user_code=([A-Z0-9]{8}))\n\nand approve the code ([A-Z0-9]{8})\. Waiting\.\.\.`)
	waitFor(t, "the device code", func() bool { return re.MatchString(stderr.String()) })
	m := re.FindStringSubmatch(stderr.String())
	if m[2] != m[3] {
		t.Fatalf("page and code disagree: %q", stderr.String())
	}
	if err := srv.ApproveDevice(browser.Token, m[3]); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout.String(), stderr.String())
	}
	matches(t, stdout.String(), `^Signed in to http://127\.0\.0\.1:\d+ as alice@example\.com \(Alice\)\.\nActive organization: Acme \(acme\)\.\n$`)
	matches(t, h.ok("has", "csv-export"), `^csv-export: entitled\n$`)
	if tok := h.storedToken(); tok == "" || strings.Contains(stdout.String()+stderr.String(), tok) {
		t.Errorf("stored token %q, or it was printed", tok)
	}
	h.fails(exitUsage, "--device takes no --email", "login", "--device", "--email", aliceEmail)
}

// TestLoginDeviceUnavailable: an app without the device plugin is
// reported as such, with what to do instead.
func TestLoginDeviceUnavailable(t *testing.T) {
	t.Parallel()
	srv := guapocadotest.NewServer()
	t.Cleanup(srv.Close)
	h := newHarnessOn(t, srv)
	h.srv.InjectFaults(1, guapocadotest.Fault{Path: guapocadotest.BasePath + "/device/code", Status: 404})
	h.fails(exitMisconfigured, "does not offer device sign-in", "login", "--device")
}
