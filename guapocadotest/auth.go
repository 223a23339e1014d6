package guapocadotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// sessionTTL is Better Auth's default session lifetime (expiresAt and the
// cookie's Max-Age). The fake does not expire sessions, so that a test can
// move the clock across months.
const sessionTTL = 7 * 24 * time.Hour

// dontRememberTTL is the lifetime of a session signed in with rememberMe
// false, until its first refresh; sessionUpdateAge is how old a session's
// expiry must be before Better Auth moves it on (its updateAge).
const (
	dontRememberTTL  = 24 * time.Hour
	sessionUpdateAge = 24 * time.Hour
)

// refreshSession is Better Auth's refresh on every session lookup: unless
// the request carries the dont_remember cookie, a session whose expiry was
// set a day ago or more (every not-remembered session at once) is moved to
// expire in sessionTTL, and the answer carries the session cookie and
// set-auth-token again. It returns those headers, or nil. Call with s.mu
// held.
func (s *Server) refreshSession(c *call) http.Header {
	if c.sess == nil || c.dontRemember || c.now.Before(c.sess.expiresAt.Add(-sessionTTL+sessionUpdateAge)) {
		return nil
	}
	c.sess.expiresAt, c.sess.updatedAt = c.now.Add(sessionTTL), c.now
	return s.sessionHeaders(c.sess, false)
}

// requestDontRemember reports a validly signed dont_remember cookie.
func (s *Server) requestDontRemember(r *http.Request) bool {
	v, ok := cookieValue(r, s.cookieName("dont_remember"))
	if !ok {
		return false
	}
	dec, err := url.PathUnescape(v)
	if err != nil {
		return false
	}
	got, ok := s.unsign(dec)
	return ok && got == "true"
}

type user struct {
	id, name, email string
	password        [32]byte
	createdAt       time.Time
}

type session struct {
	id, token  string // token is the unsigned 32-character session token
	userID     string
	activeOrg  string
	activeTeam string
	orgTouched bool // activeOrganizationId/activeTeamId have been set once
	userAgent  string
	ipAddress  string // clientIP at sign-in, "" when unknown
	createdAt  time.Time
	updatedAt  time.Time
	expiresAt  time.Time // moved on by refresh; the fake never expires a session
}

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// randomID returns Better Auth's 32-character alphanumeric id.
func randomID() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("guapocadotest: " + err.Error())
	}
	for i := range b {
		b[i] = alnum[int(b[i])%len(alnum)]
	}
	return string(b)
}

// sign returns Better Auth's signed cookie value:
// <value>.<base64(HMAC-SHA256(secret, value))>.
func (s *Server) sign(value string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(value))
	return value + "." + base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// unsign checks a signed value and returns what was signed.
func (s *Server) unsign(signed string) (string, bool) {
	i := strings.LastIndexByte(signed, '.')
	if i < 1 {
		return "", false
	}
	value, sig := signed[:i], signed[i+1:]
	got, err := base64.StdEncoding.DecodeString(sig)
	if err != nil || len(sig) != 44 {
		return "", false
	}
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(value))
	if !hmac.Equal(got, m.Sum(nil)) {
		return "", false
	}
	return value, true
}

// cookieName is the full name of one of Better Auth's cookies.
func (s *Server) cookieName(name string) string {
	n := s.cfg.cookiePrefix + "." + name
	if s.secure() {
		n = "__Secure-" + n
	}
	return n
}

// setCookie formats a Set-Cookie value the way Better Auth does; maxAge < 0
// leaves Max-Age out (a browser-session cookie).
func (s *Server) setCookie(name, value string, maxAge int) string {
	var b strings.Builder
	b.WriteString(s.cookieName(name) + "=" + url.QueryEscape(value) + "; ")
	if maxAge >= 0 {
		b.WriteString("Max-Age=" + strconv.Itoa(maxAge) + "; ")
	}
	b.WriteString("Path=/; HttpOnly; ")
	if s.secure() {
		b.WriteString("Secure; ")
	}
	b.WriteString("SameSite=Lax")
	return b.String()
}

