//go:build browser && unix

package guapocado

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/guapocado/guapocado-go/internal/browsertest"
)

// TestChromium runs this package's TestBrowser* tests (transport_js_test.go)
// compiled to WebAssembly inside headless Chromium. The page origin serves a
// session API; a second origin on another port serves the same API with CORS
// for the page origin. Run with: go test -tags browser -run TestChromium .
func TestChromium(t *testing.T) {
	res, err := browsertest.Run(context.Background(), browsertest.Options{
		Package:  ".",
		TestArgs: []string{"-test.v", "-test.run=^TestBrowser"},
		API: func(o browsertest.Origins) (http.Handler, http.Handler) {
			// The two origins share the host 127.0.0.1, and cookies ignore
			// ports: the two APIs need different cookie names, or one's
			// sign-in would replace the other's session.
			return newBrowserSessionAPI(o.Page, o.Page, "page_session"), newBrowserSessionAPI(o.Cross, o.Page, "api_session")
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

// browserSessionAPI is a minimal cookie-session API in the shape of the Guapocado
// endpoints, enough to prove the browser transport: sign-in sets an HttpOnly
// session cookie; POSTs need that cookie and an Origin equal to the trusted
// (page) origin; when served from another origin it answers CORS for the
// trusted origin only, with credentials and exposed headers.
type browserSessionAPI struct {
	self    string // the origin this API is served on
	trusted string // the page origin
	cookie  string // the session cookie's name

	mu       sync.Mutex
	balances map[string]int64  // session id -> balance
	flaky    map[string][]bool // attempt id -> whether each attempt carried a valid session
}

func newBrowserSessionAPI(self, trusted, cookie string) http.Handler {
	a := &browserSessionAPI{self: self, trusted: trusted, cookie: cookie, balances: map[string]int64{}, flaky: map[string][]bool{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sign-in", a.signIn)
	mux.HandleFunc("GET /balance", a.balance)
	mux.HandleFunc("POST /consume", a.consume)
	mux.HandleFunc("POST /flaky", a.flakyOnce)
	mux.HandleFunc("POST /whoami", a.whoami)
	if self == trusted {
		return mux
	}
	return a.cors(mux)
}

// cors answers preflights and marks responses readable for the trusted
// origin only.
func (a *browserSessionAPI) cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Origin")
		if r.Header.Get("Origin") == a.trusted {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", a.trusted)
			h.Set("Access-Control-Allow-Credentials", "true")
			h.Set("Access-Control-Expose-Headers", "set-auth-token, X-Retry-After, Retry-After")
		}
		if r.Method == http.MethodOptions {
			if r.Header.Get("Origin") != a.trusted {
				http.Error(w, "origin not allowed", http.StatusForbidden)
				return
			}
			w.Header().Set("Access-Control-Allow-Methods", "GET, POST")
			w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// session returns the request's session id when its cookie names a live one.
func (a *browserSessionAPI) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(a.cookie)
	if err != nil {
		return "", false
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.balances[c.Value]
	return c.Value, ok
}

// originOK rejects a POST whose Origin is not the trusted origin, as Better
// Auth does for cookie-authenticated writes.
func (a *browserSessionAPI) originOK(w http.ResponseWriter, r *http.Request) bool {
	if r.Header.Get("Origin") != a.trusted {
		writeBrowserJSON(w, http.StatusForbidden, map[string]string{"code": "INVALID_ORIGIN"})
		return false
	}
	return true
}

func (a *browserSessionAPI) signIn(w http.ResponseWriter, r *http.Request) {
	if !a.originOK(w, r) {
		return
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	id := hex.EncodeToString(b)
	a.mu.Lock()
	a.balances[id] = 10
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: a.cookie, Value: id, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode})
	w.Header().Set("set-auth-token", "bearer-"+a.cookie)
	w.Header().Set("X-Not-Exposed", "visible-same-origin-only")
	writeBrowserJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

func (a *browserSessionAPI) balance(w http.ResponseWriter, r *http.Request) {
	id, ok := a.session(r)
	if !ok {
		writeBrowserJSON(w, http.StatusUnauthorized, map[string]string{"code": "UNAUTHORIZED"})
		return
	}
	a.mu.Lock()
	n := a.balances[id]
	a.mu.Unlock()
	writeBrowserJSON(w, http.StatusOK, map[string]int64{"balance": n})
}

func (a *browserSessionAPI) consume(w http.ResponseWriter, r *http.Request) {
	if !a.originOK(w, r) {
		return
	}
	id, ok := a.session(r)
	if !ok {
		writeBrowserJSON(w, http.StatusUnauthorized, map[string]string{"code": "UNAUTHORIZED"})
		return
	}
	var body struct {
		Amount int64 `json:"amount"`
	}
	if r.Header.Get("Content-Type") != "application/json" || json.NewDecoder(r.Body).Decode(&body) != nil || body.Amount <= 0 {
		writeBrowserJSON(w, http.StatusBadRequest, map[string]string{"code": "INVALID_REQUEST"})
		return
	}
	a.mu.Lock()
	a.balances[id] -= body.Amount
	n := a.balances[id]
	a.mu.Unlock()
	writeBrowserJSON(w, http.StatusOK, map[string]int64{"balance": n})
}

// flakyOnce answers 503 to the first attempt of each ?id= and, on a later
// attempt, 200 with whether every attempt carried the session (401 when this
// one did not).
func (a *browserSessionAPI) flakyOnce(w http.ResponseWriter, r *http.Request) {
	if !a.originOK(w, r) {
		return
	}
	_, ok := a.session(r)
	id := r.URL.Query().Get("id")
	a.mu.Lock()
	a.flaky[id] = append(a.flaky[id], ok)
	attempts := append([]bool(nil), a.flaky[id]...)
	a.mu.Unlock()
	switch {
	case len(attempts) == 1:
		w.Header().Set("Retry-After", "0")
		w.Header().Set("X-Retry-After", "0")
		writeBrowserJSON(w, http.StatusServiceUnavailable, map[string]string{"code": "UNAVAILABLE"})
	case !ok:
		writeBrowserJSON(w, http.StatusUnauthorized, map[string]any{"code": "UNAUTHORIZED", "sessions": attempts})
	default:
		writeBrowserJSON(w, http.StatusOK, map[string]any{"sessions": attempts})
	}
}

// whoami reports what the browser actually sent: the Origin header and the
// names (never the values) of the cookies, and whether a cookie value the
// page did not set reached the server.
func (a *browserSessionAPI) whoami(w http.ResponseWriter, r *http.Request) {
	var names []string
	forged := false
	for _, c := range r.Cookies() {
		names = append(names, c.Name)
		forged = forged || c.Value == "forged"
	}
	writeBrowserJSON(w, http.StatusOK, map[string]any{"origin": r.Header.Get("Origin"), "cookies": names, "forged": forged})
}

func writeBrowserJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
