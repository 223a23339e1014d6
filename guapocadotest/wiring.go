package guapocadotest

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// wiring holds the options that change how the server is reached and how
// an app around Better Auth is wired: where it listens, TLS, cookies,
// the bearer plugin, its clock as seen in the Date header, CORS exposed
// headers and the keep-alive timeout. Most exist so that a diagnostic
// (such as `guapocado doctor`) can be tested against each misconfiguration.
type wiring struct {
	addr          string
	tls           bool
	secureCookies *bool
	noBearer      bool
	clockSkew     time.Duration
	skewSet       bool
	exposed       *string
	idleTimeout   time.Duration

	deviceInterval, deviceExpiry time.Duration // device.go
}

// WithAddr makes the server listen on addr (host:port, such as
// "127.0.0.1:8787") instead of a random port on 127.0.0.1. NewServer
// panics when it cannot listen there.
func WithAddr(addr string) Option { return func(c *config) { c.wiring.addr = addr } }

// WithTLS serves HTTPS with httptest's self-signed certificate: URL and
// BaseURL are https://127.0.0.1:port, and Client trusts the certificate.
// Like Better Auth with an https baseURL, cookies get the __Secure- prefix
// (see WithSecureCookies).
func WithTLS() Option { return func(c *config) { c.wiring.tls, c.https = true, true } }

// WithSecureCookies overrides whether cookie names get the __Secure- prefix
// and the Secure attribute, like Better Auth's advanced.useSecureCookies
// (by default: when the base URL is https). WithTLS plus
// WithSecureCookies(false) is the misconfiguration where an https app sends
// plain cookie names, which clients that follow the rule (the SDK does) do
// not send back.
func WithSecureCookies(on bool) Option {
	return func(c *config) { c.wiring.secureCookies = &on }
}

// WithoutBearer removes Better Auth's bearer plugin: Authorization: Bearer
// is ignored (only the session cookie authenticates) and no response
// carries set-auth-token.
func WithoutBearer() Option { return func(c *config) { c.wiring.noBearer = true } }

// WithClockSkew puts the server's clock d ahead of the machine's (behind
// when d < 0): every response's Date header, and the clock the ledger,
// sessions and webhook tolerance follow (as Advance(d) would).
func WithClockSkew(d time.Duration) Option {
	return func(c *config) { c.wiring.clockSkew, c.wiring.skewSet = d, true }
}

// WithExposedHeaders replaces the value of Access-Control-Expose-Headers on
// every response to a request that carries an Origin (the bearer plugin's
// "set-auth-token" and WithCORS's CORSExposeHeaders) with headers; ""
// removes the header. It models an app whose CORS layer overwrites what
// Better Auth exposes, so a page on another origin cannot read
// set-auth-token or the retry delays.
func WithExposedHeaders(headers string) Option {
	return func(c *config) { c.wiring.exposed = &headers }
}

// WithIdleTimeout closes idle keep-alive connections after d (the default
// keeps them open until Close). Node's default is 5 s.
func WithIdleTimeout(d time.Duration) Option {
	return func(c *config) { c.wiring.idleTimeout = d }
}

// secure reports whether cookie names get the __Secure- prefix.
func (s *Server) secure() bool {
	if p := s.cfg.wiring.secureCookies; p != nil {
		return *p
	}
	return s.cfg.https
}

// listen applies WithAddr and WithIdleTimeout to the unstarted server.
func (s *Server) listen() {
	w := s.cfg.wiring
	if w.addr != "" {
		ln, err := net.Listen("tcp", w.addr)
		if err != nil {
			panic(fmt.Sprintf("guapocadotest: WithAddr: %v", err))
		}
		_ = s.ts.Listener.Close()
		s.ts.Listener = ln
	}
	if w.idleTimeout > 0 {
		s.ts.Config.IdleTimeout = w.idleTimeout
	}
	if w.skewSet {
		s.offset = w.clockSkew
	}
	if w.noBearer || w.skewSet || w.exposed != nil {
		s.ts.Config.Handler = &wired{s: s}
	}
}

// start starts the server, over TLS under WithTLS.
func (s *Server) start() {
	if s.cfg.wiring.tls {
		s.ts.StartTLS()
		s.URL = strings.Replace(s.URL, "http://", "https://", 1)
		s.baseURL = s.URL
		return
	}
	s.ts.Start()
}

// wired is the server's handler with the wiring options applied.
type wired struct{ s *Server }

func (h *wired) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	wc := h.s.cfg.wiring
	if wc.noBearer {
		r.Header.Del("Authorization")
	}
	h.s.ServeHTTP(&wiredWriter{ResponseWriter: w, s: h.s, cross: r.Header.Get("Origin") != ""}, r)
}

// wiredWriter edits the headers just before they are sent.
type wiredWriter struct {
	http.ResponseWriter
	s     *Server
	cross bool // the request carried an Origin (a CORS layer acts on it)
	done  bool
}

func (w *wiredWriter) fix() {
	if w.done {
		return
	}
	w.done = true
	wc, h := w.s.cfg.wiring, w.Header()
	if wc.noBearer {
		h.Del("Set-Auth-Token")
		var keep []string
		for _, v := range h.Values("Access-Control-Expose-Headers") {
			if !strings.EqualFold(strings.TrimSpace(v), "set-auth-token") {
				keep = append(keep, v)
			}
		}
		h.Del("Access-Control-Expose-Headers")
		for _, v := range keep {
			h.Add("Access-Control-Expose-Headers", v)
		}
	}
	if wc.exposed != nil && w.cross {
		h.Del("Access-Control-Expose-Headers")
		if *wc.exposed != "" {
			h.Set("Access-Control-Expose-Headers", *wc.exposed)
		}
	}
	if wc.skewSet {
		h.Set("Date", w.s.Now().UTC().Format(http.TimeFormat))
	}
}

func (w *wiredWriter) WriteHeader(code int) {
	w.fix()
	w.ResponseWriter.WriteHeader(code)
}

func (w *wiredWriter) Write(b []byte) (int, error) {
	w.fix()
	return w.ResponseWriter.Write(b)
}

// Hijack lets a fault drop the connection.
func (w *wiredWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := w.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, http.ErrNotSupported
	}
	return hj.Hijack()
}
