package guapocado

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Sentinel errors. Every failure the server reports is an *Error; match it
// against these with errors.Is, or read its fields with errors.As.
//
// The sentinels are exclusive where they overlap on a status: a 401 is one of
// ErrUnauthorized, ErrNoCustomer and ErrInvalidAPIKey, a 403 either
// ErrOriginRejected or ErrForbidden, a 429 either ErrInsufficientBalance or
// ErrRateLimited.
var (
	// ErrUnauthorized: no session, or an invalid or expired one, or wrong
	// credentials on sign-in: a 401 with a code (Better Auth's own, such as
	// UNAUTHORIZED or INVALID_EMAIL_OR_PASSWORD). Signing in again helps.
	ErrUnauthorized = errors.New("guapocado: unauthorized")
	// ErrInvalidAPIKey: the app's Guapocado API key was refused. Through the
	// plugin that is a 401 with no code, such as {"message":"Invalid API
	// key"}; from the platform API (NewAPIClient), its own 401
	// {"error":"..."}. The rule: a 401 with no code whose message is not
	// "Sign in first" (which is ErrNoCustomer). The app is misconfigured:
	// signing in again cannot help.
	ErrInvalidAPIKey = errors.New("guapocado: the app's API key was refused")
	// ErrNoCustomer: signed in, but the session has no active organization or
	// team to bill (the plugin's 401 "Sign in first" with no code). Set an
	// active organization (Auth.SetActiveOrganization) and call again.
	ErrNoCustomer = errors.New("guapocado: no active customer for this session")
	// ErrOriginRejected: Better Auth's CSRF check refused a cookie-bearing
	// request (403 MISSING_OR_NULL_ORIGIN or INVALID_ORIGIN). See WithOrigin.
	ErrOriginRejected = errors.New("guapocado: origin rejected")
	// ErrForbidden: any other 403.
	ErrForbidden = errors.New("guapocado: forbidden")
	// ErrNotFound: 404, such as an unknown entitlement, plan or product, or an
	// endpoint the server does not serve (the plugin is not mounted, or the
	// base path is wrong).
	ErrNotFound = errors.New("guapocado: not found")
	// ErrInvalidRequest: the server refused the request's content (400, 413,
	// 415, 422). A *ValidationError, raised before any request is sent, also
	// matches it.
	ErrInvalidRequest = errors.New("guapocado: invalid request")
	// ErrInsufficientBalance: a consume beyond the meter's balance (429
	// "Insufficient balance"). It is never retried.
	ErrInsufficientBalance = errors.New("guapocado: insufficient balance")
	// ErrRateLimited: any other 429 (Better Auth's limiter, which sends
	// X-Retry-After, or the platform's). RetryAfter says how long to wait.
	ErrRateLimited = errors.New("guapocado: rate limited")
	// ErrServer: a 5xx.
	ErrServer = errors.New("guapocado: server error")
	// ErrOutcomeUnknown: a write (consume, refund, checkout, a platform
	// refund) that may have been applied although the call failed: its
	// request was sent and the answer lost (the connection broke, or the
	// context ended while waiting); or it was answered 5xx (the plugin
	// answers 500, with an empty body, when it lost the platform's answer
	// after the platform applied the write), so the error matches
	// ErrServer too; or its 2xx answer was cut off or did not decode; or an
	// earlier attempt may have been applied and no later attempt got a
	// definite answer. Read the balance before repeating a session client's
	// call; repeat a platform client's call with
	// WithIdempotencyKey(Error.IdempotencyKey), which the platform applies
	// at most once.
	ErrOutcomeUnknown = errors.New("guapocado: outcome unknown")
	// ErrUnexpectedResponse: a 2xx answer the SDK could not decode, or an
	// answer larger than the response size cap.
	ErrUnexpectedResponse = errors.New("guapocado: unexpected response")
)

