package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
)

// errNoTerminal: standard input is not a terminal, so no prompt can hide
// what is typed.
var errNoTerminal = errors.New("standard input is not a terminal")

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
	if f, ok := a.stdin.(*os.File); ok {
		pw, err := readNoEcho(f, a.in, a.stderr, "Password: ")
		if !errors.Is(err, errNoTerminal) {
			return pw, err
		}
	}
	return "", errors.New("cannot prompt for the password without a terminal: set GUAPOCADO_PASSWORD or use --password-stdin")
}
