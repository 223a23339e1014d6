//go:build browser && unix

package guapocado

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/guapocadotest"
	"github.com/guapocado/guapocado-go/internal/browsertest"
)

// TestChromium runs this package's TestBrowser* tests (transport_js_test.go)
// compiled to WebAssembly inside headless Chromium, against two fakes of a
// Better Auth app with the plugin (guapocadotest):
//
//   - "page": mounted under /api/auth on the page's own origin, trusting it;
//   - "cross": the whole second origin (another port), trusting the page
//     origin and answering CORS for it (guapocadotest.WithCORS).
//
// Cookies on 127.0.0.1 ignore ports, so the browser sends both fakes'
// cookies to both origins: the fakes use different cookie prefixes ("page",
// "cross") so that one's sign-up does not replace the other's session.
//
// The page origin also serves /__control/{page|cross}/{faults|requests|reset}
// for the wasm tests to inject faults and read the fakes' request logs
// (browserControl). Run with: go test -tags browser -run TestChromium .
func TestChromium(t *testing.T) {
	var fakes map[string]*guapocadotest.Server
	defer func() {
		for _, s := range fakes {
			s.Close()
		}
	}()
	res, err := browsertest.Run(context.Background(), browsertest.Options{
		Package:  ".",
		TestArgs: []string{"-test.v", "-test.run=^TestBrowser"},
		API: func(o browsertest.Origins) (http.Handler, http.Handler) {
			page := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins(o.Page), guapocadotest.WithCookiePrefix("page"))
			cross := guapocadotest.NewServer(guapocadotest.WithTrustedOrigins(o.Page), guapocadotest.WithCookiePrefix("cross"),
				guapocadotest.WithCORS(o.Page))
			fakes = map[string]*guapocadotest.Server{"page": page, "cross": cross}
			mux := http.NewServeMux()
			mux.Handle(guapocadotest.BasePath+"/", page)
			mux.Handle("/__control/", browserControl(fakes))
			return mux, cross
		},
		Output:     os.Stdout,
		LinePrefix: "chromium| ",
		Timeout:    3 * time.Minute,
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != 0 {
		t.Fatalf("the wasm tests failed in Chromium (exit code %d); their output is above", res.ExitCode)
	}
}

// browserControl serves the wasm tests' view of the fakes:
//
//	POST /__control/{fake}/faults    {"n":1,"path":…,"status":503,"header":{…},"body":…,"drop":0}
//	GET  /__control/{fake}/requests  the request log: method, path, status,
//	                                 whether Cookie and Authorization were
//	                                 present (never their values), Origin
//	POST /__control/{fake}/reset     clear faults and logs
func browserControl(fakes map[string]*guapocadotest.Server) http.Handler {
	mux := http.NewServeMux()
	fake := func(w http.ResponseWriter, r *http.Request) *guapocadotest.Server {
		s := fakes[r.PathValue("fake")]
		if s == nil {
			http.Error(w, "no such fake", http.StatusNotFound)
		}
		return s
	}
	mux.HandleFunc("POST /__control/{fake}/faults", func(w http.ResponseWriter, r *http.Request) {
		s := fake(w, r)
		if s == nil {
			return
		}
		var f struct {
			N      int                    `json:"n"`
			Path   string                 `json:"path"`
			Status int                    `json:"status"`
			Header http.Header            `json:"header"`
			Body   string                 `json:"body"`
			Drop   guapocadotest.DropMode `json:"drop"`
		}
		if err := json.NewDecoder(r.Body).Decode(&f); err != nil {
			http.Error(w, "bad fault: "+err.Error(), http.StatusBadRequest)
			return
		}
		s.InjectFaults(f.N, guapocadotest.Fault{Path: f.Path, Status: f.Status, Header: f.Header, Body: f.Body, Drop: f.Drop})
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("GET /__control/{fake}/requests", func(w http.ResponseWriter, r *http.Request) {
		s := fake(w, r)
		if s == nil {
			return
		}
		type entry struct {
			Method        string `json:"method"`
			Path          string `json:"path"`
			Status        int    `json:"status"`
			Cookie        bool   `json:"cookie"`
			Authorization bool   `json:"authorization"`
			Origin        string `json:"origin"`
		}
		log := []entry{}
		for _, q := range s.Requests() {
			_, ck := q.Header["Cookie"]
			_, au := q.Header["Authorization"]
			log = append(log, entry{q.Method, q.Path, q.Status, ck, au, q.Header.Get("Origin")})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(log)
	})
	mux.HandleFunc("POST /__control/{fake}/reset", func(w http.ResponseWriter, r *http.Request) {
		if s := fake(w, r); s != nil {
			s.Reset()
			w.WriteHeader(http.StatusNoContent)
		}
	})
	return mux
}