// sessionHeaders are what Better Auth (with the bearer plugin) sends
// whenever it sets the session cookie. dontRemember (sign-in with
// rememberMe false, or a request carrying the dont_remember cookie) makes
// it a browser-session cookie.
func (s *Server) sessionHeaders(sess *session, dontRemember bool) http.Header {
	h := http.Header{}
	signed := s.sign(sess.token)
	maxAge := int(sessionTTL / time.Second)
	if dontRemember {
		maxAge = -1
	}
	h.Set("Access-Control-Expose-Headers", "set-auth-token")
	h.Set("Set-Auth-Token", signed)
	h.Add("Set-Cookie", s.setCookie("session_token", signed, maxAge))
	if dontRemember {
		h.Add("Set-Cookie", s.setCookie("dont_remember", s.sign("true"), -1))
	}
	return h
}

// deleteCookies are the Set-Cookie headers of sign-out.
func (s *Server) deleteCookies(h http.Header) {
	for _, n := range []string{"session_token", "session_data", "dont_remember"} {
		h.Add("Set-Cookie", s.setCookie(n, "", 0))
	}
}

// cookieValue returns the value of the named cookie in the Cookie header.
func cookieValue(r *http.Request, name string) (string, bool) {
	for _, line := range r.Header.Values("Cookie") {
		for _, part := range strings.Split(line, ";") {
			k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
			if ok && k == name {
				return v, true
			}
		}
	}
	return "", false
}

// bearerToken returns the credential of an "Authorization: Bearer" header
// (the scheme is case-insensitive).
func bearerToken(r *http.Request) (string, bool) {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(h) < 7 || !strings.EqualFold(h[:7], "bearer ") {
		return "", false
	}
	t := strings.TrimSpace(h[7:])
	return t, t != ""
}

// lookupToken finds the session for a credential in any form the bearer
// plugin accepts: signed, unsigned, or the URL-encoded signed cookie value.
// Call with s.mu held. signedOK reports a validly signed token.
func (s *Server) lookupToken(cred string, allowUnsigned bool) (sess *session, signedOK bool) {
	if strings.Contains(cred, "%") {
		if dec, err := url.PathUnescape(cred); err == nil {
			cred = dec
		}
	}
	var token string
	if strings.Contains(cred, ".") {
		t, ok := s.unsign(cred)
		if !ok {
			return nil, false
		}
		token, signedOK = t, true
	} else {
		if !allowUnsigned {
			return nil, false
		}
		token = cred
	}
	return s.st.sessions[token], signedOK
}

// sessionFromRequest finds the request's session. As with Better Auth's
// bearer plugin, a bearer token that is unsigned or validly signed replaces
// the session cookie (the plugin signs an unsigned one itself); a bearer
// token with a bad signature is ignored and the cookie (whose value must be
// validly signed) counts. tokenIn reports that a token counted, so that an
// answer without a session clears the cookies. Call with s.mu held.
func (s *Server) sessionFromRequest(r *http.Request) (found *session, tokenIn bool) {
	if cred, ok := bearerToken(r); ok {
		sess, signed := s.lookupToken(cred, true)
		if sess != nil || signed || !strings.Contains(cred, ".") {
			return sess, true
		}
	}
	if v, ok := cookieValue(r, s.cookieName("session_token")); ok {
		dec, err := url.PathUnescape(v)
		if err == nil {
			sess, signed := s.lookupToken(dec, false)
			if sess != nil {
				return sess, true
			}
			tokenIn = tokenIn || signed
		}
	}
	return nil, tokenIn
}

// newSession opens a session for u. A session not to be remembered lasts
// a day until its first refresh (refreshSession), as in Better Auth.
func (s *Server) newSession(u *user, userAgent, ipAddress string, dontRemember bool, now time.Time) *session {
	ttl := sessionTTL
	if dontRemember {
		ttl = dontRememberTTL
	}
	sess := &session{
		id:        randomID(),
		token:     randomID(),
		userID:    u.id,
		userAgent: userAgent,
		ipAddress: ipAddress,
		createdAt: now,
		updatedAt: now,
		expiresAt: now.Add(ttl),
	}
	s.st.sessions[sess.token] = sess
	return sess
}

func passwordHash(p string) [32]byte { return sha256.Sum256([]byte(p)) }

