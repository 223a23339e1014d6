package guapocadotest

import (
	"net/http"
	"strings"
)

// CORS headers the fake sends under WithCORS.
const (
	// CORSExposeHeaders are the response headers a page on another origin
	// must be allowed to read: the rotated bearer token and the two retry
	// delays. Without them the SDK in the browser sees neither.
	CORSExposeHeaders = "set-auth-token, X-Retry-After, Retry-After"
	// CORSAllowHeaders are the request headers a preflight may ask for.
	CORSAllowHeaders = "Content-Type, Authorization"
	// CORSAllowMethods are the methods a preflight may ask for.
	CORSAllowMethods = "GET, POST"
)

// WithCORS answers cross-origin requests from these exact origins
// (scheme://host[:port]) the way an app serving a browser front end on
// another origin must be configured: every answer to such an origin
// carries Access-Control-Allow-Origin (that origin, never "*"),
// Access-Control-Allow-Credentials: true and Access-Control-Expose-Headers:
// CORSExposeHeaders (merged with Better Auth's own "set-auth-token" on
// answers that carry one), and a preflight (OPTIONS with
// Access-Control-Request-Method) from it is answered 204 with
// CORSAllowMethods and CORSAllowHeaders, before faults and the rate limiter.
// Requests from other origins get no CORS headers, so a browser refuses to
// show them the answer.
//
// CORS only lets the browser read the answer: a cookie-bearing POST from
// another origin still needs that origin in WithTrustedOrigins to pass the
// Origin check, as with Better Auth's trustedOrigins.
func WithCORS(origins ...string) Option {
	return func(c *config) {
		for _, o := range origins {
			c.cors = append(c.cors, originOf(o))
		}
	}
}

// cors adds the CORS headers for r's origin when it is allowed, and reports
// whether r was a preflight, which it has then answered.
func (s *Server) cors(w http.ResponseWriter, r *http.Request) (answered bool) {
	if len(s.cfg.cors) == 0 {
		return false
	}
	h := w.Header()
	h.Add("Vary", "Origin")
	origin := r.Header.Get("Origin")
	allowed := false
	for _, o := range s.cfg.cors {
		if o != "" && strings.EqualFold(origin, o) {
			allowed = true
			break
		}
	}
	if !allowed {
		return false
	}
	h.Set("Access-Control-Allow-Origin", origin)
	h.Set("Access-Control-Allow-Credentials", "true")
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") == "" {
		h.Set("Access-Control-Expose-Headers", CORSExposeHeaders)
		return false
	}
	h.Add("Vary", "Access-Control-Request-Method")
	h.Add("Vary", "Access-Control-Request-Headers")
	h.Set("Access-Control-Allow-Methods", CORSAllowMethods)
	h.Set("Access-Control-Allow-Headers", CORSAllowHeaders)
	h.Set("Access-Control-Max-Age", "600")
	w.WriteHeader(http.StatusNoContent)
	return true
}
