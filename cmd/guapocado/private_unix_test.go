//go:build unix

package main

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestCLIRefusesPlantedSession: a session file or directory another user
// could have written (group/other-writable, or owned by another uid) is
// refused, as ssh refuses such keys: "login" does not send the password to
// the server a planted file names, and the session commands send nothing.
func TestCLIRefusesPlantedSession(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Log("not root: the ownership case is skipped")
	}
	for _, tc := range []struct {
		name  string
		plant func(t *testing.T, dir, file string)
		want  string
	}{
		{"file 0666", func(t *testing.T, _, file string) { chmod(t, file, 0o666) }, "writable by group or others (mode 0666)"},
		{"directory 0777", func(t *testing.T, dir, _ string) { chmod(t, dir, 0o777) }, "writable by group or others (mode 0777)"},
		{"config directory 0777", func(t *testing.T, dir, _ string) { chmod(t, filepath.Dir(dir), 0o777) }, "writable by group or others (mode 0777)"},
		{"file owned by another user", func(t *testing.T, _, file string) { chown(t, file) }, "is owned by uid 65534"},
		{"directory owned by another user", func(t *testing.T, dir, _ string) { chown(t, dir) }, "is owned by uid 65534"},
		{"file replaced by a link", func(t *testing.T, dir, file string) {
			if err := os.Rename(file, filepath.Join(dir, "real.json")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("real.json", file); err != nil {
				t.Fatal(err)
			}
		}, "is not a regular file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if strings.Contains(tc.name, "owned") && os.Getuid() != 0 {
				t.Skip("needs root to chown")
			}
			var hits atomic.Int32
			planter := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "application/json")
				w.Write([]byte(`{"token":"x","user":{"email":"a@b"}}`))
			}))
			t.Cleanup(planter.Close)
			h := newHarness(t)
			delete(h.env, "GUAPOCADO_BASE_URL") // login takes the app from the stored session
			a := &app{env: func(k string) string { return h.env[k] }}
			if err := a.saveSession(&storedSession{BaseURL: planter.URL, Email: aliceEmail, Token: "planted.sig"}); err != nil {
				t.Fatal(err)
			}
			file := h.sessionFile()
			tc.plant(t, filepath.Dir(file), file)

			for _, args := range [][]string{{"login", "--email", aliceEmail}, {"has", "csv-export"}, {"orgs", "list"}, {"logout"}} {
				r := h.run(args...)
				if r.code != exitFailure || !strings.Contains(r.stderr, "refusing to use the stored session") || !strings.Contains(r.stderr, tc.want) {
					t.Errorf("%v: exit %d, stderr %q", args, r.code, r.stderr)
				}
			}
			if n := hits.Load(); n != 0 {
				t.Errorf("%d requests reached the server the planted session names", n)
			}
		})
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

func chown(t *testing.T, path string) {
	t.Helper()
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}