// userJSON is Better Auth's user object.
func userJSON(u *user) obj {
	return obj{
		{"name", u.name},
		{"email", u.email},
		{"emailVerified", false},
		{"createdAt", isoTime(u.createdAt)},
		{"updatedAt", isoTime(u.createdAt)},
		{"id", u.id},
	}
}

// validEmail is a small stand-in for Better Auth's email check at sign-in.
func validEmail(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && !strings.ContainsAny(e, " \t\r\n") && strings.Contains(e[at:], ".")
}

// checkPassword applies Better Auth's default length rules (8…128).
func checkPassword(p string) *response {
	switch {
	case len(p) < 8:
		r := errorResponse(http.StatusBadRequest, "Password too short", "PASSWORD_TOO_SHORT")
		return &r
	case len(p) > 128:
		r := errorResponse(http.StatusBadRequest, "Password too long", "PASSWORD_TOO_LONG")
		return &r
	}
	return nil
}

// createUser adds a user. Call with s.mu held.
func (s *Server) createUser(email, password, name string, now time.Time) (*user, *response) {
	if !zodEmail(email) {
		r := errorResponse(http.StatusBadRequest, "[body.email] "+invalidEmailAddress, "VALIDATION_ERROR")
		return nil, &r
	}
	email = strings.ToLower(strings.TrimSpace(email))
	if r := checkPassword(password); r != nil {
		return nil, r
	}
	if _, taken := s.st.usersByEmail[email]; taken {
		r := errorResponse(http.StatusUnprocessableEntity, "User already exists. Use another email.", "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL")
		return nil, &r
	}
	u := &user{id: randomID(), name: name, email: email, password: passwordHash(password), createdAt: now}
	s.st.users[u.id] = u
	s.st.usersByEmail[email] = u
	return u, nil
}

// rememberMe reads the optional rememberMe flag (default true).
func rememberMe(body map[string]any) bool {
	if b, ok := body["rememberMe"].(bool); ok {
		return b
	}
	return true
}

// POST /sign-up/email {name, email, password, rememberMe?}
func (s *Server) signUp(c *call) response {
	u, fail := s.createUser(strField(c.body, "email"), strField(c.body, "password"), strField(c.body, "name"), c.now)
	if fail != nil {
		return *fail
	}
	sess := s.newSession(u, c.r.UserAgent(), clientIP(c.r), !rememberMe(c.body), c.now)
	resp := jsonResponse(http.StatusOK, obj{{"token", sess.token}, {"user", userJSON(u)}})
	mergeHeader(resp.header, s.sessionHeaders(sess, !rememberMe(c.body)))
	return resp
}

// POST /sign-in/email {email, password, rememberMe?, callbackURL?}
func (s *Server) signIn(c *call) response {
	email := strings.ToLower(strings.TrimSpace(strField(c.body, "email")))
	if !validEmail(email) {
		return errorResponse(http.StatusBadRequest, "Invalid email", "INVALID_EMAIL")
	}
	u := s.st.usersByEmail[email]
	given := passwordHash(strField(c.body, "password"))
	if u == nil || !hmac.Equal(u.password[:], given[:]) {
		return errorResponse(http.StatusUnauthorized, "Invalid email or password", "INVALID_EMAIL_OR_PASSWORD")
	}
	sess := s.newSession(u, c.r.UserAgent(), clientIP(c.r), !rememberMe(c.body), c.now)
	o := obj{{"redirect", false}, {"token", sess.token}}
	cb := strField(c.body, "callbackURL")
	if cb != "" {
		o = obj{{"redirect", true}, {"token", sess.token}, {"url", cb}}
	}
	o = append(o, kv{"user", userJSON(u)})
	resp := jsonResponse(http.StatusOK, o)
	if cb != "" { // still 200: a browser's fetch does not follow it
		resp.header.Set("Location", cb)
	}
	mergeHeader(resp.header, s.sessionHeaders(sess, !rememberMe(c.body)))
	return resp
}

// POST /sign-out: deletes the session, if any, and always clears the
// cookies with 200 {"success":true}, as Better Auth does.
func (s *Server) signOut(c *call) response {
	if c.sess != nil {
		delete(s.st.sessions, c.sess.token)
	}
	resp := jsonResponse(http.StatusOK, obj{{"success", true}})
	s.deleteCookies(resp.header)
	return resp
}

