package guapocado

import (
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// This file builds a session's Cookie and Authorization header values once
// and reuses them until the session changes: reading a cookie jar costs
// several allocations and a lock per call, and the values are the same from
// one call to the next.

// cookieCache caches the Cookie header of a session whose jar is the SDK's
// own (created by NewClient): only session.update writes that jar, so the
// header changes only when update stores cookies or when a stored cookie
// expires. A jar the user gives (WithCookieJar, or the Jar of the
// WithHTTPClient client) may change behind the SDK's back and is read on
// every call.
type cookieCache struct {
	gen   atomic.Uint64 // bumped after every write to the jar
	value atomic.Pointer[cookieValue]

	mu      sync.Mutex
	expires map[cookieID]time.Time // the earliest known expiry of each stored cookie that has one
}

// cookieValue is the Cookie header for the base URL as of jar generation
// gen, valid until until (zero: no stored cookie expires).
type cookieValue struct {
	header []string // nil: no cookie
	gen    uint64
	until  time.Time
}

type cookieID struct{ name, domain, path string }

// authValue is the Authorization header for one bearer token.
type authValue struct {
	token  *string
	header [1]string
}

// cookieValues is the Cookie header value for the base URL, nil for none.
// The returned slice is shared: never write to it.
func (s *session) cookieValues(cfg *config) []string {
	if s.staticCookie != "" {
		return s.staticValue[:]
	}
	if s.jar == nil {
		return nil
	}
	if !s.ownJar {
		return cookieHeader(s.jar.Cookies(cfg.base))
	}
	gen := s.cookies.gen.Load()
	if v := s.cookies.value.Load(); v != nil && v.gen == gen && (v.until.IsZero() || time.Now().Before(v.until)) {
		return v.header // without an expiring cookie, no clock read
	}
	now := time.Now()
	// Read the generation before the jar: a write that lands meanwhile bumps
	// it, and the value stored here is then never used.
	v := &cookieValue{header: cookieHeader(s.jar.Cookies(cfg.base)), gen: gen, until: s.cookies.nextExpiry(now)}
	s.cookies.value.Store(v)
	return v.header
}

// cookieHeader joins cookies into a Cookie header value, nil for none.
func cookieHeader(cookies []*http.Cookie) []string {
	switch len(cookies) {
	case 0:
		return nil
	case 1:
		return []string{cookies[0].Name + "=" + cookies[0].Value}
	}
	var b strings.Builder
	for i, ck := range cookies {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(ck.Name)
		b.WriteByte('=')
		b.WriteString(ck.Value)
	}
	return []string{b.String()}
}

// noteExpiries records, before cookies are stored at now, when each of them
// expires, as net/http/cookiejar computes it (never later than the jar will).
// A cookie's earliest known expiry is kept even when a later Set-Cookie
// extends it: the cached header is then rebuilt once more than needed, never
// kept past a change.
func (cc *cookieCache) noteExpiries(cookies []*http.Cookie, now time.Time) {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	for _, ck := range cookies {
		var exp time.Time
		switch {
		case ck.MaxAge > 0:
			exp = now.Add(time.Duration(ck.MaxAge) * time.Second)
		case ck.MaxAge == 0 && !ck.Expires.IsZero() && ck.Expires.After(now):
			exp = ck.Expires
		default:
			continue // no expiry, or a deletion (which bumps the generation)
		}
		id := cookieID{ck.Name, ck.Domain, ck.Path}
		if old, ok := cc.expires[id]; ok && old.Before(exp) {
			continue
		}
		if cc.expires == nil {
			cc.expires = map[cookieID]time.Time{}
		}
		cc.expires[id] = exp
	}
}

// nextExpiry is the earliest recorded expiry after now (zero for none), and
// forgets the ones that have passed.
func (cc *cookieCache) nextExpiry(now time.Time) time.Time {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	var next time.Time
	for id, exp := range cc.expires {
		if !exp.After(now) {
			delete(cc.expires, id)
			continue
		}
		if next.IsZero() || exp.Before(next) {
			next = exp
		}
	}
	return next
}

// authorization is the Authorization header value, nil without a bearer
// token. The returned slice is shared: never write to it.
func (s *session) authorization() []string {
	tok := s.bearer.Load()
	if tok == nil || *tok == "" {
		return nil
	}
	if a := s.auth.Load(); a != nil && a.token == tok {
		return a.header[:]
	}
	a := &authValue{token: tok, header: [1]string{"Bearer " + *tok}}
	s.auth.Store(a)
	return a.header[:]
}

// Bounds on what a server's answers can make a session keep. A server (or
// anything that answers in its place) could otherwise grow the Cookie
// header until every later request is refused (431: Node refuses requests
// whose headers exceed 16 KiB) or make the client hold a huge token. What
// is over a bound is dropped, not stored; the call that carried it still
// succeeds. Better Auth's own cookies and tokens are far below them.
const (
	// MaxCookies is the most cookies a session keeps for the app (new
	// names beyond it are dropped; updates and deletions of kept ones still
	// apply), and the most it reads from one answer.
	MaxCookies = 50
	// MaxCookieBytes is the largest cookie kept, name and value together.
	MaxCookieBytes = 4096
	// MaxCookieHeaderBytes bounds the Cookie header a session sends: a new
	// cookie that would take it past this is dropped.
	MaxCookieHeaderBytes = 8192
	// MaxSessionTokenBytes is the largest set-auth-token adopted; a longer
	// one (or one with spaces or control characters) is ignored and the
	// session keeps its token.
	MaxSessionTokenBytes = 4096
)

// update keeps what the server says about the session: the newest
// set-auth-token for bearer sessions, and cookies for cookie sessions, both
// within the bounds above.
func (s *session) update(cfg *config, resp *http.Response) {
	if s.adoptBearer.Load() {
		if v := resp.Header.Get("Set-Auth-Token"); v != "" && len(v) <= MaxSessionTokenBytes && validToken(v) {
			s.bearer.Store(&v)
		}
	}
	if s.jar != nil && s.staticCookie == "" && len(resp.Header["Set-Cookie"]) > 0 {
		if cookies := s.boundCookies(cfg, resp.Cookies()); len(cookies) > 0 {
			s.setCookies(cfg, cookies)
		}
	}
}

// boundCookies returns the cookies of an answer that the session may keep:
// at most MaxCookies of them, each at most MaxCookieBytes, only those the
// jar would send back to the base URL (the others would only fill it), and
// only as many new names as keep the session within MaxCookies and
// MaxCookieHeaderBytes. A cookie that replaces or deletes a kept one is
// always taken.
func (s *session) boundCookies(cfg *config, in []*http.Cookie) []*http.Cookie {
	if len(in) > MaxCookies {
		in = in[:MaxCookies]
	}
	kept := map[string]int{} // name → size in the Cookie header
	total := 0
	for _, ck := range s.jar.Cookies(cfg.base) {
		n := len(ck.Name) + len(ck.Value) + 2 // "; " or "="
		kept[ck.Name] += n
		total += n
	}
	out := in[:0:0]
	for _, ck := range in {
		n := len(ck.Name) + len(ck.Value) + 2
		if len(ck.Name)+len(ck.Value) > MaxCookieBytes || !cookieReturns(cfg, ck) {
			continue
		}
		old, known := kept[ck.Name]
		deletion := ck.MaxAge < 0 || (!ck.Expires.IsZero() && ck.Expires.Before(time.Now()))
		switch {
		case deletion:
			total -= old
			delete(kept, ck.Name)
		case known && total-old+n <= MaxCookieHeaderBytes:
			total += n - old
			kept[ck.Name] = n
		case !known && len(kept) < MaxCookies && total+n <= MaxCookieHeaderBytes:
			total += n
			kept[ck.Name] = n
		default:
			continue
		}
		out = append(out, ck)
	}
	return out
}

// cookieReturns reports whether a cookie set through the base URL would be
// sent back to it: a Path that covers the base URL's path, and no Secure
// flag over plain http.
func cookieReturns(cfg *config, ck *http.Cookie) bool {
	if ck.Secure && !cfg.secure {
		return false
	}
	if ck.Path == "" || ck.Path[0] != '/' {
		return true // the jar uses the base URL's own path
	}
	p := cfg.base.Path
	if p == "" {
		p = "/"
	}
	return p == ck.Path || strings.HasPrefix(p, strings.TrimSuffix(ck.Path, "/")+"/")
}

// setCookies stores cookies for the base URL in the session's jar.
func (s *session) setCookies(cfg *config, cookies []*http.Cookie) {
	if !s.ownJar {
		s.jar.SetCookies(cfg.base, cookies)
		return
	}
	s.cookies.noteExpiries(cookies, time.Now())
	s.jar.SetCookies(cfg.base, cookies)
	s.cookies.gen.Add(1)
}
