//go:build !unix

package main

import (
	"bufio"
	"io"
	"os"
)

// readNoEcho has no terminal control here (no stty): the password must come
// from GUAPOCADO_PASSWORD or --password-stdin.
func readNoEcho(*os.File, *bufio.Reader, io.Writer, string) (string, error) {
	return "", errNoTerminal
}
