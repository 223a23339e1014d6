package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	guapocado "github.com/guapocado/guapocado-go"
)

// Headers of a delivery, and the default tolerance.
const (
	// SignatureHeader carries "t=<unix seconds>,v1=<hex HMAC-SHA256>"
	// with one or more v1 entries.
	SignatureHeader = "guapocado-signature"
	// EndpointIDHeader names the receiving endpoint (for example "we_000004").
	EndpointIDHeader = "guapocado-endpoint-id"
	// DefaultTolerance is how far a signature timestamp may be from now.
	DefaultTolerance = 300 * time.Second
)

// Sentinel errors of verification and parsing; test them with errors.Is.
// Their messages never contain a secret or a signature.
var (
	// ErrNoSecret: no non-empty signing secret was configured. An empty key
	// never verifies anything.
	ErrNoSecret = errors.New("guapocado: webhook signing secret is empty")
	// ErrNoSignature: the signature header is empty or has no v1 entry.
	ErrNoSignature = errors.New("guapocado: webhook has no signature")
	// ErrMalformedHeader: the signature header cannot be parsed (missing,
	// duplicated or non-numeric t, a v1 that is not hex, more than 8 v1
	// entries, garbage).
	ErrMalformedHeader = errors.New("guapocado: malformed webhook signature header")
	// ErrSignatureMismatch: no v1 entry matches any configured secret.
	ErrSignatureMismatch = errors.New("guapocado: webhook signature does not match")
	// ErrTimestamp: the signature is valid but its timestamp is further
	// from now than the tolerance (a replay or a skewed clock).
	ErrTimestamp = errors.New("guapocado: webhook timestamp outside tolerance")
	// ErrMalformedPayload: the body is not an event envelope, or an event's
	// data does not have the shape of its type.
	ErrMalformedPayload = errors.New("guapocado: malformed webhook payload")
	// ErrEventType: a typed accessor was called on an event of another
	// type. The error is an *EventTypeError.
	ErrEventType = errors.New("guapocado: webhook event has another type")
)

var (
	errDupT      = fmt.Errorf("%w: more than one t", ErrMalformedHeader)
	errNoT       = fmt.Errorf("%w: no t", ErrMalformedHeader)
	errBadT      = fmt.Errorf("%w: t is not a unix time in seconds", ErrMalformedHeader)
	errBadV1     = fmt.Errorf("%w: v1 is not an even-length hex string", ErrMalformedHeader)
	errBadItem   = fmt.Errorf("%w: entry is not key=value", ErrMalformedHeader)
	errManyV1    = fmt.Errorf("%w: more than %d v1 entries", ErrMalformedHeader, maxSignatures)
	errNoTypeEvt = fmt.Errorf("%w: no type", ErrMalformedPayload)
)

