//go:build linux

package main

import (
	"fmt"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"unsafe"

	"golang.org/x/term"
)

// openPTY opens a pseudo-terminal pair: master (the "keyboard and screen")
// and slave (the terminal the CLI reads).
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatal(e)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, m.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatal(e)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return m, s
}

// TestLoginPromptsWithoutEcho types the email and the password on a real
// pseudo-terminal: the email is echoed, the password is not, and the
// terminal's echo is back on afterwards.
func TestLoginPromptsWithoutEcho(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	delete(h.env, "GUAPOCADO_PASSWORD")
	master, slave := openPTY(t)
	before, err := term.GetState(int(slave.Fd()))
	if err != nil {
		t.Fatal(err)
	}

	// Everything the terminal shows (echo and the CLI's output to it).
	var screen syncBuffer
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := master.Read(buf)
			screen.Write(buf[:n])
			if err != nil {
				return
			}
		}
	}()

	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(t.Context(), []string{"login"}, slave, &stdout, &stderr, func(k string) string { return h.env[k] })
	}()
	waitFor(t, "the email prompt", func() bool { return stderr.String() == "Email: " })
	if _, err := master.Write([]byte(aliceEmail + "\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the password prompt", func() bool { return stderr.String() == "Email: Password: " })
	if _, err := master.Write([]byte(alicePass + "\n")); err != nil {
		t.Fatal(err)
	}
	if code := <-done; code != 0 || !strings.HasPrefix(stdout.String(), "Signed in to ") {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", code, stdout.String(), stderr.String())
	}

	// Mark the end of the screen, then look at what was echoed before it.
	if _, err := slave.Write([]byte("END-OF-TEST\n")); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the end marker", func() bool { return strings.Contains(screen.String(), "END-OF-TEST") })
	shown := screen.String()
	if !strings.Contains(shown, aliceEmail) {
		t.Errorf("the email was not echoed: %q", shown)
	}
	if strings.Contains(shown, alicePass) || strings.Contains(stderr.String(), alicePass) {
		t.Error("the password was echoed")
	}
	if after, err := term.GetState(int(slave.Fd())); err != nil || !reflect.DeepEqual(after, before) {
		t.Errorf("terminal settings not restored:\nbefore %+v\nafter  %+v (%v)", before, after, err)
	}
	if h.storedToken() == "" {
		t.Error("no session stored")
	}
}

// TestPasswordPromptNeedsATerminal: a file that is not a terminal (here
// /dev/null, a character device) is not prompted on.
func TestPasswordPromptNeedsATerminal(t *testing.T) {
	t.Parallel()
	h := newHarness(t)
	delete(h.env, "GUAPOCADO_PASSWORD")
	null, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	r := h.runIn(null, "login", "--email", aliceEmail)
	if r.code != 1 || !strings.Contains(r.stderr, "cannot prompt for the password without a terminal") || strings.Contains(r.stderr, "Password:") {
		t.Errorf("%+v", r)
	}
}