// Error is every failure of a request: an HTTP error status from the server,
// an undecodable answer, or a transport failure (StatusCode 0). It never
// holds the query string, cookies, tokens or keys.
type Error struct {
	// Method and Path of the request (the path only: no host, no query).
	Method string
	Path   string
	// StatusCode is the HTTP status, or 0 when no response was received.
	StatusCode int
	// Code is Better Auth's error code (e.g. "UNAUTHORIZED",
	// "VALIDATION_ERROR"); empty for errors raised by the plugin or the
	// platform, which send a message only.
	Code string
	// Message is the server's message, or a description of the failure.
	// A server's text never shows the credentials the request carried (a
	// proxy that echoes a header cannot leak them): they are replaced by
	// [redacted].
	Message string
	// RequestID is the x-request-id response header, where the server sent
	// one, cleaned like Message: the credentials the request carried are
	// replaced by [redacted], control characters by spaces, and it is cut
	// to 256 bytes.
	RequestID string
	// RetryAfter is the wait the server asked for (X-Retry-After or
	// Retry-After), zero when it named none.
	RetryAfter time.Duration
	// Attempts is how many times the request was sent.
	Attempts int
	// Snippet is a short, redacted excerpt of a body the SDK could not decode.
	Snippet string
	// IdempotencyKey is the key a platform client's consume or refund was
	// sent with (generated or given). After ErrOutcomeUnknown, repeating the
	// call with WithIdempotencyKey(IdempotencyKey) is safe: the platform
	// applies a key at most once.
	IdempotencyKey string

	outcomeUnknown bool
	unexpected     bool
	err            error
}

// Error returns a one-line description with the method, path, status, code and
// message.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("guapocado: ")
	b.WriteString(e.Method)
	b.WriteByte(' ')
	b.WriteString(e.Path)
	b.WriteString(": ")
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, "%d", e.StatusCode)
		if e.Code != "" {
			b.WriteString(" ")
			b.WriteString(cleanMessage(e.Code))
		}
		if e.Message != "" {
			b.WriteString(": ")
			b.WriteString(cleanMessage(e.Message))
		}
	} else {
		if e.outcomeUnknown {
			b.WriteString("outcome unknown (the request was sent but its answer was lost; check before repeating it): ")
		}
		b.WriteString(cleanMessage(e.Message))
	}
	if e.outcomeUnknown && e.StatusCode != 0 {
		b.WriteString(" (outcome unknown: the write may have been applied; check before repeating it)")
	}
	if e.Snippet != "" {
		fmt.Fprintf(&b, " (body: %q)", e.Snippet)
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	if e.RequestID != "" {
		fmt.Fprintf(&b, " (request id %s)", cleanMessage(e.RequestID))
	}
	if e.IdempotencyKey != "" {
		fmt.Fprintf(&b, " (idempotency key %s)", e.IdempotencyKey)
	}
	return b.String()
}

// Unwrap returns the transport or context error behind a failure with no
// response, so errors.Is(err, context.DeadlineExceeded) works.
func (e *Error) Unwrap() error { return e.err }

// Is reports whether e is of the class of the sentinel target.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrOutcomeUnknown:
		return e.outcomeUnknown
	case ErrUnexpectedResponse:
		return e.unexpected
	}
	switch e.StatusCode {
	case 401:
		switch {
		case e.Code != "":
			return target == ErrUnauthorized
		case e.Message == "Sign in first":
			return target == ErrNoCustomer
		}
		return target == ErrInvalidAPIKey
	case 403:
		if e.Code == "MISSING_OR_NULL_ORIGIN" || e.Code == "INVALID_ORIGIN" || e.Code == "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED" {
			return target == ErrOriginRejected
		}
		return target == ErrForbidden
	case 404:
		return target == ErrNotFound
	case 400, 413, 415, 422:
		return target == ErrInvalidRequest
	case 429:
		if e.Message == "Insufficient balance" {
			return target == ErrInsufficientBalance
		}
		return target == ErrRateLimited
	}
	if e.StatusCode >= 500 {
		return target == ErrServer
	}
	return false
}

// ValidationError is returned before any request is sent when an argument
// breaks a rule the server would enforce. It matches ErrInvalidRequest.
type ValidationError struct {
	Field  string // the argument or JSON field, e.g. "key", "amount", "successUrl"
	Reason string
}