// Verifier checks guapocado-signature headers. The zero value has no
// secret and rejects everything with ErrNoSecret; [NewVerifier] refuses to
// build one without a secret. A Verifier is safe for concurrent use as long
// as its fields are not modified. Printed with fmt (any verb), encoded as
// JSON or logged with log/slog it shows how many secrets it has, never
// them; the secrets are [guapocado.Secret] values, which show nothing
// either where fmt prints the fields themselves.
type Verifier struct {
	// Secrets are the signing secrets accepted; a signature made with any
	// of them verifies (rotate by listing the new and the old secret).
	// Empty entries are ignored. Make them with guapocado.NewSecret.
	Secrets []guapocado.Secret
	// Tolerance is how far the signed timestamp may be from Now, in either
	// direction: 0 means DefaultTolerance, a negative value disables the
	// check (only for re-verifying stored payloads: it allows replays).
	Tolerance time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// HandlerOption configures a [Handler].
type HandlerOption interface {
	applyHandler(*Handler)
}

// Option configures verification. It is accepted by [Verify],
// [ConstructEvent], [NewVerifier] and [NewHandler].
type Option interface {
	HandlerOption
	applyVerifier(*Verifier)
}

type verifierOption func(*Verifier)

func (o verifierOption) applyVerifier(v *Verifier) { o(v) }
func (o verifierOption) applyHandler(h *Handler) {
	if h.verifier == nil {
		h.verifier = &Verifier{}
	}
	o(h.verifier)
}

type handlerOption func(*Handler)

func (o handlerOption) applyHandler(h *Handler) { o(h) }

// WithTolerance sets how far the signed timestamp may be from now (default
// DefaultTolerance). A negative value disables the check.
func WithTolerance(d time.Duration) Option {
	return verifierOption(func(v *Verifier) { v.Tolerance = d })
}

// WithClock sets the clock used for the tolerance check (default
// time.Now). A Handler's default deduper uses it too.
func WithClock(now func() time.Time) Option {
	return verifierOption(func(v *Verifier) { v.Now = now })
}

// WithSecrets adds secrets accepted besides the main one, for rotating the
// signing secret without dropping deliveries.
func WithSecrets(secrets ...string) Option {
	return verifierOption(func(v *Verifier) {
		for _, s := range secrets {
			v.Secrets = append(v.Secrets, guapocado.NewSecret(s))
		}
	})
}

// NewVerifier returns a Verifier accepting secret (and any [WithSecrets]).
// It returns ErrNoSecret when no non-empty secret is given.
func NewVerifier(secret string, opts ...Option) (*Verifier, error) {
	v := &Verifier{Secrets: []guapocado.Secret{guapocado.NewSecret(secret)}}
	for _, o := range opts {
		if o != nil {
			o.applyVerifier(v)
		}
	}
	if !v.hasSecret() {
		return nil, ErrNoSecret
	}
	return v, nil
}

// Verify checks that header (the guapocado-signature value) signs payload
// (the raw request body, unmodified) with secret: one v1 entry must equal
// hex(HMAC-SHA256(secret, "<t>.<payload>")), compared in constant time, and
// t must be within the tolerance of now. It returns nil or an error
// matching ErrNoSecret, ErrNoSignature, ErrMalformedHeader,
// ErrSignatureMismatch or ErrTimestamp.
func Verify(payload []byte, header, secret string, opts ...Option) error {
	if len(opts) == 0 {
		return verify(secret, nil, 0, nil, payload, header)
	}
	var v Verifier
	for _, o := range opts {
		if o != nil {
			o.applyVerifier(&v)
		}
	}
	return verify(secret, v.Secrets, v.Tolerance, v.Now, payload, header)
}

// ConstructEvent verifies payload as [Verify] does, then parses it as
// [ParseEvent] does. It returns a nil Event with any error.
func ConstructEvent(payload []byte, header, secret string, opts ...Option) (*Event, error) {
	if err := Verify(payload, header, secret, opts...); err != nil {
		return nil, err
	}
	return ParseEvent(payload)
}

// Verify checks header against payload; see the function [Verify].
func (v Verifier) Verify(payload []byte, header string) error {
	return verify("", v.Secrets, v.Tolerance, v.Now, payload, header)
}

// ConstructEvent verifies and parses payload; see the function
// [ConstructEvent].
func (v Verifier) ConstructEvent(payload []byte, header string) (*Event, error) {
	if err := v.Verify(payload, header); err != nil {
		return nil, err
	}
	return ParseEvent(payload)
}

func (v Verifier) hasSecret() bool {
	for _, s := range v.Secrets {
		if !s.IsZero() {
			return true
		}
	}
	return false
}

func (v Verifier) secretCount() int {
	n := 0
	for _, s := range v.Secrets {
		if !s.IsZero() {
			n++
		}
	}
	return n
}

// redacted stands for the secrets wherever a Verifier or Handler is shown.
const redacted = "[REDACTED]"

// tolerance is the effective tolerance (negative: disabled).
func (v Verifier) tolerance() time.Duration {
	if v.Tolerance == 0 {
		return DefaultTolerance
	}
	return v.Tolerance
}

// toleranceText is the effective tolerance as text.
func (v Verifier) toleranceText() string {
	if t := v.tolerance(); t >= 0 {
		return t.String()
	}
	return "disabled"
}

func (v Verifier) describe() string {
	tol := v.toleranceText()
	clock := "time.Now"
	if v.Now != nil {
		clock = "custom"
	}
	return fmt.Sprintf("Secrets:%s (%d) Tolerance:%s Now:%s", redacted, v.secretCount(), tol, clock)
}

// String describes the verifier without its secrets.
func (v Verifier) String() string { return "webhook.Verifier{" + v.describe() + "}" }

// GoString is String: %#v does not show the secrets either.
func (v Verifier) GoString() string { return v.String() }

// Format prints String for every fmt verb (%q quotes it): fmt would
// otherwise print the fields, secrets included, for verbs that String
// does not cover (%d, %t, %x…).
func (v Verifier) Format(f fmt.State, verb rune) { formatRedacted(f, verb, v.String()) }

// formatRedacted answers every fmt verb with s, a description without
// secrets: %q quotes it, every other verb prints it as is.
func formatRedacted(f fmt.State, verb rune, s string) {
	if verb == 'q' {
		s = strconv.Quote(s)
	}
	_, _ = io.WriteString(f, s)
}

// LogValue shows the verifier in log/slog without its secrets.
func (v Verifier) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("secrets", redacted),
		slog.Int("secret_count", v.secretCount()),
		slog.String("tolerance", v.toleranceText()),
	)
}

