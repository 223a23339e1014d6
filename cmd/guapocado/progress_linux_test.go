//go:build linux

package main

import (
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
)

// TestImportProgress (acceptance 5): on a terminal (a pseudo-terminal
// here) usage import draws a bar redrawn in place; on a pipe it prints
// plain progress lines and no control characters.
func TestImportProgress(t *testing.T) {
	t.Parallel()
	slow := func(srv *guapocadotest.Server) {
		// Slow answers, so the bar is drawn several times.
		srv.SetFaultFunc(func(*http.Request) *guapocadotest.Fault { return &guapocadotest.Fault{Delay: 3 * time.Millisecond} })
	}

	t.Run("terminal", func(t *testing.T) {
		t.Parallel()
		srv := importServer(t)
		slow(srv)
		file, _ := importFile(t, 300)
		master, slave := openPTY(t)
		var screen syncBuffer
		go func() { _, _ = io.Copy(&screen, master) }()
		h := newHarness(t)
		var stdout syncBuffer
		code := run(t.Context(), []string{"usage", "import", file, "--api-key", srv.APIKey(), "--api-url", srv.APIURL(), "--concurrency", "2"},
			strings.NewReader(""), &stdout, slave, func(k string) string { return h.env[k] })
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stdout.String())
		}
		waitFor(t, "the final bar", func() bool { return strings.Contains(screen.String(), "300/300 settled 100%") })
		shown := screen.String()
		if strings.Count(shown, "\r[") < 2 || !strings.Contains(shown, "[##############################] 300/300 settled 100%  applied 300") {
			t.Errorf("no bar redrawn in place on the terminal: %q", shown)
		}
		if strings.Contains(shown, "lines settled") {
			t.Errorf("plain progress lines on a terminal: %q", shown)
		}
		matches(t, stdout.String(), `(?m)^  applied   300$`)
	})

	t.Run("pipe", func(t *testing.T) {
		t.Parallel()
		srv := importServer(t)
		slow(srv)
		file, _ := importFile(t, 300)
		r, w, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		var piped syncBuffer
		copied := make(chan struct{})
		go func() { _, _ = io.Copy(&piped, r); close(copied) }()
		h := newHarness(t)
		var stdout syncBuffer
		code := run(t.Context(), []string{"usage", "import", file, "--api-key", srv.APIKey(), "--api-url", srv.APIURL()},
			strings.NewReader(""), &stdout, w, func(k string) string { return h.env[k] })
		w.Close()
		<-copied
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stdout.String())
		}
		got := piped.String()
		if !strings.HasPrefix(got, "usage import: 0/300 lines settled (0%)\n") || !strings.HasSuffix(got, "usage import: 300/300 lines settled (100%)\n") ||
			strings.ContainsAny(got, "\r\x1b") {
			t.Errorf("pipe output %q", got)
		}
	})
}