// GET /get-session: {session, user}, or null without a (valid) session.
func (s *Server) getSession(c *call) response {
	var resp response
	if c.sess == nil {
		resp = jsonResponse(http.StatusOK, nil)
		if c.tokenIn {
			s.deleteCookies(resp.header)
		}
	} else {
		resp = jsonResponse(http.StatusOK, obj{
			{"session", s.sessionJSON(c.sess)},
			{"user", userJSON(s.st.users[c.sess.userID])},
		})
	}
	resp.header.Set("Cache-Control", "no-store")
	resp.header.Set("Pragma", "no-cache")
	return resp
}

func (s *Server) sessionJSON(sess *session) obj {
	o := obj{
		{"expiresAt", isoTime(sess.expiresAt)},
		{"token", sess.token},
		{"createdAt", isoTime(sess.createdAt)},
		{"updatedAt", isoTime(sess.updatedAt)},
		{"ipAddress", sess.ipAddress},
		{"userAgent", sess.userAgent},
		{"userId", sess.userID},
	}
	if sess.orgTouched {
		o = append(o, kv{"activeOrganizationId", nullIfEmpty(sess.activeOrg)}, kv{"activeTeamId", nullIfEmpty(sess.activeTeam)})
	}
	return append(o, kv{"id", sess.id})
}

func nullIfEmpty(v string) any {
	if v == "" {
		return nil
	}
	return v
}

func mergeHeader(dst, src http.Header) {
	for k, vs := range src {
		for _, v := range vs {
			dst.Add(k, v)
		}
	}
}

// originOf returns scheme://host of a URL, lower-cased, or "" when it has none.
func originOf(raw string) string {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Scheme == "" || u.Host == "" {
		return ""
	}
	return strings.ToLower(u.Scheme + "://" + u.Host)
}

// trusted reports whether raw's origin is the base URL's or a trusted one.
func (s *Server) trusted(raw string) bool {
	o := originOf(raw)
	if o == "" {
		return false
	}
	if o == originOf(s.baseURL) {
		return true
	}
	for _, t := range s.cfg.trusted {
		if o == originOf(t) {
			return true
		}
	}
	return false
}

// checkOrigin is Better Auth's CSRF protection. A POST that carries a
// Cookie header (any cookie, even an empty header) needs an Origin (or,
// without one, a Referer) from a trusted origin; "Origin: null" passes only
// with "Sec-Fetch-Site: same-origin". Sign-in and sign-up are also checked
// without cookies when an Origin is present, and refuse cross-site
// navigations. A callbackURL must be relative or trusted. GETs are never
// checked.
func (s *Server) checkOrigin(r *http.Request, rel string, body map[string]any) *response {
	if r.Method == http.MethodGet || r.Method == http.MethodHead || r.Method == http.MethodOptions {
		return nil
	}
	fail := func(msg, code string) *response {
		resp := errorResponse(http.StatusForbidden, msg, code)
		return &resp
	}
	entry := rel == "/sign-in/email" || rel == "/sign-up/email"
	if entry && r.Header.Get("Sec-Fetch-Site") == "cross-site" && r.Header.Get("Sec-Fetch-Mode") == "navigate" {
		return fail("Cross-site navigation login blocked. This request appears to be a CSRF attack.", "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED")
	}
	if _, hasCookie := r.Header["Cookie"]; hasCookie {
		o := r.Header.Get("Origin")
		if o == "" {
			o = r.Header.Get("Referer")
		}
		switch {
		case o == "null" && r.Header.Get("Sec-Fetch-Site") == "same-origin":
		case o == "" || o == "null":
			return fail("Missing or null Origin", "MISSING_OR_NULL_ORIGIN")
		case !s.trusted(o):
			return fail("Invalid origin", "INVALID_ORIGIN")
		}
	} else if entry {
		if o := r.Header.Get("Origin"); o != "" && o != "null" && !s.trusted(o) {
			return fail("Invalid origin", "INVALID_ORIGIN")
		}
	}
	if cb, ok := body["callbackURL"].(string); ok && cb != "" {
		relative := strings.HasPrefix(cb, "/") && !strings.HasPrefix(cb, "//")
		if !relative && !s.trusted(cb) {
			return fail("Invalid callbackURL", "INVALID_CALLBACK_URL")
		}
	}
	return nil
}