// MarshalJSON encodes the verifier without its secrets:
// {"secrets":"[REDACTED]","secretCount":n,"tolerance":"5m0s"}.
func (v Verifier) MarshalJSON() ([]byte, error) {
	return json.Marshal(redactedJSON{Secrets: redacted, SecretCount: v.secretCount(), Tolerance: v.toleranceText()})
}

type redactedJSON struct {
	Secrets      string   `json:"secrets"`
	SecretCount  int      `json:"secretCount"`
	Tolerance    string   `json:"tolerance"`
	MaxBodyBytes int64    `json:"maxBodyBytes,omitempty"`
	Types        []string `json:"types,omitempty"`
}

const (
	// maxTLen bounds the t value: int64 seconds have at most 19 digits.
	maxTLen = 19
	// maxSignatures bounds the v1 entries of one header (Guapocado sends
	// one, two while rotating), which bounds the work an attacker can ask.
	maxSignatures = 8
)

// hexVal maps a byte to its hex value, 0xff when it is not a hex digit.
var hexVal = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = byte(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = byte(c - 'a' + 10)
		t[c-'a'+'A'] = byte(c - 'a' + 10)
	}
	return t
}()

// nextItem splits the next comma-separated, space-trimmed entry off s.
func nextItem(s string) (item, rest string) {
	if i := strings.IndexByte(s, ','); i >= 0 {
		item, rest = s[:i], s[i+1:]
	} else {
		item = s
	}
	return strings.TrimSpace(item), rest
}

// macSet is the scratch space of one verification: the parsed header and
// cached keyed HMAC states, so verification does not allocate (hmac's Reset
// restores the keyed state without rehashing the key). A set is used by one
// goroutine at a time and lives in macPool between uses. It keeps a few
// secrets, enough for rotation and a few endpoints per process; beyond that
// it falls back to hmac.New per call, never to a wrong answer.
type macSet struct {
	keys   [4]string
	macs   [4]hash.Hash
	next   int
	prefix [maxTLen + 1]byte
	sum    [sha256.Size]byte

	// The parsed header.
	ts    int64
	tsRaw string
	nsig  int                              // v1 entries of signature length
	sigs  [maxSignatures][sha256.Size]byte // their decoded values
}

var macPool = sync.Pool{New: func() any { return new(macSet) }}

