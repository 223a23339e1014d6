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
	now := time.Now()
	if v := s.cookies.value.Load(); v != nil && v.gen == gen && (v.until.IsZero() || now.Before(v.until)) {
		return v.header
	}
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

// update keeps what the server says about the session: the newest
// set-auth-token for bearer sessions, and cookies for cookie sessions.
func (s *session) update(cfg *config, resp *http.Response) {
	if s.adoptBearer.Load() {
		if v := resp.Header.Get("Set-Auth-Token"); v != "" {
			s.bearer.Store(&v)
		}
	}
	if s.jar != nil && s.staticCookie == "" && len(resp.Header["Set-Cookie"]) > 0 {
		s.setCookies(cfg, resp.Cookies())
	}
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
