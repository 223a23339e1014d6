//go:build !linux

package main

import "os"

// fileIsTerminal guesses from the file's mode: a character device that is
// not the null device.
func fileIsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0 && f.Name() != os.DevNull
}
