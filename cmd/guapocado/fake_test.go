package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestFakeOnABusyPort: the message names the address and the cause, no
// internal option, and says how to get a free port.
func TestFakeOnABusyPort(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	h := newHarness(t)
	r := h.run("fake", "--addr", ln.Addr().String())
	want := "guapocado: fake: cannot listen on " + ln.Addr().String() + ": address already in use (pass a free port, or let the system pick one: --addr 127.0.0.1:0)\n"
	if r.code != exitFailure || r.stderr != want {
		t.Errorf("exit %d, stderr %q, want %q", r.code, r.stderr, want)
	}
}

// TestFakeEnvFile: --env-file appears whole once the fake listens (never
// empty or half written, so a shell may source it as soon as it exists)
// and is removed when the fake stops.
func TestFakeEnvFile(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	file := filepath.Join(t.TempDir(), "fake.env")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var out, errOut syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- newApp(ctx, strings.NewReader(""), &out, &errOut, func(k string) string { return h.env[k] }).main([]string{"fake", "--addr", "127.0.0.1:0", "--env-file", file})
	}()
	var content []byte
	waitFor(t, "the env file", func() bool {
		b, err := os.ReadFile(file)
		content = b
		return err == nil
	})
	lines := strings.Split(strings.TrimSuffix(string(content), "\n"), "\n")
	names := []string{"GUAPOCADO_BASE_URL", "GUAPOCADO_API_URL", "GUAPOCADO_API_KEY", "GUAPOCADO_SESSION_TOKEN", "GUAPOCADO_WEBHOOK_SECRET", "GUAPOCADO_EMAIL", "GUAPOCADO_PASSWORD"}
	if len(lines) != len(names) {
		t.Fatalf("env file %q", content)
	}
	for i, name := range names {
		if !regexp.MustCompile(`^export ` + name + `='[^']+'$`).MatchString(lines[i]) {
			t.Errorf("line %d: %q", i, lines[i])
		}
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("env file mode: %v %v", fi, err)
	}
	matches(t, out.String(), `^Guapocado fake listening on http://127\.0\.0\.1:\d+; its environment is in .*fake\.env\. Stop it with Ctrl-C\.\n$`)
	cancel()
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	if _, err := os.Stat(file); !os.IsNotExist(err) {
		t.Errorf("the env file outlived the fake: %v", err)
	}
	if bytes.Contains([]byte(errOut.String()), []byte("panic")) {
		t.Error(errOut.String())
	}
}
