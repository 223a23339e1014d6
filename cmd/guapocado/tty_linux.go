package main

import (
	"os"
	"syscall"
	"unsafe"
)

// fileIsTerminal asks the kernel for f's terminal settings (TCGETS).
func fileIsTerminal(f *os.File) bool {
	var t syscall.Termios
	_, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&t)))
	return e == 0
}