// Error names the field and the rule it broke.
func (e *ValidationError) Error() string {
	return "guapocado: invalid " + e.Field + ": " + e.Reason
}

// Is makes a ValidationError match ErrInvalidRequest.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalidRequest }

// transportMessage describes a transport error without the request URL (which
// url.Error would repeat).
func transportMessage(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// maxMessageBytes caps a server's message in an Error (Message and
// Error()): longer ones are cut at a character boundary and end with "…".
const maxMessageBytes = 256

// cleanMessage makes a server's text safe to print on one log line: control
// characters (CR, LF, NUL, ESC, C1) and invisible format characters (such as
// bidirectional overrides) become spaces, invalid UTF-8 becomes U+FFFD, and
// the result is cut to maxMessageBytes. Clean text is returned as is.
func cleanMessage(s string) string {
	clean := len(s) <= maxMessageBytes
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f {
			clean = false
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			r = ' '
		}
		if b.Len()+utf8.RuneLen(r) > maxMessageBytes {
			b.WriteString("…")
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// credentialHeaders are the request headers whose values are secrets.
var credentialHeaders = []string{"Authorization", "Cookie", "X-Guapocado-Key", "Proxy-Authorization"}

// minSecretLen is the shortest credential fragment serverText redacts:
// shorter ones (a cookie such as theme=dark) would blank ordinary words.
const minSecretLen = 8

// credentials lists the secrets of the sent request's headers, each as
// sent and decoded: whole header values, a bearer token, each cookie
// value, and the dot-separated parts of a signed token.
func credentials(sent http.Header) []string {
	var out []string
	add := func(v string) {
		v = strings.TrimSpace(v)
		if len(v) < minSecretLen {
			return
		}
		out = append(out, v)
		if dec, err := url.QueryUnescape(v); err == nil && dec != v {
			out = append(out, dec)
		}
		for part := range strings.SplitSeq(v, ".") {
			if len(part) >= 2*minSecretLen && part != v {
				out = append(out, part)
			}
		}
	}
	for _, name := range credentialHeaders {
		for _, v := range sent.Values(name) {
			add(v)
			if scheme, tok, ok := strings.Cut(v, " "); ok && name != "Cookie" && scheme != "" {
				add(tok)
			}
			if name == "Cookie" {
				for kv := range strings.SplitSeq(v, ";") {
					if _, val, ok := strings.Cut(kv, "="); ok {
						add(val)
					}
				}
			}
		}
	}
	// Longest first, so that a whole value is replaced before its parts.
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out
}

// serverText is how a server's text (message, code, request id) enters an
// Error: every credential of the sent request replaced by [redacted], then
// cleanMessage.
func serverText(s string, secrets []string) string {
	for _, sec := range secrets {
		if strings.Contains(s, sec) {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return cleanMessage(s)
}

const snippetLen = 64

// snippet returns a short excerpt of body with anything that looks like a
// token, key or signature masked, for error messages.
func snippet(body []byte) string {
	if len(body) == 0 {
		return ""
	}
	s := body
	cut := false
	if len(s) > snippetLen {
		s, cut = s[:snippetLen], true
	}
	var b strings.Builder
	run := 0
	flush := func(word []byte) {
		if len(word) >= 16 {
			b.WriteString("[redacted]")
		} else {
			b.Write(word)
		}
	}
	start := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && isTokenByte(s[i]) {
			if run == 0 {
				start = i
			}
			run++
			continue
		}
		if run > 0 {
			flush(s[start:i])
			run = 0
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < 0x20 || c == 0x7f {
			b.WriteByte(' ')
		} else if c < utf8.RuneSelf {
			b.WriteByte(c)
		} else {
			b.WriteByte('?')
		}
	}
	if cut {
		b.WriteString("…")
	}
	return b.String()
}

func isTokenByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '+' || c == '/' || c == '=' || c == '_' || c == '-' || c == '.' || c == '%'
}
