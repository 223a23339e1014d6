//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"syscall"
)

// checkPrivate refuses a session file or directory that another user could
// have written, as ssh does with its keys: it must be owned by the user
// running the CLI and not writable by group or others, and the file must be
// a regular file (not a link planted in its place). A path that does not
// exist passes. Otherwise anyone who can write there can plant a session
// whose base URL is their server, and the next "login" sends the password
// to it.
func checkPrivate(path string, dir bool) error {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case dir && !fi.IsDir():
		return &insecureError{path: path, why: "is not a directory"}
	case !dir && !fi.Mode().IsRegular():
		return &insecureError{path: path, why: "is not a regular file"}
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return &insecureError{path: path, why: fmt.Sprintf("is owned by uid %d, not by you (uid %d)", st.Uid, os.Getuid())}
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return &insecureError{path: path, why: fmt.Sprintf("is writable by group or others (mode %04o)", perm)}
	}
	return nil
}