// parse reads and validates the whole header in one pass, decoding the v1
// entries that have the length of a signature. Valid hex of another length
// (like transcript 3.30's "00ff") is a well-formed signature that matches
// nothing.
func (s *macSet) parse(header string) error {
	s.nsig, s.tsRaw = 0, ""
	if strings.TrimSpace(header) == "" {
		return ErrNoSignature
	}
	haveT, nv1 := false, 0
	for rest := header; rest != ""; {
		var item string
		item, rest = nextItem(rest)
		if item == "" {
			continue // tolerate ",," and a trailing comma
		}
		eq := strings.IndexByte(item, '=')
		if eq <= 0 {
			return errBadItem
		}
		key, val := item[:eq], item[eq+1:]
		switch key {
		case "t":
			if haveT {
				return errDupT
			}
			haveT = true
			if val == "" || len(val) > maxTLen || val[0] < '0' || val[0] > '9' {
				return errBadT
			}
			ts, err := strconv.ParseUint(val, 10, 63)
			if err != nil {
				return errBadT
			}
			s.ts, s.tsRaw = int64(ts), val
		case "v1":
			if nv1++; nv1 > maxSignatures {
				return errManyV1
			}
			if val == "" || len(val)%2 != 0 {
				return errBadV1
			}
			if len(val) != 2*sha256.Size {
				for i := 0; i < len(val); i++ {
					if hexVal[val[i]] == 0xff {
						return errBadV1
					}
				}
				continue
			}
			sig := &s.sigs[s.nsig]
			for i := range sig {
				hi, lo := hexVal[val[2*i]], hexVal[val[2*i+1]]
				if hi == 0xff || lo == 0xff {
					return errBadV1
				}
				sig[i] = hi<<4 | lo
			}
			s.nsig++
		}
		// Other schemes (v0, a future v2) are ignored.
	}
	if !haveT {
		return errNoT
	}
	if nv1 == 0 {
		return ErrNoSignature
	}
	return nil
}

func (s *macSet) mac(secret string) hash.Hash {
	for i, k := range s.keys {
		if s.macs[i] != nil && k == secret {
			m := s.macs[i]
			m.Reset()
			return m
		}
	}
	i := s.next
	s.next = (s.next + 1) % len(s.keys)
	s.keys[i] = secret
	s.macs[i] = hmac.New(sha256.New, []byte(secret))
	return s.macs[i]
}

// match reports whether a parsed v1 entry is the signature of payload
// under secret.
func (s *macSet) match(secret string, payload []byte) bool {
	if s.nsig == 0 {
		return false
	}
	m := s.mac(secret)
	n := copy(s.prefix[:], s.tsRaw)
	s.prefix[n] = '.'
	m.Write(s.prefix[:n+1])
	m.Write(payload)
	sum := m.Sum(s.sum[:0])
	ok := false
	for i := 0; i < s.nsig; i++ {
		if hmac.Equal(sum, s.sigs[i][:]) {
			ok = true
		}
	}
	return ok
}

func verify(first string, more []guapocado.Secret, tol time.Duration, now func() time.Time, payload []byte, header string) error {
	if first == "" {
		i := 0
		for i < len(more) && more[i].IsZero() {
			i++
		}
		if i == len(more) {
			return ErrNoSecret
		}
	}
	set := macPool.Get().(*macSet)
	if err := set.parse(header); err != nil {
		macPool.Put(set)
		return err
	}
	ok := first != "" && set.match(first, payload)
	for i := 0; !ok && i < len(more); i++ {
		ok = !more[i].IsZero() && set.match(more[i].Reveal(), payload)
	}
	ts := set.ts
	macPool.Put(set)
	if !ok {
		return ErrSignatureMismatch
	}
	if tol < 0 {
		return nil
	}
	if tol == 0 {
		tol = DefaultTolerance
	}
	var t time.Time
	if now != nil {
		t = now()
	} else {
		t = time.Now()
	}
	d := t.Sub(time.Unix(ts, 0))
	switch {
	case d > tol:
		return fmt.Errorf("%w: signed %v ago, tolerance %v", ErrTimestamp, d.Truncate(time.Second), tol)
	case d < -tol:
		return fmt.Errorf("%w: signed %v in the future, tolerance %v", ErrTimestamp, (-d).Truncate(time.Second), tol)
	}
	return nil
}
