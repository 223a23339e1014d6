package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// readLine reads one line from standard input, without its line ending.
func (a *app) readLine() (string, error) {
	line, err := a.in.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// email returns the login email: --email, GUAPOCADO_EMAIL, or a prompt.
func (a *app) email(flagValue string) (string, error) {
	if flagValue != "" {
		return flagValue, nil
	}
	if e := a.env("GUAPOCADO_EMAIL"); e != "" {
		return e, nil
	}
	fmt.Fprint(a.stderr, "Email: ")
	e, err := a.readLine()
	if err != nil {
		return "", errors.New("no email: pass --email or set GUAPOCADO_EMAIL")
	}
	return strings.TrimSpace(e), nil
}

// password returns the login password: GUAPOCADO_PASSWORD, one line of
// standard input (--password-stdin), or a prompt on the terminal with echo
// turned off. It is never written anywhere.
func (a *app) password(fromStdin bool) (string, error) {
	if pw := a.env("GUAPOCADO_PASSWORD"); pw != "" {
		return pw, nil
	}
	if fromStdin {
		pw, err := a.readLine()
		if err != nil {
			return "", errors.New("--password-stdin: no password on standard input")
		}
		return pw, nil
	}
	if f, ok := a.stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return a.readPassword(f, "Password: ")
	}
	return "", errors.New("cannot prompt for the password without a terminal: set GUAPOCADO_PASSWORD or use --password-stdin")
}

// readPassword prints prompt on standard error and reads a line from the
// terminal f with echo off (golang.org/x/term: termios on Unix, the
// console mode on Windows), then prints the newline the user's Enter did
// not echo. Ctrl-C (run's context) ends the wait with the terminal
// restored.
func (a *app) readPassword(f *os.File, prompt string) (string, error) {
	fd := int(f.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		return "", fmt.Errorf("reading the terminal's settings: %w", err)
	}
	fmt.Fprint(a.stderr, prompt)
	type answer struct {
		pw  []byte
		err error
	}
	got := make(chan answer, 1)
	go func() {
		pw, err := term.ReadPassword(fd)
		got <- answer{pw, err}
	}()
	select {
	case ans := <-got:
		fmt.Fprintln(a.stderr)
		if ans.err != nil {
			return "", errors.New("reading the password: no input")
		}
		return strings.TrimRight(string(ans.pw), "\r\n"), nil
	case <-a.parent.Done():
		_ = term.Restore(fd, saved)
		fmt.Fprintln(a.stderr)
		return "", failf(exitUnavailable, "interrupted", "interrupted")
	}
}
