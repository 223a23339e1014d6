//go:build unix

package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
)

// stty runs stty with the terminal f as its standard input.
func stty(f *os.File, args ...string) (string, error) {
	cmd := exec.Command("stty", args...)
	cmd.Stdin = f
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// readNoEcho prints prompt and reads a line from the terminal f (through
// in, its buffered reader) with echo turned off, then restores the
// terminal, also when the read is interrupted by a signal. It returns
// errNoTerminal when f is not a terminal.
func readNoEcho(f *os.File, in *bufio.Reader, prompt io.Writer, text string) (string, error) {
	if fi, err := f.Stat(); err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return "", errNoTerminal
	}
	saved, err := stty(f, "-g") // fails on a character device that is not a terminal (/dev/null)
	if err != nil || saved == "" {
		return "", errNoTerminal
	}
	if _, err := stty(f, "-echo"); err != nil {
		return "", fmt.Errorf("turning the terminal's echo off: %w", err)
	}
	restore := func() { _, _ = stty(f, saved) }

	// Ctrl-C while echo is off must not leave the terminal silent: restore
	// it, then let the signal do what it would have done.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case s := <-sigs:
			restore()
			signal.Stop(sigs)
			fmt.Fprintln(prompt)
			_ = syscall.Kill(os.Getpid(), s.(syscall.Signal))
		case <-done:
		}
	}()
	defer func() {
		signal.Stop(sigs)
		close(done)
		restore()
		fmt.Fprintln(prompt) // the Enter the user typed was not echoed
	}()

	fmt.Fprint(prompt, text)
	line, err := in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return "", errors.New("reading the password: no input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}
